extension ProbeTable {
  /// KVM's TDP MMU (`arch/x86/kvm/mmu/tdp_mmu.c` and its callers in `mmu.c`), 5.15 through 6.18
  /// and linux-next. Groups in report order; see `ProbeGroup` for the order of names.
  ///
  /// Entries with `recorded: false` are not attached by `record`: they fire for every fault
  /// whatever the MMU (`kvm_tdp_page_fault`), are static helpers the compiler inlines
  /// (`tdp_mmu_alloc_sp`, `tdp_mmu_set_spte`), or sit outside the TDP MMU file
  /// (`kvm_arch_flush_shadow_all`). A saved capture that probed them is still filed correctly.
  public static let tdpMMU = ProbeTable(
    name: "tdp-mmu",
    summary: "KVM TDP MMU: map, init-sp, spte-change, zap, wrprot",
    groups: [
      ProbeGroup(
        name: "map", summary: "installing SPTEs on a fault",
        functions: [
          .init(["kvm_tdp_mmu_map"], timed: true),
          .init(["kvm_tdp_page_fault", "tdp_page_fault"], recorded: false, timed: true, fault: .outcome),
          // direct_page_fault is the TDP caller of kvm_tdp_mmu_map only up to 6.2.
          .init(["kvm_tdp_mmu_page_fault", "direct_page_fault"], recorded: false),
          .init(["tdp_mmu_link_sp", "tdp_mmu_link_page"]),
          // Inlined on Debian's 6.1: `probes` says so, and the QEMU guest checks it.
          .init(["tdp_mmu_map_handle_target_level"]),
        ],
        tracepoints: [
          .init("kvmmmu", "kvm_mmu_spte_requested"), .init("kvmmmu", "kvm_mmu_set_spte"),
          .init("kvm", "kvm_page_fault", recorded: false),
          // 5.16+ (vcpu, fault, sptep, old_spte, ret): fired when the lockless path was tried.
          .init("kvmmmu", "fast_page_fault", recorded: false, fault: true),
        ]),
      ProbeGroup(
        name: "init-sp", summary: "allocating and initialising shadow pages, roots included",
        functions: [
          .init(["tdp_mmu_init_sp", "alloc_tdp_mmu_page"]),
          .init(["tdp_mmu_alloc_sp"], recorded: false),
          .init(["kvm_tdp_mmu_alloc_root", "kvm_tdp_mmu_get_vcpu_root_hpa"]),
          .init(["tdp_mmu_init_child_sp"]),
        ],
        tracepoints: [.init("kvmmmu", "kvm_mmu_get_page")]),
      ProbeGroup(
        name: "spte-change", summary: "SPTE change bookkeeping",
        functions: [
          // Through 6.3 the set_spte helpers call the inner function directly, and it takes 7
          // arguments (fentry refuses it, kprobe works); from 6.4 on handle_changed_spte is it.
          .init(["__handle_changed_spte"], timed: true),
          // From 6.4 dirty-log clears and aging bypass it (issue 16): counting under
          // `--attach auto` takes the tracepoint there, which both emit (the guest's 6.12 spte
          // check finds the changes of kvm_tdp_mmu_clear_dirty_pt_masked without this frame).
          .init(
            ["handle_changed_spte"], timed: true,
            tracepointFrom: .init(
              KernelVersion(6, 4),
              "from 6.4 clear_dirty_pt_masked and the aging code change SPTEs without handle_changed_spte, calling trace_kvm_tdp_mmu_spte_changed themselves"
            )),
          // Inlined on Debian's 6.1: `probes` says so, and the QEMU guest checks it.
          .init(["handle_removed_pt", "handle_removed_tdp_mmu_page"]),
          .init(["kvm_tdp_mmu_set_spte_gfn", "set_spte_gfn"], recorded: false),
          .init(["tdp_mmu_set_spte", "__tdp_mmu_set_spte"], recorded: false),
        ],
        tracepoints: [.init("kvmmmu", "kvm_tdp_mmu_spte_changed", ledger: true)]),
      ProbeGroup(
        name: "zap", summary: "zapping SPTEs and roots",
        functions: [
          .init(["kvm_tdp_mmu_zap_leafs", "__kvm_tdp_mmu_zap_gfn_range"], timed: true),
          .init(["tdp_mmu_zap_leafs", "zap_gfn_range"]),
          .init(["kvm_tdp_mmu_unmap_gfn_range"], timed: true),
          .init(["kvm_tdp_mmu_zap_all"], timed: true),
          .init(["kvm_tdp_mmu_invalidate_roots", "kvm_tdp_mmu_invalidate_all_roots"]),
          .init(["kvm_tdp_mmu_zap_invalidated_roots"], timed: true),
          // One queued root zap per call (5.18 to 6.5): an operation of record --spte.
          .init(["tdp_mmu_zap_root_work"], ledger: .operation),
          .init(["__tdp_mmu_zap_root"], timed: true),
          .init(["tdp_mmu_zap_root"], timed: true),
          .init(["kvm_tdp_mmu_zap_possible_nx_huge_page", "kvm_tdp_mmu_zap_sp"]),
          .init(["kvm_tdp_mmu_put_root"]),
          .init(["kvm_arch_flush_shadow_all"], recorded: false),
          .init(["kvm_mmu_notifier_release"], recorded: false, ledger: .operation, lock: .holder),
        ],
        tracepoints: [
          // The TDP MMU emits it from handle_removed_pt, for each page table a zap unlinks; it is
          // a zap event, as in the shadow MMU, though handle_removed_pt is SPTE bookkeeping.
          .init("kvmmmu", "kvm_mmu_prepare_zap_page"), .init("kvmmmu", "kvm_mmu_zap_all_fast"),
          .init("kvm", "kvm_unmap_hva_range", recorded: false),
        ]),
      ProbeGroup(
        name: "wrprot", summary: "write protection and dirty logging",
        functions: [
          .init(["kvm_tdp_mmu_write_protect_gfn"]),
          .init(["kvm_tdp_mmu_wrprot_slot"], timed: true),
          .init(["kvm_tdp_mmu_clear_dirty_slot"], timed: true),
          .init(["kvm_tdp_mmu_clear_dirty_pt_masked"]),
          .init(["wrprot_gfn_range"], recorded: false),
          .init(["clear_dirty_gfn_range"], recorded: false),
          .init(["clear_dirty_pt_masked"], recorded: false),
          .init(["write_protect_gfn"], recorded: false),
        ]),
      ProbeGroup(
        name: "tlb-flush", summary: "remote TLB flushes (record --spte)",
        functions: [
          // Every flush of all vCPUs ends here; the range and memslot flushes call it when the
          // hardware has no ranged flush.
          .init(["kvm_flush_remote_tlbs"], recorded: false, ledger: .flush),
          // kvm_main.c from 6.5; x86's mmu.c before.
          .init(
            ["kvm_flush_remote_tlbs_range", "kvm_flush_remote_tlbs_with_address"], recorded: false,
            ledger: .flush),
          .init(
            ["kvm_flush_remote_tlbs_memslot", "kvm_arch_flush_remote_tlbs_memslot"], recorded: false,
            ledger: .flush),
        ]),
      ProbeGroup(
        name: "extra", summary: "huge page split and recovery, aging",
        functions: [
          .init(["kvm_tdp_mmu_try_split_huge_pages"], recorded: false, timed: true),
          .init(["tdp_mmu_split_huge_pages_root"], recorded: false),
          .init(["tdp_mmu_split_huge_page"], recorded: false),
          .init(["kvm_tdp_mmu_recover_huge_pages", "kvm_tdp_mmu_zap_collapsible_sptes"], recorded: false),
          .init(["kvm_tdp_mmu_age_gfn_range"], recorded: false),
          .init(["kvm_tdp_mmu_test_age_gfn"], recorded: false),
        ],
        tracepoints: [
          .init("kvmmmu", "kvm_mmu_split_huge_page", recorded: false, ledger: true),
          .init("kvm", "kvm_age_hva", recorded: false), .init("kvm", "kvm_test_age_hva", recorded: false),
        ]),
      ProbeGroup(
        name: "callers",
        summary:
          "the callers MMU developers time (fault entry, memslot, notifier, fast zap) and the operations record --spte brackets",
        functions: [
          .init(["kvm_mmu_page_fault"], recorded: false, timed: true, fault: .fault, lock: .vcpu),
          .init(["kvm_mmu_zap_all_fast"], recorded: false, timed: true, lock: .holder),
          // VM destroy's whole zap under write_lock (6.1; inlined or gone on later kernels).
          .init(["kvm_mmu_zap_all"], recorded: false, lock: .holder),
          // The operation roots of record --spte (kvm_main.c, in kallsyms of 6.1 and 6.12): each
          // returns once its operation is done.
          // A holder bracket wider than its write_lock (6.12 zaps the slot's leaves inside it,
          // 6.1 calls kvm_mmu_zap_all_fast, the innermost, which wins).
          .init(["kvm_set_memslot"], recorded: false, timed: true, ledger: .operation, lock: .holder),
          .init(
            ["kvm_mmu_notifier_invalidate_range_start"], recorded: false, timed: true, ledger: .operation,
            lock: .holder),
          .init(["kvm_mmu_notifier_clear_flush_young"], recorded: false, ledger: .operation),
          .init(["kvm_mmu_notifier_clear_young"], recorded: false, ledger: .operation),
          .init(["kvm_get_dirty_log_protect"], recorded: false, ledger: .operation, lock: .holder),
          .init(["kvm_clear_dirty_log_protect"], recorded: false, ledger: .operation, lock: .holder),
          .init(["kvm_dirty_ring_reset"], recorded: false, ledger: .operation),
          .init(["kvm_destroy_vm"], recorded: false, ledger: .operation),
          // One NX huge page recovery run: the vhost task (6.13, and 6.12.y, whose kallsyms has
          // its _kill beside it) calls it once per period. 6.1's kvm_nx_lpage_recovery_worker is
          // the kthread's loop and never returns, so it is no root: its zaps stay outside any
          // operation.
          .init(["kvm_nx_huge_page_recovery_worker"], recorded: false, ledger: .operation, lock: .holder),
        ]),
    ],
    pathRules: PathRule.tdpMMU)

