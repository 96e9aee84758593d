/// A named set of probe groups. Each group names one path through the MMU: the functions on it,
/// under every name they have had across kernel versions, and the tracepoints on the same path.
/// Functions that resolve on this kernel are attached; a group whose functions all fail falls
/// back to its tracepoints (see `ProbePlan`).
public struct Preset: Sendable, Hashable {
  public struct Group: Sendable, Hashable {
    public var name: String
    /// Kernel functions, newest name last where renamed; absent ones are skipped with a reason.
    public var functions: [String]
    /// `(category, name)` tracepoints on the same path.
    public var tracepoints: [ProbeSpec]
  }

  public var name: String
  public var summary: String
  public var groups: [Group]

  public static func named(_ name: String) throws(LiveCaptureError) -> Preset {
    guard let preset = all.first(where: { $0.name == name }) else { throw .unknownPreset(name) }
    return preset
  }

  public static let all: [Preset] = [tdpMMU, shadowMMU]

  /// KVM's TDP MMU (`arch/x86/kvm/mmu/tdp_mmu.c`), 5.15 through 6.18 and linux-next.
  public static let tdpMMU = Preset(
    name: "tdp-mmu",
    summary: "KVM TDP MMU: map, init-sp, spte-change, zap, wrprot",
    groups: [
      Group(
        name: "map",
        // tdp_mmu_map_handle_target_level: inlined on Debian's 6.1 (the QEMU guest checks it).
        functions: [
          "kvm_tdp_mmu_map", "tdp_mmu_link_page", "tdp_mmu_link_sp", "tdp_mmu_map_handle_target_level",
        ],
        tracepoints: [
          .tracepoint("kvmmmu", "kvm_mmu_spte_requested"), .tracepoint("kvmmmu", "kvm_mmu_set_spte"),
        ]),
      Group(
        name: "init-sp",
        functions: [
          "alloc_tdp_mmu_page", "tdp_mmu_init_sp", "tdp_mmu_init_child_sp",
          "kvm_tdp_mmu_get_vcpu_root_hpa", "kvm_tdp_mmu_alloc_root",
        ],
        tracepoints: [.tracepoint("kvmmmu", "kvm_mmu_get_page")]),
      Group(
        name: "spte-change",
        // __handle_changed_spte through 6.3 (7 arguments: fentry refuses it, kprobe works);
        // handle_changed_spte from 6.4 on.
        // handle_removed_pt: inlined on Debian's 6.1 (probes says so; the QEMU guest checks it).
        functions: ["__handle_changed_spte", "handle_changed_spte", "handle_removed_pt"],
        tracepoints: [.tracepoint("kvmmmu", "kvm_tdp_mmu_spte_changed")]),
      Group(
        name: "zap",
        functions: [
          "__kvm_tdp_mmu_zap_gfn_range", "zap_gfn_range", "kvm_tdp_mmu_zap_leafs", "tdp_mmu_zap_leafs",
          "kvm_tdp_mmu_zap_all", "__tdp_mmu_zap_root", "tdp_mmu_zap_root", "tdp_mmu_zap_root_work",
          "kvm_tdp_mmu_zap_sp", "kvm_tdp_mmu_zap_possible_nx_huge_page",
          "kvm_tdp_mmu_invalidate_all_roots", "kvm_tdp_mmu_invalidate_roots",
          "kvm_tdp_mmu_zap_invalidated_roots", "kvm_tdp_mmu_unmap_gfn_range", "kvm_tdp_mmu_put_root",
        ],
        tracepoints: [
          .tracepoint("kvmmmu", "kvm_mmu_prepare_zap_page"), .tracepoint("kvmmmu", "kvm_mmu_zap_all_fast"),
        ]),
      Group(
        name: "wrprot",
        functions: [
          "kvm_tdp_mmu_write_protect_gfn", "kvm_tdp_mmu_wrprot_slot", "kvm_tdp_mmu_clear_dirty_slot",
          "kvm_tdp_mmu_clear_dirty_pt_masked",
        ],
        tracepoints: []),
    ])

  /// The shadow MMU (`mmu.c`, `paging_tmpl.h`): the paths that run on hosts without the TDP MMU
  /// (shadow paging, PVM, `tdp_mmu=N`).
  public static let shadowMMU = Preset(
    name: "shadow-mmu",
    summary: "KVM shadow MMU: fault, get-page, set-spte, zap, unmap",
    groups: [
      Group(
        name: "fault",
        functions: ["kvm_mmu_page_fault", "paging64_page_fault", "nonpaging_page_fault"],
        tracepoints: [.tracepoint("kvm", "kvm_page_fault")]),
      Group(
        name: "get-page",
        functions: ["kvm_mmu_get_page", "__kvm_mmu_get_shadow_page", "kvm_mmu_get_child_sp"],
        tracepoints: [.tracepoint("kvmmmu", "kvm_mmu_get_page")]),
      Group(
        name: "set-spte",
        functions: ["mmu_set_spte"],
        tracepoints: [
          .tracepoint("kvmmmu", "kvm_mmu_set_spte"), .tracepoint("kvmmmu", "kvm_mmu_spte_requested"),
        ]),
      Group(
        name: "zap",
        functions: ["__kvm_mmu_prepare_zap_page", "kvm_mmu_zap_all_fast", "kvm_arch_flush_shadow_all"],
        tracepoints: [
          .tracepoint("kvmmmu", "kvm_mmu_prepare_zap_page"), .tracepoint("kvmmmu", "kvm_mmu_zap_all_fast"),
        ]),
      Group(
        name: "unmap",
        functions: ["kvm_unmap_gfn_range"],
        tracepoints: [.tracepoint("kvm", "kvm_unmap_hva_range")]),
    ])
}
