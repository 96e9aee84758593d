// SPDX-License-Identifier: GPL-2.0
// tdptrace's in-kernel half: count kernel stacks per probe, or time calls per entry stack.
//
// One object is opened per probe; the user side keeps the program(s) for the attach kind chosen
// for that probe (one counting program, or an entry and exit pair for --latency), sets the
// read-only globals, and shares the maps between all objects with bpf_map__reuse_fd (a map the
// mode does not use is not created). The body is the same for every attach kind, so the counts
// do not depend on how a probe was attached.
//
// Stacks: bpf_get_stackid into the stack map, and when that map has no bucket for the stack
// (-EEXIST: another stack's hash took it) the stack by content in fb_stacks, so a hash collision
// loses no event (take_stackid; the stack ids are described in tdptrace.h).
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
#include <linux/ptrace.h>
#include <bpf/bpf_tracing.h>

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

// The fallback when the stack map has no bucket for a stack (tdptrace.h, "stack ids"): stacks
// by content, each with its fallback id; the per-CPU buffer the stack is taken into (a
// struct stack_key is 1 KiB, twice the BPF stack); the next id to give.
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, struct stack_key);
  __type(value, __u32);
  __uint(max_entries, FALLBACK_ENTRIES);
} fb_stacks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __type(key, __u32);
  __type(value, struct stack_key);
  __uint(max_entries, 1);
} fb_scratch SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 1);
} fb_next SEC(".maps");

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

static __always_inline void count_drops(__u32 reason, __u64 n) {
  __u32 index = drop_index(probe_id, reason);
  __u64 *value = bpf_map_lookup_elem(&drops, &index);
  if (value)
    __sync_fetch_and_add(value, n);
}

static __always_inline void count_drop(__u32 reason) { count_drops(reason, 1); }

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

static __always_inline int passes_filters(void) {
  if (filter_tgid != 0 && (bpf_get_current_pid_tgid() >> 32) != filter_tgid)
    return 0;
  if (filter_comm_len != 0 && !comm_matches())
    return 0;
  return 1;
}

#define FALLBACK_FULL (-1)
#define FALLBACK_NO_STACK (-2)

// The current kernel stack's fallback id (>= 0), found in fb_stacks by content or inserted with
// the next id; FALLBACK_FULL when it is new and every id is given, FALLBACK_NO_STACK when
// bpf_get_stack fails.
static __always_inline long fallback_stack(void *ctx) {
  __u32 zero = 0;
  struct stack_key *key = bpf_map_lookup_elem(&fb_scratch, &zero);
  if (!key)
    return FALLBACK_NO_STACK;
  // Flags 0: the kernel stack, no frames skipped, as bpf_get_stackid(ctx, &stacks, 0) takes it.
  // The helper zeroes what it does not write, so the tail of ips is zero.
  long len = bpf_get_stack(ctx, key->ips, sizeof(key->ips), 0);
  if (len <= 0)
    return FALLBACK_NO_STACK;
  key->nr = (__u32)len / sizeof(__u64);
  key->pad = 0;
  __u32 *known = bpf_map_lookup_elem(&fb_stacks, key);
  if (known)
    return *known;
  __u64 *next = bpf_map_lookup_elem(&fb_next, &zero);
  if (!next)
    return FALLBACK_FULL;
  __u64 id = __sync_fetch_and_add(next, 1);
  if (id >= cfg.fallback_entries)
    return FALLBACK_FULL;
  __u32 new_id = (__u32)id;
  if (bpf_map_update_elem(&fb_stacks, key, &new_id, BPF_NOEXIST) == 0)
    return new_id;
  // Another CPU inserted the same stack first (its id wins; this one is not used).
  known = bpf_map_lookup_elem(&fb_stacks, key);
  if (known)
    return *known;
  return FALLBACK_FULL;
}