  /// `record --spte`'s preset: the entries of `tdpMMU` in the SPTE ledger (the change
  /// tracepoint, huge page splits, remote TLB flushes), each group keeping its name.
  public static let tdpMMUSPTE = ProbeTable(
    name: "tdp-mmu-spte",
    summary: "KVM TDP MMU SPTE ledger: SPTE changes by level and kind, huge page splits, remote TLB flushes",
    groups: tdpMMU.groups.compactMap { group in
      let functions = group.functions.filter(\.ledger).map {
        ProbeGroup.Function($0.names, ledger: $0.ledgerRole)
      }
      let tracepoints = group.tracepoints.filter(\.ledger).map {
        ProbeGroup.Tracepoint($0.system, $0.event, ledger: true)
      }
      return functions.isEmpty && tracepoints.isEmpty
        ? nil
        : ProbeGroup(name: group.name, summary: group.summary, functions: functions, tracepoints: tracepoints)
    },
    pathRules: PathRule.tdpMMU)

  /// `record --latency`'s preset: the entries of `tdpMMU` marked timed, each group keeping its
  /// name, so a latency capture's probes are filed like a count capture's.
  public static let tdpMMULatency = ProbeTable(
    name: "tdp-mmu-latency",
    summary: "KVM TDP MMU latency: fault path, zaps, dirty logging and splits, and their callers",
    groups: tdpMMU.groups.compactMap { group in
      let timed = group.functions.filter(\.timed).map {
        ProbeGroup.Function($0.names, recorded: true, timed: true)
      }
      return timed.isEmpty ? nil : ProbeGroup(name: group.name, summary: group.summary, functions: timed)
    },
    pathRules: PathRule.tdpMMU)

