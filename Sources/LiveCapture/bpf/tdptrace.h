// SPDX-License-Identifier: GPL-2.0
// The contract between tdptrace.bpf.c and LiveCapture: everything both sides must agree on, in
// one place. The BPF build includes it from tdptrace.bpf.c; Swift imports it through the
// CTDPTraceBPF module (Sources/CTDPTraceBPF/module.modulemap), so a layout or constant changed
// here reaches both sides at the next build instead of needing a hand-made Swift copy.
//
// It must compile in both places: under clang -target bpf after <linux/bpf.h>, and in Swift's
// clang importer on the host. So only fixed-size kernel types (__u32, __s32, __u64) and plain
// constants.
#ifndef TDPTRACE_H
#define TDPTRACE_H

// A BPF program built against vmlinux.h already has the __u* types, and <linux/types.h> would
// redefine them.
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

// bpf_get_stackid stores at most this many frames (PERF_MAX_STACK_DEPTH); the stack map's values
// are MAX_STACK_DEPTH * sizeof(__u64) bytes.
#define MAX_STACK_DEPTH 127

// The length of a task's comm including its NUL (TASK_COMM_LEN); the comm filter holds at most
// COMM_LEN - 1 bytes.
#define COMM_LEN 16

// Default map sizes. The user side creates the maps itself (sized from CaptureLimits, whose
// defaults are these) and hands them to every object with bpf_map__reuse_fd, so the sizes in the
// object only matter when it is loaded on its own.
#define STACK_ENTRIES 16384
#define COUNT_ENTRIES 10240
#define MAX_PROBES 512

// Why an event was not counted, per probe, in the drops array. The user side names each one
// (DropReason in LiveCapture/CaptureLimits.swift).
enum drop_reason {
  DROP_STACK_COLLISION = 0, // bpf_get_stackid: -EEXIST, another stack owns the hash bucket
  DROP_STACK_MAP_FULL = 1,  // bpf_get_stackid: -ENOMEM, no free stack-map entry
  DROP_NO_STACK = 2,        // bpf_get_stackid: any other error (-EFAULT: no stack)
  DROP_COUNTS_FULL = 3,     // the counts hash had no room for a new (probe, stack) key
  DROP_REASONS,             // not a reason: their number, the stride of the drops array
};

// The drops array holds DROP_REASONS counters per probe: probes * DROP_REASONS entries, and this
// index for (probe, reason). Both sides call it, so the layout cannot drift.
static inline __u32 drop_index(__u32 probe, __u32 reason) { return probe * DROP_REASONS + reason; }

// The key of the counts hash: one count per (probe, stack).
struct count_key {
  __u32 probe;
  __s32 stackid; // bpf_get_stackid's id in the stack map
};

// The read-only globals (`const volatile struct config cfg`, the object's .rodata), set by the
// user side before load.
struct config {
  __u32 probe_id;
  __u32 filter_tgid;     // 0: every process
  __u32 filter_comm_len; // 0: every command
  char filter_comm[COMM_LEN];
};

#endif // TDPTRACE_H