// The stack id (tdptrace.h) of the current kernel stack: the stack map's, else, when the stack
// map has no bucket for it (-EEXIST) or no free entry (-ENOMEM), the fallback map's. NO_STACKID
// when neither has it, with the reason counted.
static __always_inline __s32 take_stackid(void *ctx) {
  long stackid = bpf_get_stackid(ctx, &stacks, 0);
  if (stackid >= 0)
    return (__s32)stackid;
  if (stackid != -17 /* EEXIST */ && stackid != -12 /* ENOMEM */) {
    count_drop(DROP_NO_STACK);
    return NO_STACKID;
  }
  long id = fallback_stack(ctx);
  if (id >= 0)
    return fallback_stackid((__u32)id);
  if (id == FALLBACK_NO_STACK)
    count_drop(DROP_NO_STACK);
  else
    count_drop(stackid == -17 ? DROP_STACK_COLLISION : DROP_STACK_MAP_FULL);
  return NO_STACKID;
}

// Counts one event under (probe, current stack, spte, op): spte and op are 0 except for
// record --spte.
static __always_inline int count_event(void *ctx, __u32 spte, __u32 op) {
  __s32 stackid = take_stackid(ctx);
  if (stackid == NO_STACKID)
    return 0;

  struct count_key key = {.probe = probe_id, .stackid = stackid, .spte = spte, .op = op};
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

static __always_inline int record(void *ctx) {
  if (!passes_filters())
    return 0;
  return count_event(ctx, 0, 0);
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

// --- record --spte -------------------------------------------------------------------------
// Operations: the one in progress per task (op_tasks), the next id (op_next), the finished ones
// (ops, read at stop).
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, TASK_ENTRIES);
  __type(key, __u32);
  __type(value, struct op_record);
} op_tasks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} op_next SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, OP_ENTRIES);
  __type(key, __u32);
  __type(value, struct op_record);
} ops SEC(".maps");

// The calling task's operation in progress, or NULL.
static __always_inline struct op_record *current_op(void) {
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  return bpf_map_lookup_elem(&op_tasks, &tid);
}

static __always_inline int op_entry(void *ctx) {
  if (!passes_filters())
    return 0;
  struct op_record *running = current_op();
  if (running) {
    running->depth++;
    return 0;
  }
  __u32 zero = 0;
  __u64 *next = bpf_map_lookup_elem(&op_next, &zero);
  if (!next)
    return 0;
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  __u32 tid = (__u32)pid_tgid;
  struct op_record op = {};
  op.op = (__u32)__sync_fetch_and_add(next, 1) + 1;
  op.probe = probe_id;
  op.depth = 1;
  op.stackid = take_stackid(ctx);
  op.tgid = pid_tgid >> 32;
  op.tid = tid;
  bpf_get_current_comm(op.comm, sizeof(op.comm));
  op.start = bpf_ktime_get_ns();
  if (bpf_map_update_elem(&op_tasks, &tid, &op, BPF_ANY) != 0)
    count_drop(DROP_TASKS_FULL);
  return 0;
}

static __always_inline int op_exit(void *ctx) {
  if (!passes_filters())
    return 0;
  __u64 now = bpf_ktime_get_ns();
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct op_record *op = bpf_map_lookup_elem(&op_tasks, &tid);
  if (!op)
    return 0;
  if (op->depth > 1) {
    op->depth--;
    return 0;
  }
  op->depth = 0;
  op->duration = now - op->start;
  if (op->duration == 0)
    op->duration = 1;
  __u32 id = op->op;
  if (bpf_map_update_elem(&ops, &id, op, BPF_NOEXIST) != 0)
    count_drop(DROP_OPS_FULL);
  bpf_map_delete_elem(&op_tasks, &tid);
  return 0;
}

// A remote TLB flush: counted like any probe, and it covers every leaf the task's operation
// zapped before it.
static __always_inline int flush_called(void *ctx) {
  if (!passes_filters())
    return 0;
  struct op_record *op = current_op();
  if (op) {
    op->flushes++;
    op->unflushed = 0;
  }
  return count_event(ctx, 0, 0);
}

