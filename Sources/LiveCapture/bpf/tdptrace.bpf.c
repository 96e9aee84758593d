// SPDX-License-Identifier: GPL-2.0
// tdptrace's in-kernel half: count kernel stacks per probe.
//
// One object is opened per probe; the user side keeps exactly one of the five programs below
// (the attach kind chosen for that probe), sets the read-only globals, and shares the three maps
// between all objects with bpf_map__reuse_fd. The body is the same for every attach kind, so the
// counts do not depend on how a probe was attached.
//
// tdptrace.h is the contract with the user side: the layouts of struct config and struct
// count_key, the drop reasons and the drops array's index, the stack depth and the map sizes. It
// is the one place they are defined; Swift imports the same header (the CTDPTraceBPF module), so
// nothing here is copied by hand into LiveCapture.
//
// Build (scripts/gen-bpf.sh regenerates BPFObjectData.swift from this file):
//   clang -target bpf -O2 -g -D__TARGET_ARCH_x86 -I/usr/include/x86_64-linux-gnu -c tdptrace.bpf.c
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "tdptrace.h"

struct {
  __uint(type, BPF_MAP_TYPE_STACK_TRACE);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, MAX_STACK_DEPTH * sizeof(__u64));
  __uint(max_entries, STACK_ENTRIES);
} stacks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, struct count_key);
  __type(value, __u64);
  __uint(max_entries, COUNT_ENTRIES);
} counts SEC(".maps");

// Indexed by drop_index(probe, reason); the user side sizes it to probes * DROP_REASONS.
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, MAX_PROBES * DROP_REASONS);
} drops SEC(".maps");

// Set by the user side before load (struct config in tdptrace.h); const volatile keeps the values
// out of constant folding.
const volatile struct config cfg = {};
#define probe_id cfg.probe_id
#define filter_tgid cfg.filter_tgid
#define filter_comm_len cfg.filter_comm_len
#define filter_comm cfg.filter_comm

static __always_inline void count_drop(__u32 reason) {
  __u32 index = drop_index(probe_id, reason);
  __u64 *value = bpf_map_lookup_elem(&drops, &index);
  if (value)
    __sync_fetch_and_add(value, 1);
}

static __always_inline int comm_matches(void) {
  char comm[COMM_LEN] = {};
  if (bpf_get_current_comm(comm, sizeof(comm)) != 0)
    return 0;
#pragma unroll
  for (int i = 0; i < COMM_LEN; i++) {
    if (i >= filter_comm_len)
      return comm[i] == 0;
    if (comm[i] != filter_comm[i])
      return 0;
  }
  return 1;
}

static __always_inline int record(void *ctx) {
  if (filter_tgid != 0 && (bpf_get_current_pid_tgid() >> 32) != filter_tgid)
    return 0;
  if (filter_comm_len != 0 && !comm_matches())
    return 0;

  long stackid = bpf_get_stackid(ctx, &stacks, 0);
  if (stackid < 0) {
    if (stackid == -17 /* EEXIST */)
      count_drop(DROP_STACK_COLLISION);
    else if (stackid == -12 /* ENOMEM */)
      count_drop(DROP_STACK_MAP_FULL);
    else
      count_drop(DROP_NO_STACK);
    return 0;
  }

  struct count_key key = {.probe = probe_id, .stackid = (__s32)stackid};
  __u64 *value = bpf_map_lookup_elem(&counts, &key);
  if (value) {
    __sync_fetch_and_add(value, 1);
    return 0;
  }
  __u64 one = 1;
  if (bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST) == 0)
    return 0;
  // Another CPU may have inserted the key between the lookup and the update.
  value = bpf_map_lookup_elem(&counts, &key);
  if (value) {
    __sync_fetch_and_add(value, 1);
    return 0;
  }
  count_drop(DROP_COUNTS_FULL);
  return 0;
}

SEC("kprobe")
int tdp_kprobe(void *ctx) { return record(ctx); }

SEC("fentry")
int tdp_fentry(void *ctx) { return record(ctx); }

SEC("tp_btf")
int tdp_tp_btf(void *ctx) { return record(ctx); }

SEC("raw_tp")
int tdp_raw_tp(void *ctx) { return record(ctx); }

SEC("tracepoint")
int tdp_tracepoint(void *ctx) { return record(ctx); }

char LICENSE[] SEC("license") = "GPL";
