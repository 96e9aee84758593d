/// The TDP MMU probe groups (map, init-sp, spte-change, zap, wrprot, extra) as data: which kernel
/// functions and tracepoints belong to each, across kernel versions.
///
/// Shared by `record --preset tdp-mmu` (which attaches the first name of each entry that the
/// running kernel has) and by `report --tdp` (which files each sample's probe under its group).
/// Sources: research/kvm-probes.md §1 and §4 (5.15 through linux-next, and the 6.18 host).
public struct TDPGroup: Sendable, Hashable {
  /// How often a probe in the entry fires, as an order of magnitude (kvm-probes.md §4).
  public enum Rate: String, Sendable, Hashable {
    /// Per shadow page or per event: at most a few thousand per VM lifetime.
    case low
    /// Per fault: 10k–100k.
    case medium
    /// Per SPTE: 100k–1M per VM boot or teardown; aggregate in the kernel.
    case high
  }

  /// One probe point: candidate function names in preference order (newest name first, then
  /// the names older kernels used). A recorder attaches the first one that resolves.
  public struct Entry: Sendable, Hashable {
    public var functions: [String]
    public var rate: Rate
    /// Tracepoint (`system:event`) that sees the same thing when function probes are impossible.
    public var tracepoint: String?
    /// Usually inlined, so usually absent from kallsyms; skipped silently when it does not resolve.
    public var oftenInlined: Bool

    public init(_ functions: [String], rate: Rate, tracepoint: String? = nil, oftenInlined: Bool = false) {
      self.functions = functions
      self.rate = rate
      self.tracepoint = tracepoint
      self.oftenInlined = oftenInlined
    }
  }

  /// `map`, `init-sp`, `spte-change`, `zap`, `wrprot`, `extra`.
  public var name: String
  public var summary: String
  public var entries: [Entry]
  /// Tracepoints whose events belong to this group even without a matching function entry.
  public var tracepoints: [String]

  public init(name: String, summary: String, entries: [Entry], tracepoints: [String] = []) {
    self.name = name
    self.summary = summary
    self.entries = entries
    self.tracepoints = tracepoints
  }

  /// Every function name of every entry.
  public var functions: [String] { entries.flatMap(\.functions) }
}

extension TDPGroup {
  /// The groups in report order. Function names are unique across groups.
  public static let all: [TDPGroup] = [
    TDPGroup(
      name: "map", summary: "installing SPTEs on a fault",
      entries: [
        Entry(["kvm_tdp_mmu_map"], rate: .medium, tracepoint: "kvmmmu:kvm_mmu_spte_requested"),
        Entry(["kvm_tdp_page_fault", "tdp_page_fault"], rate: .medium, tracepoint: "kvm:kvm_page_fault"),
        // direct_page_fault is the TDP caller of kvm_tdp_mmu_map only up to 6.2.
        Entry(["kvm_tdp_mmu_page_fault", "direct_page_fault"], rate: .medium, oftenInlined: true),
        Entry(["tdp_mmu_link_sp", "tdp_mmu_link_page"], rate: .medium),
        Entry(
          ["tdp_mmu_map_handle_target_level"], rate: .medium, tracepoint: "kvmmmu:kvm_mmu_set_spte",
          oftenInlined: true),
      ],
      tracepoints: ["kvmmmu:kvm_mmu_spte_requested", "kvmmmu:kvm_mmu_set_spte", "kvm:kvm_page_fault"]),
    TDPGroup(
      name: "init-sp", summary: "allocating and initialising shadow pages, roots included",
      entries: [
        Entry(
          ["tdp_mmu_init_sp", "alloc_tdp_mmu_page", "tdp_mmu_alloc_sp"], rate: .low,
          tracepoint: "kvmmmu:kvm_mmu_get_page"),
        Entry(["kvm_tdp_mmu_alloc_root", "kvm_tdp_mmu_get_vcpu_root_hpa"], rate: .low),
        Entry(["tdp_mmu_init_child_sp"], rate: .low, oftenInlined: true),
      ],
      tracepoints: ["kvmmmu:kvm_mmu_get_page"]),
    TDPGroup(
      name: "spte-change", summary: "SPTE change bookkeeping",
      entries: [
        // Before 6.4 the set_spte helpers call the inner function directly; probe it first.
        Entry(
          ["__handle_changed_spte", "handle_changed_spte"], rate: .high,
          tracepoint: "kvmmmu:kvm_tdp_mmu_spte_changed"),
        Entry(
          ["handle_removed_pt", "handle_removed_tdp_mmu_page"], rate: .medium,
          tracepoint: "kvmmmu:kvm_mmu_prepare_zap_page", oftenInlined: true),
        Entry(["kvm_tdp_mmu_set_spte_gfn", "set_spte_gfn"], rate: .low),
        Entry(["__tdp_mmu_set_spte", "tdp_mmu_set_spte"], rate: .high, oftenInlined: true),
      ],
      tracepoints: ["kvmmmu:kvm_tdp_mmu_spte_changed", "kvmmmu:kvm_mmu_prepare_zap_page"]),
    TDPGroup(
      name: "zap", summary: "zapping SPTEs and roots",
      entries: [
        Entry(["kvm_tdp_mmu_zap_leafs", "__kvm_tdp_mmu_zap_gfn_range"], rate: .low),
        Entry(["tdp_mmu_zap_leafs", "zap_gfn_range"], rate: .low),
        Entry(["kvm_tdp_mmu_unmap_gfn_range"], rate: .low, tracepoint: "kvm:kvm_unmap_hva_range"),
        Entry(["kvm_tdp_mmu_zap_all"], rate: .low),
        Entry(["kvm_tdp_mmu_invalidate_roots", "kvm_tdp_mmu_invalidate_all_roots"], rate: .low),
        Entry(["kvm_tdp_mmu_zap_invalidated_roots"], rate: .low, tracepoint: "kvmmmu:kvm_mmu_zap_all_fast"),
        Entry(["tdp_mmu_zap_root_work"], rate: .low),
        Entry(["tdp_mmu_zap_root", "__tdp_mmu_zap_root"], rate: .low),
        Entry(["kvm_tdp_mmu_zap_possible_nx_huge_page", "kvm_tdp_mmu_zap_sp"], rate: .low),
        Entry(["kvm_tdp_mmu_put_root"], rate: .low),
        Entry(["kvm_arch_flush_shadow_all"], rate: .low),
        Entry(["kvm_mmu_notifier_release"], rate: .low),
      ],
      tracepoints: ["kvm:kvm_unmap_hva_range", "kvmmmu:kvm_mmu_zap_all_fast"]),
    TDPGroup(
      name: "wrprot", summary: "write protection and dirty logging",
      entries: [
        Entry(["kvm_tdp_mmu_wrprot_slot"], rate: .low),
        Entry(["kvm_tdp_mmu_clear_dirty_slot"], rate: .low),
        Entry(["kvm_tdp_mmu_clear_dirty_pt_masked"], rate: .low),
        Entry(["kvm_tdp_mmu_write_protect_gfn"], rate: .low),
        Entry(
          ["wrprot_gfn_range", "clear_dirty_gfn_range", "clear_dirty_pt_masked", "write_protect_gfn"],
          rate: .low),
      ]),
    TDPGroup(
      name: "extra", summary: "huge page split and recovery, aging",
      entries: [
        Entry(["kvm_tdp_mmu_try_split_huge_pages"], rate: .low, tracepoint: "kvmmmu:kvm_mmu_split_huge_page"),
        Entry(["tdp_mmu_split_huge_pages_root"], rate: .low),
        Entry(["tdp_mmu_split_huge_page"], rate: .low),
        Entry(["kvm_tdp_mmu_recover_huge_pages", "kvm_tdp_mmu_zap_collapsible_sptes"], rate: .low),
        Entry(["kvm_tdp_mmu_age_gfn_range"], rate: .medium, tracepoint: "kvm:kvm_age_hva"),
        Entry(["kvm_tdp_mmu_test_age_gfn"], rate: .medium, tracepoint: "kvm:kvm_test_age_hva"),
      ],
      tracepoints: ["kvmmmu:kvm_mmu_split_huge_page", "kvm:kvm_age_hva", "kvm:kvm_test_age_hva"]),
  ]