SEC("fentry")
int tdp_op_fentry(void *ctx) { return op_entry(ctx); }

SEC("fexit")
int tdp_op_fexit(void *ctx) { return op_exit(ctx); }

SEC("kprobe")
int tdp_op_kprobe(void *ctx) { return op_entry(ctx); }

SEC("kretprobe")
int tdp_op_kretprobe(void *ctx) { return op_exit(ctx); }

SEC("fentry")
int tdp_flush_fentry(void *ctx) { return flush_called(ctx); }

SEC("kprobe")
int tdp_flush_kprobe(void *ctx) { return flush_called(ctx); }

// The masks the classes are computed under: the running kernel's, read by tdp_spte_masks (run
// once by the user side through BPF_PROG_TEST_RUN before the tracepoint is attached), or, where
// kallsyms does not list a global, what the user side writes here instead.
struct spte_mask_state spte_state = {};

SEC("raw_tp")
int tdp_spte_masks(void *ctx) {
  __u64 *out = (__u64 *)&spte_state.masks;
  __u32 read = 0;
#pragma unroll
  for (int i = 0; i < SPTE_MASKS; i++) {
    __u64 value = 0;
    if (cfg.spte_mask_addrs[i] != 0 &&
        bpf_probe_read_kernel(&value, sizeof(value), (const void *)cfg.spte_mask_addrs[i]) == 0) {
      out[i] = value;
      read |= 1u << i;
    }
  }
  spte_state.read = read;
  return 0;
}

// TP_PROTO(int as_id, gfn_t gfn, int level, u64 old_spte, u64 new_spte): the same five u64
// arguments for tp_btf and raw_tp.
static __always_inline int spte_changed(void *ctx, __u64 *args) {
  if (!passes_filters())
    return 0;
  __u32 level = (__u32)args[2];
  __u64 old_spte = args[3], new_spte = args[4];
  __u32 old_class = spte_class(old_spte, level, &spte_state.masks);
  __u32 new_class = spte_class(new_spte, level, &spte_state.masks);
  __u32 pfn = spte_pfn_changed(old_spte, new_spte, old_class, new_class);
  struct op_record *op = current_op();
  __u32 id = 0;
  if (op) {
    id = op->op;
    op->changes++;
    if ((old_class & (SPTE_CLASS_PRESENT | SPTE_CLASS_LEAF)) == (SPTE_CLASS_PRESENT | SPTE_CLASS_LEAF) &&
        !(new_class & SPTE_CLASS_PRESENT)) {
      op->leaf_zaps++;
      op->unflushed++;
    }
  }
  return count_event(ctx, spte_change_key(level, old_class, new_class, pfn), id);
}

SEC("tp_btf")
int tdp_spte_tp_btf(__u64 *ctx) { return spte_changed(ctx, ctx); }

SEC("raw_tp")
int tdp_spte_raw_tp(struct bpf_raw_tracepoint_args *ctx) { return spte_changed(ctx, ctx->args); }

// TP_PROTO(u64 gfn, u64 spte, int level, int errno): huge page splits by level and outcome.
static __always_inline int split_huge_page(void *ctx, __u64 *args) {
  if (!passes_filters())
    return 0;
  struct op_record *op = current_op();
  __u32 id = 0;
  if (op) {
    id = op->op;
    op->splits++;
  }
  return count_event(ctx, split_key((__u32)args[2], (__s32)args[3]), id);
}

SEC("tp_btf")
int tdp_split_tp_btf(__u64 *ctx) { return split_huge_page(ctx, ctx); }

SEC("raw_tp")
int tdp_split_raw_tp(struct bpf_raw_tracepoint_args *ctx) { return split_huge_page(ctx, ctx->args); }

