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
  DROP_OPS_FULL = 10,          // record --spte: an operation ended and the ops map had no room
  DROP_REASONS,                // not a reason: their number, the stride of the drops array
};

// The drops array holds DROP_REASONS counters per probe: probes * DROP_REASONS entries, and this
// index for (probe, reason). Both sides call it, so the layout cannot drift.
static inline __u32 drop_index(__u32 probe, __u32 reason) { return probe * DROP_REASONS + reason; }

// The key of the counts hash: one count per (probe, stack, spte). The latency histograms use the
// same key with spte 0.
struct count_key {
  __u32 probe;
  __s32 stackid; // a stack id: see below
  __u32 spte;    // record --spte: the change's spte_change_key (below); 0 for every other probe
  __u32 op;      // record --spte: the operation the change or split fell in (op_record.op); 0: none
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

// --- record --spte ------------------------------------------------------------------------
// kvmmmu:kvm_tdp_mmu_spte_changed(as_id, gfn, level, old_spte, new_spte) is counted per stack by
// (level, class of old, class of new, pfn changed), the classes computed here by KVM's own
// predicates (arch/x86/kvm/mmu/spte.h) under the running kernel's masks. Swift's SPTEClass calls
// the same spte_class, so the kernel side and the tests cannot disagree.

// KVM's SPTE bits that are #defines, the same on every kernel with the TDP MMU tracepoint.
#define SPTE_MMU_PRESENT_MASK (1ULL << 11) // is_shadow_present_pte, since 5.13
#define SPTE_WRITABLE_MASK (1ULL << 1)     // PT_WRITABLE_MASK, also EPT's W
#define SPTE_LARGE_MASK (1ULL << 7)        // PT_PAGE_SIZE_MASK: is_large_pte
#define SPTE_TDP_AD_MASK (3ULL << 52)      // SPTE_TDP_AD_MASK, and its SPTE_TDP_AD_DISABLED value
#define SPTE_TDP_AD_DISABLED (1ULL << 52)
#define SPTE_PFN_MASK 0x000ffffffffff000ULL // SPTE_BASE_ADDR_MASK without CONFIG_DYNAMIC_PHYSICAL_MASK
// Every value REMOVED_SPTE / FROZEN_SPTE has had: 0x5a0 (5.11-6.9), SHADOW_NONPRESENT_VALUE |
// 0x5a0 (6.10 on) and SHADOW_NONPRESENT_VALUE | 0x498 (later). None is present or MMIO under any
// masks.
#define SPTE_FROZEN_OLD 0x5a0ULL
#define SPTE_FROZEN_610 ((1ULL << 63) | 0x5a0ULL)
#define SPTE_FROZEN_NEW ((1ULL << 63) | 0x498ULL)

// The class bits (SPTEClass in Sources/TDPTable/SPTEClass.swift names them).
#define SPTE_CLASS_PRESENT (1u << 0)
#define SPTE_CLASS_LEAF (1u << 1)
#define SPTE_CLASS_WRITABLE (1u << 2)
#define SPTE_CLASS_ACCESSED (1u << 3)
#define SPTE_CLASS_DIRTY (1u << 4)
#define SPTE_CLASS_EXECUTABLE (1u << 5)
#define SPTE_CLASS_MMIO (1u << 6)
#define SPTE_CLASS_FROZEN (1u << 7)

// KVM's shadow_*_mask globals (arch/x86/kvm/mmu/spte.c), in the order of SPTEMasks.names.
#define SPTE_MASKS 9
struct spte_masks {
  __u64 present;      // shadow_present_mask
  __u64 user;         // shadow_user_mask
  __u64 x;            // shadow_x_mask
  __u64 nx;           // shadow_nx_mask
  __u64 accessed;     // shadow_accessed_mask
  __u64 dirty;        // shadow_dirty_mask
  __u64 access_track; // shadow_acc_track_mask
  __u64 mmio_value;   // shadow_mmio_value
  __u64 mmio_mask;    // shadow_mmio_mask
};

// The masks the classes are computed under, the BPF object's only .bss variable (the user side
// reads and writes it through libbpf's mapping of .bss).
struct spte_mask_state {
  struct spte_masks masks;
  __u32 read; // bit i set: mask i was read from the kernel
  __u32 pad;
};

// The class of spte at level (1 = 4K): is_frozen_spte, is_mmio_spte, is_shadow_present_pte,
// is_last_spte, is_writable_pte, is_accessed_spte, is_dirty_spte, is_executable_pte.
static inline __u32 spte_class(__u64 spte, __u32 level, const struct spte_masks *m) {
  if (spte == SPTE_FROZEN_OLD || spte == SPTE_FROZEN_610 || spte == SPTE_FROZEN_NEW)
    return SPTE_CLASS_FROZEN;
  if (!(spte & SPTE_MMU_PRESENT_MASK)) {
    if (m->mmio_value != 0 && (spte & m->mmio_mask) == m->mmio_value)
      return SPTE_CLASS_MMIO;
    return 0;
  }
  __u32 c = SPTE_CLASS_PRESENT;
  if (level == 1 || (spte & SPTE_LARGE_MASK))
    c |= SPTE_CLASS_LEAF;
  if (spte & SPTE_WRITABLE_MASK)
    c |= SPTE_CLASS_WRITABLE;
  // spte_ad_enabled: without A/D bits KVM tracks access by clearing the RWX bits
  // (is_access_track_spte) and dirtiness by write protection.
  int ad = (spte & SPTE_TDP_AD_MASK) != SPTE_TDP_AD_DISABLED && m->accessed != 0;
  if (ad ? (spte & m->accessed) != 0 : ((spte & m->access_track) != 0 || m->access_track == 0))
    c |= SPTE_CLASS_ACCESSED;
  if (ad ? (spte & m->dirty) != 0 : (spte & SPTE_WRITABLE_MASK) != 0)
    c |= SPTE_CLASS_DIRTY;
  if ((spte & (m->x | m->nx)) == m->x)
    c |= SPTE_CLASS_EXECUTABLE;
  return c;
}

// Whether a present -> present change moved the SPTE to another pfn.
static inline __u32 spte_pfn_changed(__u64 old_spte, __u64 new_spte, __u32 old_class, __u32 new_class) {
  return (old_class & new_class & SPTE_CLASS_PRESENT) && ((old_spte ^ new_spte) & SPTE_PFN_MASK) != 0;
}

// count_key.spte for one change: never 0 (bit 24 is always set), so it cannot be mistaken for an
// ordinary probe's key. Levels above 255 are clamped to 255.
#define SPTE_KEY_MARK (1u << 24)
#define SPTE_KEY_PFN_CHANGED (1u << 25)
static inline __u32 spte_change_key(__u32 level, __u32 old_class, __u32 new_class, __u32 pfn_changed) {
  return (level > 255 ? 255 : level) | (old_class & 0xff) << 8 | (new_class & 0xff) << 16 | SPTE_KEY_MARK |
         (pfn_changed ? SPTE_KEY_PFN_CHANGED : 0);
}

// count_key.spte for one huge page split (kvmmmu:kvm_mmu_split_huge_page, 5.18+): the level of
// the huge SPTE and the errno's magnitude (0: split; the tracepoint passes 0 or -errno), marked
// by bit 26 so that it is neither a change nor an ordinary probe's 0.
#define SPLIT_KEY_MARK (1u << 26)
static inline __u32 split_key(__u32 level, __s32 err) {
  __u32 magnitude = err < 0 ? (__u32)-err : (__u32)err;
  return (level > 255 ? 255 : level) | (magnitude > 255 ? 255 : magnitude) << 8 | SPLIT_KEY_MARK;
}

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
  // record --spte: the kernel addresses of the shadow_*_mask globals (struct spte_masks order),
  // from kallsyms; 0 where kallsyms does not list one. tdp_spte_masks reads them once.
  __u64 spte_mask_addrs[SPTE_MASKS];
  // record --faults: byte offsets read from the kernel's BTF (struct kvm_vcpu's vcpu_id, struct
  // kvm_page_fault's gfn, req_level and goal_level), -1 where BTF has none; and the value of
  // RET_PF_RETRY, -1 when unknown (no runs are tracked then).
  __s32 vcpu_id_offset;
  __s32 pf_gfn_offset;
  __s32 pf_req_level_offset;
  __s32 pf_goal_level_offset;
  __s32 ret_pf_retry;
  // record --mmu-lock: struct kvm_vcpu's kvm and struct kvm's mmu_lock, -1 where BTF has none.
  __s32 vcpu_kvm_offset;
  __s32 kvm_mmu_lock_offset;
  __u32 pad3;
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

// --- record --spte: operations ------------------------------------------------------------
// One top-level operation (a memslot ioctl, an MMU notifier invalidation, a dirty-log call, a VM
// destroy: the table's operation roots) from its root's entry to its exit in one task. The SPTE
// changes and splits the task makes meanwhile carry its id in count_key.op; the flushes and the
// present leaves it zapped are counted here. Nested roots belong to the outermost.
#define OP_ENTRIES 8192
struct op_record {
  __u32 op;       // from 1, in the order operations began
  __u32 probe;    // the root's probe id
  __u32 depth;    // roots entered and not yet returned in this task (the outermost is this op)
  __s32 stackid;  // the stack at the root's entry
  __u32 tgid;
  __u32 tid;
  __u64 start;    // bpf_ktime_get_ns at entry
  __u64 duration; // entry to exit, ns; 0 while running
  __u64 changes;  // SPTE changes
  __u64 leaf_zaps;  // present leaves made not present (zap, freeze)
  __u64 unflushed;  // of those, the ones no remote TLB flush followed before the root returned
  __u64 flushes;  // remote TLB flush calls
  __u64 splits;   // huge page splits
  char comm[COMM_LEN];
};
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

// --- record --faults -----------------------------------------------------------------------
// A fault runs from kvm_mmu_page_fault's entry to its exit in one task (the vCPU thread), with the
// TDP fault handler (kvm_tdp_page_fault) and kvmmmu:fast_page_fault inside it. Each task's fault
// in progress, and its run of retries, is a fault_task; each ended fault is counted and timed
// under its fault_key in `faults` (a latency_value, as record --latency's histograms).

#define FAULT_ENTRIES 4096     // distinct fault keys
#define FAULT_NONE (-100000)   // outcome / fast: no handler returned, the fast path was not tried
#define FAULT_NO_VCPU 0xffffffffu
#define FAULT_NO_LEVEL 0xffu

struct fault_key {
  __u32 tgid;       // the VMM process
  __u32 vcpu;       // vcpu->vcpu_id; FAULT_NO_VCPU when BTF gave no offset or the read failed
  __s32 outcome;    // the TDP fault handler's return (RET_PF_*); FAULT_NONE
  __s32 fast;       // kvmmmu:fast_page_fault's ret; FAULT_NONE when it did not fire
  __s32 stackid;    // the stack at kvm_mmu_page_fault's entry
  __u8 req_level;   // fault->req_level at the handler's return; FAULT_NO_LEVEL
  __u8 goal_level;  // fault->goal_level, the level installed
  __u16 pad;
};

struct fault_task {
  __u64 start;       // bpf_ktime_get_ns at kvm_mmu_page_fault's entry; 0 between faults
  __u64 vcpu_ptr;    // its struct kvm_vcpu *
  __u64 fault_ptr;   // the handler's struct kvm_page_fault *; 0 until it is entered
  __u64 gfn;         // fault->gfn at the handler's return
  struct fault_key key;
  __u32 pad;
  __u64 last_gfn;    // the gfn of the run of RET_PF_RETRY going on
  __u64 run;         // its length; 0 after any other outcome
  __u64 max_run;     // the longest run seen in this task
  __u64 max_run_gfn; // its gfn
};

// --- record --mmu-lock ---------------------------------------------------------------------
// A vCPU's entry (kvm_mmu_page_fault) registers its VM's &kvm->mmu_lock in mmu_locks, with the
// VMM's tgid, and its thread's vcpu_id in lock_vcpus. lock:contention_begin/end on a registered
// lock time one wait of the task; each wait is counted and timed under its lock_key in
// lock_waits, blamed on the innermost write holder (the functions of the preset's lock-holder
// group) of the same VM inside at its end.

#define LOCK_ENTRIES 64          // watched mmu_locks (VMs)
#define LOCK_WAIT_ENTRIES 4096   // distinct lock keys
#define HOLDER_DEPTH 4
#define NO_HOLDER (-1)

#define NO_VCPU (-1)

struct lock_key {
  __u32 tgid;     // the VM (VMM pid) whose mmu_lock it is
  __s32 vcpu;     // the waiter's vcpu_id when it is a vCPU thread (one that faulted); NO_VCPU
  __u32 flags;    // contention_begin's flags (LCB_F_READ 2, LCB_F_WRITE 4, ...)
  __s32 holder;   // the probe id of the innermost write holder inside at the wait's end; NO_HOLDER
  __s32 stackid;  // the waiter's stack at contention_begin
  __u32 pad;
};

struct lock_wait {
  __u64 start;    // bpf_ktime_get_ns at contention_begin; 0: not waiting on a watched lock
  __u64 lock;
  __u32 flags;
  __s32 stackid;
  __s32 vcpu;
  __u32 pad;
};

// The write holders of one VM inside their bracket, entered by one task (outermost first): a
// second task entering a holder of the same VM while the first is inside is not the holder
// (only one can hold mmu_lock for write), and is counted in `overlaps`.
struct lock_holders {
  __u32 tid;
  __u32 depth;
  __s32 probes[HOLDER_DEPTH];
  __u64 overlaps;
};

// The attribution rules, here so the user side's tests run the same code the BPF program does
// (LockCaptureTests): task `tid` enters holder `probe` of the VM; leaves the innermost
// holder it entered; the holder a wait ending now is blamed on (NO_HOLDER: none inside).
static inline void holders_enter(struct lock_holders *h, __u32 tid, __s32 probe) {
  if (h->depth > 0 && h->tid != tid) {
    h->overlaps++;
    return;
  }
  __u32 depth = h->depth;
  h->tid = tid;
  if (depth < HOLDER_DEPTH)
    h->probes[depth & (HOLDER_DEPTH - 1)] = probe;
  h->depth = depth + 1; // deeper than HOLDER_DEPTH: counted so the exits balance
}

static inline void holders_exit(struct lock_holders *h, __u32 tid) {
  if (h->depth > 0 && h->tid == tid)
    h->depth--;
}

static inline __s32 holders_innermost(const struct lock_holders *h) {
  __u32 depth = h->depth;
  if (depth == 0)
    return NO_HOLDER;
  // The index is bounded by a compare on itself: 6.1's verifier does not learn depth >= 1
  // from the test above, so min(depth, HOLDER_DEPTH) - 1 (whose mask clang drops) reads to
  // it as possibly -1 and the program is refused.
  __u32 i = depth - 1;
  if (i >= HOLDER_DEPTH)
    i = HOLDER_DEPTH - 1;
  return h->probes[i];
}

#endif // TDPTRACE_H