  /// `record --faults`'s preset: the entries of `tdpMMU` with a fault role, one group per role
  /// and one for the fast path's tracepoint, so a group's function never keeps the tracepoint
  /// out (`ProbePlan`).
  public static let tdpMMUFaults = ProbeTable(
    name: "tdp-mmu-faults",
    summary: "KVM page faults: duration, outcome (RET_PF_*), fast path and levels, per VM and vCPU",
    groups: ProbeGroup.FaultRole.allCases.map { role in
      ProbeGroup(
        name: "fault-" + role.rawValue,
        summary: role == .fault ? "the fault, entry to exit" : "the TDP fault handler",
        functions: tdpMMU.groups.flatMap(\.functions).filter { $0.faultRole == role }.map {
          ProbeGroup.Function($0.names, fault: role)
        })
    } + [
      ProbeGroup(
        name: "fault-fast-path", summary: "the lockless fast path", functions: [],
        tracepoints: tdpMMU.groups.flatMap(\.tracepoints).filter(\.fault).map {
          ProbeGroup.Tracepoint($0.system, $0.event, fault: true)
        })
    ],
    pathRules: PathRule.tdpMMU)

  /// `record --mmu-lock`'s preset: the vCPU entry that names each VM's `mmu_lock`, the
  /// contention tracepoints, and the write holders, one group each.
  public static let tdpMMULock = ProbeTable(
    name: "tdp-mmu-lock",
    summary: "KVM mmu_lock waits: by waiter path and mode, blamed on the write holder inside when each ended",
    groups: [
      ProbeGroup(
        name: "lock-vcpu", summary: "the vCPU entry naming each VM's mmu_lock",
        functions: tdpMMU.groups.flatMap(\.functions).filter { $0.lockRole == .vcpu }.map {
          ProbeGroup.Function($0.names, lock: .vcpu)
        }),
      ProbeGroup(
        name: "lock-wait", summary: "waiting for a contended lock", functions: [],
        tracepoints: ["contention_begin", "contention_end"].map {
          ProbeGroup.Tracepoint("lock", $0, lockWait: true)
        }),
      ProbeGroup(
        name: "lock-holder", summary: "the paths that take mmu_lock for write",
        functions: tdpMMU.groups.flatMap(\.functions).filter { $0.lockRole == .holder }.map {
          ProbeGroup.Function($0.names, lock: .holder)
        }),
    ],
    pathRules: PathRule.tdpMMU)
}