// --- record --latency -----------------------------------------------------------------------
// Entry pushes (start time, entry stack, probe) on the task's stack of calls in progress; exit
// pops the innermost call of its probe and adds the duration to that (probe, stack)'s histogram.
// Calls nest per task, so recursion gives one duration per level.

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, __u32); // tid
  __type(value, struct task_stack);
  __uint(max_entries, TASK_ENTRIES);
} tasks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, struct count_key);
  __type(value, struct latency_value);
  __uint(max_entries, HIST_ENTRIES);
} hists SEC(".maps");

// A zeroed value of each, to insert from: both are too large for the BPF stack.
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __type(key, __u32);
  __type(value, struct latency_value);
  __uint(max_entries, 1);
} hist_zero SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __type(key, __u32);
  __type(value, struct task_stack);
  __uint(max_entries, 1);
} task_zero SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, SLOW_RING_BYTES);
} slow SEC(".maps");

// Raises *slot to v (a few tries against other CPUs; a lost race only loses a tie).
static __always_inline void raise_to(__u64 *slot, __u64 v) {
#pragma unroll
  for (int i = 0; i < 4; i++) {
    __u64 old = *slot;
    if (v <= old)
      return;
    if (__sync_val_compare_and_swap(slot, old, v) == old)
      return;
  }
}

// The value of `key` in a hash map, inserted from the zeroed one in `zero` (a one-entry per-CPU
// array) when missing; NULL when the map is full.
static __always_inline void *lookup_or_zero(void *map, const void *key, void *zero) {
  void *value = bpf_map_lookup_elem(map, key);
  if (value)
    return value;
  __u32 index = 0;
  void *empty = bpf_map_lookup_elem(zero, &index);
  if (!empty)
    return NULL;
  // Another CPU may insert the key first (-EEXIST); either way it is there to look up.
  bpf_map_update_elem(map, key, empty, BPF_NOEXIST);
  return bpf_map_lookup_elem(map, key);
}

static __always_inline int latency_entry(void *ctx) {
  if (!passes_filters())
    return 0;
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct task_stack *ts = lookup_or_zero(&tasks, &tid, &task_zero);
  if (!ts) {
    count_drops(DROP_TASKS_FULL, 1);
    return 0;
  }
  __u32 depth = ts->depth;
  if (depth >= LATENCY_DEPTH) {
    ts->overflow++;
    count_drops(DROP_DEPTH_OVERFLOW, 1);
    return 0;
  }
  // A call whose stack could not be taken is timed all the same, under NO_STACKID.
  __s32 stackid = take_stackid(ctx);
  struct task_frame *frame = &ts->frames[depth & (LATENCY_DEPTH - 1)];
  frame->stackid = stackid;
  frame->probe = probe_id;
  // Last, so taking the stack is not part of the duration.
  frame->start = bpf_ktime_get_ns();
  ts->depth = depth + 1;
  return 0;
}

static __always_inline void report_slow(__u64 now, __u64 duration, __s32 stackid) {
  struct slow_event *event = bpf_ringbuf_reserve(&slow, sizeof(*event), 0);
  if (!event) {
    count_drops(DROP_SLOW_LOST, 1);
    return;
  }
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  event->timestamp = now;
  event->duration = duration;
  event->tgid = pid_tgid >> 32;
  event->tid = (__u32)pid_tgid;
  event->probe = probe_id;
  event->stackid = stackid;
  bpf_get_current_comm(event->comm, sizeof(event->comm));
  bpf_ringbuf_submit(event, 0);
}

