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
// Entries of the fallback stacks hash (fb_stacks): distinct stacks kept by content when the
// stack map had no bucket for them.
#define FALLBACK_ENTRIES 1024

// Why an event was not counted, per probe, in the drops array. The user side names each one
// (DropReason in LiveCapture/CaptureLimits.swift).
enum drop_reason {
  // bpf_get_stackid: -EEXIST, another stack owns the hash bucket, and the fallback map (by
  // content, below) had no room for the stack either
  DROP_STACK_COLLISION = 0,
  DROP_STACK_MAP_FULL = 1, // bpf_get_stackid: -ENOMEM, no free stack-map entry, fallback map full too
  DROP_NO_STACK = 2,       // bpf_get_stackid (or the fallback's bpf_get_stack): any other error
  DROP_COUNTS_FULL = 3,     // the counts hash had no room for a new (probe, stack) key
  // record --latency: what could not be timed.
  DROP_EXIT_WITHOUT_ENTRY = 4, // an exit whose entry was not seen (attached mid-call)
  DROP_DEPTH_OVERFLOW = 5,     // more than LATENCY_DEPTH timed calls nested in one task
  DROP_TASKS_FULL = 6,         // the per-task call stacks map had no room for a new task
  DROP_HISTS_FULL = 7,         // the histograms hash had no room for a new (probe, stack) key
  DROP_MISSED_EXIT = 8,        // an entry whose exit never came (kretprobe maxactive, or lost)
  DROP_SLOW_LOST = 9,          // a call slower than --slower-than found the ring buffer full
  DROP_REASONS,                // not a reason: their number, the stride of the drops array
};

// The drops array holds DROP_REASONS counters per probe: probes * DROP_REASONS entries, and this
// index for (probe, reason). Both sides call it, so the layout cannot drift.
static inline __u32 drop_index(__u32 probe, __u32 reason) { return probe * DROP_REASONS + reason; }

// The key of the counts hash: one count per (probe, stack).
struct count_key {
  __u32 probe;
  __s32 stackid; // a stack id: see below
};

// --- stack ids ------------------------------------------------------------------------------
// bpf_get_stackid keeps one stack per hash bucket of the stack map: a second stack whose hash
// lands in a taken bucket gets -EEXIST (and -ENOMEM when no entry is free). Then the program
// takes the stack itself (bpf_get_stack into a per-CPU struct stack_key, too large for the BPF
// stack) and looks it up by its whole content in the fallback hash fb_stacks (stack_key -> id),
// inserting it with the next id from the fb_next counter when new. So a stack id is one of:
//   >= 0   the stack map's id (bpf_get_stackid)
//   -1     no stack (NO_STACKID): the reason is counted in the drops array
//   <= -2  fallback id i as fallback_stackid(i), i < config.fallback_entries
// The user side reads both maps and merges entries whose stacks are equal (same probe, same
// addresses), so a stack counted through both paths comes out once.
#define NO_STACKID (-1)

static inline __s32 fallback_stackid(__u32 id) { return -2 - (__s32)id; }
static inline __u32 fallback_id(__s32 stackid) { return (__u32)(-2 - stackid); }

// The key of fb_stacks: a whole kernel stack, innermost first. bpf_get_stack zeroes the buffer
// past the frames it wrote, so equal stacks are equal keys byte for byte.
struct stack_key {
  __u32 nr; // frames in ips
  __u32 pad; // always 0
  __u64 ips[MAX_STACK_DEPTH];
};

// The read-only globals (`const volatile struct config cfg`, the object's .rodata), set by the
// user side before load.
struct config {
  __u32 probe_id;
  __u32 filter_tgid;     // 0: every process
  __u32 filter_comm_len; // 0: every command
  char filter_comm[COMM_LEN];
  __u64 slower_than_ns;   // record --latency --slower-than: report each slower call; 0: none
  __u32 fallback_entries; // fb_stacks' max_entries: fallback ids are below it
  __u32 pad;
};

