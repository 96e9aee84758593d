import TDPTable

/// What one SPTE change did, named from the classes of the old and new values
/// (`kvmmmu:kvm_tdp_mmu_spte_changed`), the level, and whether the pfn changed.
public struct SPTETransition: Sendable, Hashable {
  /// The kinds, in report order.
  public enum Kind: String, Sendable, Hashable, CaseIterable, Codable {
    /// Not present → present leaf: a fault mapped memory (`tdp_mmu_map_handle_target_level`).
    case installLeaf = "install-leaf"
    /// Not present → present page table: `tdp_mmu_link_sp` on a fault's walk down.
    case linkPageTable = "link-page-table"
    /// Present leaf → not present: zapped.
    case zapLeaf = "zap-leaf"
    /// Present page table → not present: what makes `handle_removed_pt` run on the child table.
    case unlinkPageTable = "unlink-page-table"
    /// → the frozen (removed) marker: `handle_removed_pt` freezing each child SPTE, or (up to 6.9)
    /// `tdp_mmu_zap_spte_atomic`.
    case freeze
    /// Huge leaf → page table of smaller leaves: `tdp_mmu_split_huge_page`.
    case split
    /// Page table → huge leaf: huge page recovery in place (6.13 on).
    case collapse
    /// Leaf loses its W bit: dirty logging's write protection, or dirty clearing without A/D bits.
    case writeProtect = "write-protect"
    /// Leaf gains its W bit.
    case makeWritable = "make-writable"
    /// Leaf loses Accessed: aging (`clear_young`), or access tracking without A/D bits.
    case clearAccessed = "clear-accessed"
    /// Leaf loses Dirty, keeping W: `clear_dirty_gfn_range`/`clear_dirty_pt_masked` with A/D bits.
    case clearDirty = "clear-dirty"
    /// Leaf → leaf at another pfn: the change_pte notifier (`set_spte_gfn`, up to 6.8).
    case pfnChange = "pfn-change"
    /// To or from an MMIO SPTE.
    case mmio
    /// Anything else (A or D set, NX changes, a page table replaced by another).
    case other
  }

  public var kind: Kind
  /// 1 = 4K, 2 = 2M, 3 = 1G, 4 = 512G, 5 = 256T.
  public var level: Int

  public init(kind: Kind, level: Int) {
    self.kind = kind
    self.level = level
  }

  /// The transition from `old` to `new` at `level`; `pfnChanged` only matters when both are present.
  public init(level: Int, old: SPTEClass, new: SPTEClass, pfnChanged: Bool) {
    self.level = level
    kind = Self.kind(old: old, new: new, pfnChanged: pfnChanged)
  }

  /// The kind, by the first rule that fits: the marker, MMIO, presence, leafness, the pfn, then
  /// the bits a leaf lost or gained (Accessed before W: access tracking clears both).
  static func kind(old: SPTEClass, new: SPTEClass, pfnChanged: Bool) -> Kind {
    if new.contains(.frozen) { return .freeze }
    if old.contains(.frozen) { return .other }
    if old.contains(.mmio) || new.contains(.mmio) { return .mmio }
    switch (old.contains(.present), new.contains(.present)) {
    case (false, false): return .other
    case (false, true): return new.contains(.leaf) ? .installLeaf : .linkPageTable
    case (true, false): return old.contains(.leaf) ? .zapLeaf : .unlinkPageTable
    case (true, true): break
    }
    switch (old.contains(.leaf), new.contains(.leaf)) {
    case (true, false): return .split
    case (false, true): return .collapse
    case (false, false): return .other
    case (true, true): break
    }
    if pfnChanged { return .pfnChange }
    let lost = old.subtracting(new)
    let gained = new.subtracting(old)
    if lost.contains(.accessed) { return .clearAccessed }
    if lost.contains(.writable) { return .writeProtect }
    if gained.contains(.writable) { return .makeWritable }
    if lost.contains(.dirty) { return .clearDirty }
    return .other
  }
}