static __always_inline int latency_exit(void *ctx) {
  if (!passes_filters())
    return 0;
  __u64 now = bpf_ktime_get_ns();
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct task_stack *ts = bpf_map_lookup_elem(&tasks, &tid);
  if (!ts) {
    count_drops(DROP_EXIT_WITHOUT_ENTRY, 1);
    return 0;
  }
  if (ts->overflow > 0) {
    // The innermost entries were not timed (the stack was full); this is one of their exits.
    ts->overflow--;
    return 0;
  }
  // The innermost call of this probe; calls above it lost their exits.
  __u32 depth = ts->depth;
  int found = -1;
#pragma unroll
  for (int i = 0; i < LATENCY_DEPTH; i++) {
    if (found < 0 && i < depth && ts->frames[(depth - 1 - i) & (LATENCY_DEPTH - 1)].probe == probe_id)
      found = (depth - 1 - i) & (LATENCY_DEPTH - 1);
  }
  if (found < 0) {
    count_drops(DROP_EXIT_WITHOUT_ENTRY, 1);
    return 0;
  }
  if (depth - 1 - found > 0)
    count_drops(DROP_MISSED_EXIT, depth - 1 - found);
  struct task_frame *frame = &ts->frames[found & (LATENCY_DEPTH - 1)];
  __u64 duration = now - frame->start;
  struct count_key key = {.probe = probe_id, .stackid = frame->stackid};
  ts->depth = found;

  struct latency_value *value = lookup_or_zero(&hists, &key, &hist_zero);
  if (!value) {
    count_drops(DROP_HISTS_FULL, 1);
    return 0;
  }
  __sync_fetch_and_add(&value->count, 1);
  __sync_fetch_and_add(&value->total, duration);
  __sync_fetch_and_add(&value->buckets[latency_bucket(duration) & (LATENCY_BUCKETS - 1)], 1);
  raise_to(&value->max, duration);
  raise_to(&value->min_inverted, ~duration);
  if (cfg.slower_than_ns != 0 && duration >= cfg.slower_than_ns)
    report_slow(now, duration, key.stackid);
  return 0;
}

SEC("fentry")
int tdp_lat_fentry(void *ctx) { return latency_entry(ctx); }

SEC("fexit")
int tdp_lat_fexit(void *ctx) { return latency_exit(ctx); }

SEC("kprobe")
int tdp_lat_kprobe(void *ctx) { return latency_entry(ctx); }

SEC("kretprobe")
int tdp_lat_kretprobe(void *ctx) { return latency_exit(ctx); }

// --- record --faults -----------------------------------------------------------------------
// kvm_mmu_page_fault's entry starts the task's fault (its vCPU id read at the BTF offset user
// space found); the TDP fault handler inside it gives the outcome and, from its struct
// kvm_page_fault, the gfn and levels; kvmmmu:fast_page_fault gives the fast path's return; the
// exit times the fault into `faults` and extends or ends the task's run of retries.

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, __u32); // tid
  __type(value, struct fault_task);
  __uint(max_entries, TASK_ENTRIES);
} fault_tasks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, struct fault_key);
  __type(value, struct latency_value);
  __uint(max_entries, FAULT_ENTRIES);
} faults SEC(".maps");

static __always_inline struct fault_task *current_fault(void) {
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct fault_task *t = bpf_map_lookup_elem(&fault_tasks, &tid);
  return t && t->start != 0 ? t : NULL;
}

static __always_inline int fault_entry(void *ctx, __u64 vcpu) {
  if (!passes_filters())
    return 0;
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  __u32 tid = (__u32)pid_tgid;
  struct fault_task *t = bpf_map_lookup_elem(&fault_tasks, &tid);
  if (!t) {
    struct fault_task zero = {};
    bpf_map_update_elem(&fault_tasks, &tid, &zero, BPF_NOEXIST);
    t = bpf_map_lookup_elem(&fault_tasks, &tid);
    if (!t) {
      count_drop(DROP_TASKS_FULL);
      return 0;
    }
  }
  __u32 id = FAULT_NO_VCPU;
  if (cfg.vcpu_id_offset < 0 ||
      bpf_probe_read_kernel(&id, sizeof(id), (void *)(vcpu + cfg.vcpu_id_offset)) != 0)
    id = FAULT_NO_VCPU;
  t->vcpu_ptr = vcpu;
  t->fault_ptr = 0;
  t->gfn = 0;
  t->key.tgid = pid_tgid >> 32;
  t->key.vcpu = id;
  t->key.outcome = FAULT_NONE;
  t->key.fast = FAULT_NONE;
  t->key.req_level = FAULT_NO_LEVEL;
  t->key.goal_level = FAULT_NO_LEVEL;
  t->key.pad = 0;
  t->key.stackid = take_stackid(ctx);
  // Last, so taking the stack is not part of the duration.
  t->start = bpf_ktime_get_ns();
  return 0;
}

