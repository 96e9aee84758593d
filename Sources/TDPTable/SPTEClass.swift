/// The class of one SPTE value: the bits of it that say what kind of change an SPTE went
/// through, as KVM's own predicates in `arch/x86/kvm/mmu/spte.h` read them under `SPTEMasks`.
/// The BPF side computes the same bits in the kernel (`spte_class` in
/// `Sources/LiveCapture/bpf/tdptrace.h`, from the same flag values); `token` spells them in a
/// capture.
public struct SPTEClass: OptionSet, Sendable, Hashable, Comparable {
  public var rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue }

  /// `is_shadow_present_pte`: bit 11 (`SPTE_MMU_PRESENT_MASK`).
  public static let present = SPTEClass(rawValue: 1 << 0)
  /// Present and `is_last_spte`: level 1, or the large-page bit.
  public static let leaf = SPTEClass(rawValue: 1 << 1)
  /// Present and `is_writable_pte`.
  public static let writable = SPTEClass(rawValue: 1 << 2)
  /// Present and `is_accessed_spte`: the A bit, or (A/D disabled) not access-tracked.
  public static let accessed = SPTEClass(rawValue: 1 << 3)
  /// Present and `is_dirty_spte`: the D bit, or (A/D disabled) writable.
  public static let dirty = SPTEClass(rawValue: 1 << 4)
  /// Present and `is_executable_pte`.
  public static let executable = SPTEClass(rawValue: 1 << 5)
  /// Not present and `is_mmio_spte`.
  public static let mmio = SPTEClass(rawValue: 1 << 6)
  /// `is_frozen_spte` (`is_removed_spte` before 6.12), any of `SPTEMasks.frozenValues`.
  public static let frozen = SPTEClass(rawValue: 1 << 7)

  /// The flags with their token letters, in token order.
  static let letters: [(SPTEClass, Character)] = [
    (.present, "P"), (.leaf, "L"), (.writable, "W"), (.accessed, "A"), (.dirty, "D"),
    (.executable, "X"), (.mmio, "M"), (.frozen, "F"),
  ]

  /// The class of `spte` at `level` (1 = 4K) under `masks`.
  public init(_ spte: UInt64, level: Int, masks: SPTEMasks) {
    self = []
    if SPTEMasks.frozenValues.contains(spte) {
      self = .frozen
      return
    }
    guard spte & SPTEMasks.mmuPresent != 0 else {
      if masks.mmioValue != 0 && spte & masks.mmioMask == masks.mmioValue { self = .mmio }
      return
    }
    insert(.present)
    if level == 1 || spte & SPTEMasks.large != 0 { insert(.leaf) }
    if spte & SPTEMasks.writable != 0 { insert(.writable) }
    // spte_ad_enabled: without A/D bits KVM tracks access by clearing the RWX bits
    // (is_access_track_spte) and dirtiness by write protection.
    let adEnabled = spte & SPTEMasks.adTypeMask != SPTEMasks.adDisabled && masks.accessed != 0
    if adEnabled ? spte & masks.accessed != 0 : spte & masks.accessTrack != 0 || masks.accessTrack == 0 {
      insert(.accessed)
    }
    if adEnabled ? spte & masks.dirty != 0 : spte & SPTEMasks.writable != 0 { insert(.dirty) }
    if spte & (masks.exec | masks.nx) == masks.exec { insert(.executable) }
  }

  /// `PLWADXMF` with `-` for each flag not set: `PLWAD---` is a present, writable, accessed,
  /// dirty 4K leaf that cannot execute; `--------` is not present.
  public var token: String {
    String(Self.letters.map { contains($0.0) ? $0.1 : "-" })
  }

  /// The class a `token` spells, or nil if it is not one.
  public init?(token: some StringProtocol) {
    guard token.count == Self.letters.count else { return nil }
    self = []
    for (character, (flag, letter)) in zip(token, Self.letters) {
      if character == letter {
        insert(flag)
      } else if character != "-" {
        return nil
      }
    }
  }

  public static func < (a: SPTEClass, b: SPTEClass) -> Bool { a.rawValue < b.rawValue }
}
