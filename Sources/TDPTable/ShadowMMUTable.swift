extension ProbeTable {
  /// The shadow MMU (`mmu.c`, `paging_tmpl.h`): the paths that run on hosts without the TDP MMU
  /// (shadow paging, PVM, `tdp_mmu=N`). Its origins are named by the TDP MMU's path rules, which
  /// cover the same callers.
  public static let shadowMMU = ProbeTable(
    name: "shadow-mmu",
    summary: "KVM shadow MMU: fault, get-page, set-spte, zap, unmap",
    groups: [
      ProbeGroup(
        name: "fault", summary: "guest page faults",
        functions: [
          .init(["kvm_mmu_page_fault"]), .init(["paging64_page_fault"]), .init(["nonpaging_page_fault"]),
        ],
        tracepoints: [.init("kvm", "kvm_page_fault")]),
      ProbeGroup(
        name: "get-page", summary: "finding or allocating shadow pages",
        functions: [
          .init(["__kvm_mmu_get_shadow_page", "kvm_mmu_get_page"]), .init(["kvm_mmu_get_child_sp"]),
        ],
        tracepoints: [.init("kvmmmu", "kvm_mmu_get_page")]),
      ProbeGroup(
        name: "set-spte", summary: "installing SPTEs",
        functions: [.init(["mmu_set_spte"])],
        tracepoints: [.init("kvmmmu", "kvm_mmu_set_spte"), .init("kvmmmu", "kvm_mmu_spte_requested")]),
      ProbeGroup(
        name: "zap", summary: "zapping shadow pages",
        functions: [
          .init(["__kvm_mmu_prepare_zap_page"]), .init(["kvm_mmu_zap_all_fast"]),
          .init(["kvm_arch_flush_shadow_all"]),
        ],
        tracepoints: [.init("kvmmmu", "kvm_mmu_prepare_zap_page"), .init("kvmmmu", "kvm_mmu_zap_all_fast")]),
      ProbeGroup(
        name: "unmap", summary: "MMU notifier unmaps",
        functions: [.init(["kvm_unmap_gfn_range"])],
        tracepoints: [.init("kvm", "kvm_unmap_hva_range")]),
    ],
    pathRules: PathRule.tdpMMU)
}