static __always_inline int fault_exit(void) {
  if (!passes_filters())
    return 0;
  __u64 now = bpf_ktime_get_ns();
  struct fault_task *t = current_fault();
  if (!t) {
    count_drop(DROP_EXIT_WITHOUT_ENTRY);
    return 0;
  }
  __u64 duration = now - t->start;
  t->start = 0;
  if (cfg.ret_pf_retry >= 0 && t->key.outcome == cfg.ret_pf_retry) {
    t->run = t->run > 0 && t->gfn == t->last_gfn ? t->run + 1 : 1;
    t->last_gfn = t->gfn;
    if (t->run > t->max_run) {
      t->max_run = t->run;
      t->max_run_gfn = t->gfn;
    }
  } else {
    t->run = 0;
  }
  struct fault_key key = t->key;
  struct latency_value *value = lookup_or_zero(&faults, &key, &hist_zero);
  if (!value) {
    count_drop(DROP_HISTS_FULL);
    return 0;
  }
  __sync_fetch_and_add(&value->count, 1);
  __sync_fetch_and_add(&value->total, duration);
  __sync_fetch_and_add(&value->buckets[latency_bucket(duration) & (LATENCY_BUCKETS - 1)], 1);
  raise_to(&value->max, duration);
  raise_to(&value->min_inverted, ~duration);
  return 0;
}

static __always_inline int handler_entry(__u64 fault) {
  struct fault_task *t = current_fault();
  if (t)
    t->fault_ptr = fault;
  return 0;
}

static __always_inline __u8 read_level(__u64 fault, __s32 offset) {
  __u8 level = FAULT_NO_LEVEL;
  if (offset < 0 || bpf_probe_read_kernel(&level, sizeof(level), (void *)(fault + offset)) != 0)
    return FAULT_NO_LEVEL;
  return level;
}

static __always_inline int handler_exit(__s32 ret) {
  struct fault_task *t = current_fault();
  if (!t || t->fault_ptr == 0)
    return 0;
  __u64 fault = t->fault_ptr;
  t->key.outcome = ret;
  t->key.req_level = read_level(fault, cfg.pf_req_level_offset);
  t->key.goal_level = read_level(fault, cfg.pf_goal_level_offset);
  __u64 gfn = 0;
  if (cfg.pf_gfn_offset >= 0)
    bpf_probe_read_kernel(&gfn, sizeof(gfn), (void *)(fault + cfg.pf_gfn_offset));
  t->gfn = gfn;
  return 0;
}

static __always_inline int fast_path(__s32 ret) {
  struct fault_task *t = current_fault();
  if (t)
    t->key.fast = ret;
  return 0;
}

SEC("fentry")
int tdp_fault_fentry(__u64 *ctx) { return fault_entry(ctx, ctx[0]); }

SEC("fexit")
int tdp_fault_fexit(__u64 *ctx) { return fault_exit(); }

SEC("kprobe")
int tdp_fault_kprobe(struct pt_regs *ctx) { return fault_entry(ctx, PT_REGS_PARM1(ctx)); }

SEC("kretprobe")
int tdp_fault_kretprobe(struct pt_regs *ctx) { return fault_exit(); }