// --- record --latency ---------------------------------------------------------------------
// Durations go into log-linear buckets: below LATENCY_SUBS nanoseconds one bucket per value;
// from there LATENCY_SUBS buckets per power of two, so a bucket's width is at most 1/8 of its
// lower bound and a percentile read from the buckets is known to within 12.5% (bpftrace's log2
// hist() is within 2x). Bucket i spans [latency_bucket_low(i), latency_bucket_low(i + 1)).
#define LATENCY_SUB_BITS 3
#define LATENCY_SUBS (1 << LATENCY_SUB_BITS)
// 8 + 61 * 8 = 496 buckets hold every u64; 512, a power of two, lets the BPF side mask an index
// into range where the verifier can see it.
#define LATENCY_BUCKETS 512
// Timed calls nested in one task (recursion included: __handle_changed_spte calls itself
// through handle_removed_pt).
#define LATENCY_DEPTH 16
#define TASK_ENTRIES 8192
#define HIST_ENTRIES 2048
// Bytes of the ring buffer for --slower-than events (a power of two number of pages).
#define SLOW_RING_BYTES (256 * 1024)

// floor(log2(v)) for v > 0, by halving: BPF has no count-leading-zeros instruction.
static inline __u32 latency_log2(__u64 v) {
  __u32 r = 0;
  if (v >> 32) { v >>= 32; r += 32; }
  if (v >> 16) { v >>= 16; r += 16; }
  if (v >> 8) { v >>= 8; r += 8; }
  if (v >> 4) { v >>= 4; r += 4; }
  if (v >> 2) { v >>= 2; r += 2; }
  if (v >> 1) { r += 1; }
  return r;
}

// The bucket of a duration in nanoseconds.
static inline __u32 latency_bucket(__u64 v) {
  if (v < LATENCY_SUBS) return (__u32)v;
  __u32 e = latency_log2(v);
  return LATENCY_SUBS + (e - LATENCY_SUB_BITS) * LATENCY_SUBS +
         (__u32)((v >> (e - LATENCY_SUB_BITS)) & (LATENCY_SUBS - 1));
}

// The lower bound of bucket i (0 for i past the last bucket: the bound would be 2^64).
static inline __u64 latency_bucket_low(__u32 i) {
  if (i < LATENCY_SUBS) return i;
  __u32 e = (i - LATENCY_SUBS) / LATENCY_SUBS + LATENCY_SUB_BITS;
  __u64 sub = (i - LATENCY_SUBS) % LATENCY_SUBS;
  if (e >= 64) return 0;
  return (LATENCY_SUBS + sub) << (e - LATENCY_SUB_BITS);
}

// One histogram per (probe, entry stack), keyed by struct count_key.
struct latency_value {
  __u64 count;
  __u64 total;         // nanoseconds
  __u64 max;           // nanoseconds
  __u64 min_inverted;  // ~min: kept as a maximum, so the zeroed value needs no sentinel
  __u64 buckets[LATENCY_BUCKETS];
};

// A timed call in progress: when it started, the stack at its entry and its probe.
struct task_frame {
  __u64 start;
  __s32 stackid; // a stack id (above); NO_STACKID when it could not be taken (the drop is counted)
  __u32 probe;
};

// Each task's timed calls in progress, innermost last.
struct task_stack {
  __u32 depth;
  __u32 overflow; // entries past LATENCY_DEPTH; their exits are the next ones, innermost first
  struct task_frame frames[LATENCY_DEPTH];
};

// One call slower than config.slower_than_ns, through the ring buffer.
struct slow_event {
  __u64 timestamp; // bpf_ktime_get_ns at exit (CLOCK_MONOTONIC)
  __u64 duration;
  __u32 tgid;
  __u32 tid;
  __u32 probe;
  __s32 stackid;
  char comm[COMM_LEN];
};

#endif // TDPTRACE_H