  /// The group `name` belongs to: a function name, a tracepoint (`kvmmmu:kvm_mmu_get_page`), or
  /// a bpftrace/perf probe spelling of either (`kprobe:tdp_mmu_init_sp`, `kfunc:kvm:...`,
  /// `tracepoint:kvmmmu:kvm_mmu_get_page`, `tracepoint_btf:kvm_mmu_get_page`). Compiler clone
  /// suffixes (`.isra.0`, `.cold`) are ignored.
  public static func group(of name: String) -> TDPGroup? {
    let probe = TDPProbeName(name)
    if let tracepoint = probe.tracepoint,
      let group = all.first(where: { $0.tracepoints.contains(tracepoint) })
    {
      return group
    }
    if let group = all.first(where: { $0.functions.contains(probe.function) }) { return group }
    // tp_btf and raw tracepoints name the event without its system.
    return all.first { $0.tracepoints.contains { $0.hasSuffix(":" + probe.function) } }
  }

  /// The group called `name` (`map`, `init-sp`, ...).
  public static func named(_ name: String) -> TDPGroup? { all.first { $0.name == name } }
}

/// A probe as bpftrace, perf or the live recorder spell it, reduced to what the group table keys
/// on: the function (clone suffix removed) or the `system:event` tracepoint.
public struct TDPProbeName: Sendable, Hashable {
  /// Function or event name: `tdp_mmu_init_sp`, `kvm_mmu_get_page`.
  public var function: String
  /// `kvmmmu:kvm_mmu_get_page` for tracepoints whose system is known, else nil.
  public var tracepoint: String?

  public init(_ text: String) {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    let kind = parts.count > 1 ? parts[0] : ""
    switch kind {
    case "tracepoint", "t":
      // tracepoint:system:event
      function = parts.last ?? text
      tracepoint = parts.count >= 3 ? parts[parts.count - 2] + ":" + parts[parts.count - 1] : nil
    case "tracepoint_btf", "tp_btf", "raw_tracepoint", "rawtracepoint", "raw_tp":
      function = parts.last ?? text
      tracepoint = nil
    case "kprobe", "k", "kretprobe", "kr", "kfunc", "f", "fentry", "kretfunc", "fr", "fexit":
      // kprobe:func, kprobe:module:func, kfunc:module:func
      function = Self.stripClone(parts.last ?? text)
      tracepoint = nil
    default:
      if parts.count == 2 {
        // perf event name: kvmmmu:kvm_mmu_get_page, or probe:func
        function = parts[1]
        tracepoint = parts[0] == "probe" ? nil : text
      } else {
        function = Self.stripClone(text)
        tracepoint = nil
      }
    }
  }

  /// `handle_changed_spte.cold` → `handle_changed_spte`; `foo.isra.0` → `foo`.
  public static func stripClone(_ symbol: String) -> String {
    guard let dot = symbol.firstIndex(of: "."), dot != symbol.startIndex else { return symbol }
    return String(symbol[..<dot])
  }
}