// The TDP fault handler, (vcpu, fault) -> RET_PF_*: at fexit ctx[2] is the return value.
SEC("fentry")
int tdp_outcome_fentry(__u64 *ctx) { return handler_entry(ctx[1]); }

SEC("fexit")
int tdp_outcome_fexit(__u64 *ctx) { return handler_exit((__s32)ctx[2]); }

SEC("kprobe")
int tdp_outcome_kprobe(struct pt_regs *ctx) { return handler_entry(PT_REGS_PARM2(ctx)); }

SEC("kretprobe")
int tdp_outcome_kretprobe(struct pt_regs *ctx) { return handler_exit((__s32)PT_REGS_RC(ctx)); }

// kvmmmu:fast_page_fault (vcpu, fault, sptep, old_spte, ret), 5.16 and later.
SEC("tp_btf")
int tdp_fast_tp_btf(__u64 *ctx) { return fast_path((__s32)ctx[4]); }

SEC("raw_tp")
int tdp_fast_raw_tp(struct bpf_raw_tracepoint_args *ctx) { return fast_path((__s32)ctx->args[4]); }

// --- record --mmu-lock ---------------------------------------------------------------------

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, __u64); // &kvm->mmu_lock
  __type(value, __u32); // the VMM's tgid
  __uint(max_entries, LOCK_ENTRIES);
} mmu_locks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, __u32); // tid
  __type(value, struct lock_wait);
  __uint(max_entries, TASK_ENTRIES);
} lock_tasks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, __u32); // tid of a vCPU thread
  __type(value, __s32); // its vcpu->vcpu_id
  __uint(max_entries, TASK_ENTRIES);
} lock_vcpus SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, __u32); // the VMM's tgid
  __type(value, struct lock_holders);
  __uint(max_entries, LOCK_ENTRIES);
} holders SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, struct lock_key);
  __type(value, struct latency_value);
  __uint(max_entries, LOCK_WAIT_ENTRIES);
} lock_waits SEC(".maps");

static __always_inline int lock_vcpu(__u64 vcpu) {
  if (cfg.vcpu_kvm_offset < 0 || cfg.kvm_mmu_lock_offset < 0)
    return 0;
  __u64 kvm = 0;
  if (bpf_probe_read_kernel(&kvm, sizeof(kvm), (void *)(vcpu + cfg.vcpu_kvm_offset)) != 0 || kvm == 0)
    return 0;
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  __u32 tid = (__u32)pid_tgid;
  // A thread runs one vCPU (KVM_RUN on another vCPU's fd from it is possible but not done by
  // VMMs); its id is read once.
  if (cfg.vcpu_id_offset >= 0 && !bpf_map_lookup_elem(&lock_vcpus, &tid)) {
    __s32 id = NO_VCPU;
    bpf_probe_read_kernel(&id, sizeof(id), (void *)(vcpu + cfg.vcpu_id_offset));
    if (bpf_map_update_elem(&lock_vcpus, &tid, &id, BPF_ANY) != 0)
      count_drop(DROP_TASKS_FULL);
  }
  __u64 lock = kvm + cfg.kvm_mmu_lock_offset;
  if (bpf_map_lookup_elem(&mmu_locks, &lock))
    return 0;
  __u32 tgid = pid_tgid >> 32;
  if (bpf_map_update_elem(&mmu_locks, &lock, &tgid, BPF_ANY) != 0)
    count_drop(DROP_TASKS_FULL);
  return 0;
}

static __always_inline int lock_begin(void *ctx, __u64 lock, __u32 flags) {
  if (!bpf_map_lookup_elem(&mmu_locks, &lock))
    return 0;
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct lock_wait wait = {.lock = lock, .flags = flags, .vcpu = NO_VCPU};
  __s32 *vcpu = bpf_map_lookup_elem(&lock_vcpus, &tid);
  if (vcpu)
    wait.vcpu = *vcpu;
  wait.stackid = take_stackid(ctx);
  wait.start = bpf_ktime_get_ns();
  if (bpf_map_update_elem(&lock_tasks, &tid, &wait, BPF_ANY) != 0)
    count_drop(DROP_TASKS_FULL);
  return 0;
}

static __always_inline int lock_end(__u64 lock) {
  __u64 now = bpf_ktime_get_ns();
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct lock_wait *wait = bpf_map_lookup_elem(&lock_tasks, &tid);
  if (!wait || wait->start == 0 || wait->lock != lock)
    return 0; // not a wait on a watched lock, or one whose begin was not seen
  __u64 duration = now - wait->start;
  wait->start = 0;
  __u32 *vm = bpf_map_lookup_elem(&mmu_locks, &lock);
  if (!vm)
    return 0;
  struct lock_key key = {
      .tgid = *vm, .vcpu = wait->vcpu, .flags = wait->flags, .holder = NO_HOLDER, .stackid = wait->stackid};
  struct lock_holders *h = bpf_map_lookup_elem(&holders, vm);
  if (h)
    key.holder = holders_innermost(h);
  struct latency_value *value = lookup_or_zero(&lock_waits, &key, &hist_zero);
  if (!value) {
    count_drop(DROP_HISTS_FULL);
    return 0;
  }
  __sync_fetch_and_add(&value->count, 1);
  __sync_fetch_and_add(&value->total, duration);
  __sync_fetch_and_add(&value->buckets[latency_bucket(duration) & (LATENCY_BUCKETS - 1)], 1);
  raise_to(&value->max, duration);
  raise_to(&value->min_inverted, ~duration);
  return 0;
}

static __always_inline int holder_entry(void) {
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  __u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid;
  struct lock_holders *h = bpf_map_lookup_elem(&holders, &tgid);
  if (!h) {
    struct lock_holders zero = {};
    bpf_map_update_elem(&holders, &tgid, &zero, BPF_NOEXIST);
    h = bpf_map_lookup_elem(&holders, &tgid);
    if (!h)
      return 0;
  }
  holders_enter(h, tid, probe_id);
  return 0;
}

static __always_inline int holder_exit(void) {
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  __u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid;
  struct lock_holders *h = bpf_map_lookup_elem(&holders, &tgid);
  if (h)
    holders_exit(h, tid);
  return 0;
}

SEC("fentry")
int tdp_lockvcpu_fentry(__u64 *ctx) { return lock_vcpu(ctx[0]); }

SEC("kprobe")
int tdp_lockvcpu_kprobe(struct pt_regs *ctx) { return lock_vcpu(PT_REGS_PARM1(ctx)); }

// lock:contention_begin (void *lock, unsigned int flags), lock:contention_end (void *lock, int ret).
SEC("tp_btf")
int tdp_lockbegin_tp_btf(__u64 *ctx) { return lock_begin(ctx, ctx[0], (__u32)ctx[1]); }

SEC("raw_tp")
int tdp_lockbegin_raw_tp(struct bpf_raw_tracepoint_args *ctx) {
  return lock_begin(ctx, ctx->args[0], (__u32)ctx->args[1]);
}

SEC("tp_btf")
int tdp_lockend_tp_btf(__u64 *ctx) { return lock_end(ctx[0]); }

SEC("raw_tp")
int tdp_lockend_raw_tp(struct bpf_raw_tracepoint_args *ctx) { return lock_end(ctx->args[0]); }

SEC("fentry")
int tdp_holder_fentry(void *ctx) { return holder_entry(); }

SEC("fexit")
int tdp_holder_fexit(void *ctx) { return holder_exit(); }

SEC("kprobe")
int tdp_holder_kprobe(void *ctx) { return holder_entry(); }

SEC("kretprobe")
int tdp_holder_kretprobe(void *ctx) { return holder_exit(); }

char LICENSE[] SEC("license") = "GPL";
