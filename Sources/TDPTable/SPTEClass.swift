import CTDPTraceBPF

/// The class of one SPTE value: the bits of it that say what kind of change an SPTE went
/// through, as KVM's own predicates in `arch/x86/kvm/mmu/spte.h` read them under `SPTEMasks`.
/// The bits and the predicates are `tdptrace.h`'s (`SPTE_CLASS_*`, `spte_class`), which the BPF
/// program computes in the kernel; `token` spells them in a capture.
public struct SPTEClass: OptionSet, Sendable, Hashable, Comparable {
  public var rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue }

  /// `is_shadow_present_pte`: bit 11 (`SPTE_MMU_PRESENT_MASK`).
  public static let present = SPTEClass(rawValue: UInt8(SPTE_CLASS_PRESENT))
  /// Present and `is_last_spte`: level 1, or the large-page bit.
  public static let leaf = SPTEClass(rawValue: UInt8(SPTE_CLASS_LEAF))
  /// Present and `is_writable_pte`.
  public static let writable = SPTEClass(rawValue: UInt8(SPTE_CLASS_WRITABLE))
  /// Present and `is_accessed_spte`: the A bit, or (A/D disabled) not access-tracked.
  public static let accessed = SPTEClass(rawValue: UInt8(SPTE_CLASS_ACCESSED))
  /// Present and `is_dirty_spte`: the D bit, or (A/D disabled) writable.
  public static let dirty = SPTEClass(rawValue: UInt8(SPTE_CLASS_DIRTY))
  /// Present and `is_executable_pte`.
  public static let executable = SPTEClass(rawValue: UInt8(SPTE_CLASS_EXECUTABLE))
  /// Not present and `is_mmio_spte`.
  public static let mmio = SPTEClass(rawValue: UInt8(SPTE_CLASS_MMIO))
  /// `is_frozen_spte` (`is_removed_spte` before 6.12): any value the marker has had.
  public static let frozen = SPTEClass(rawValue: UInt8(SPTE_CLASS_FROZEN))

  /// The flags with their token letters, in token order.
  static let letters: [(SPTEClass, Character)] = [
    (.present, "P"), (.leaf, "L"), (.writable, "W"), (.accessed, "A"), (.dirty, "D"),
    (.executable, "X"), (.mmio, "M"), (.frozen, "F"),
  ]

  /// The class of `spte` at `level` (1 = 4K) under `masks`, by the `spte_class` of
  /// `tdptrace.h` that the BPF program runs in the kernel.
  public init(_ spte: UInt64, level: Int, masks: SPTEMasks) {
    var m = masks.cStruct
    self.init(rawValue: UInt8(truncatingIfNeeded: spte_class(spte, UInt32(clamping: level), &m)))
  }

  /// The classes and pfn change of one `count_key.spte` (`spte_change_key`), as the kernel
  /// counted them; nil when `key` is not one.
  public static func change(key: UInt32) -> (level: Int, old: SPTEClass, new: SPTEClass, pfnChanged: Bool)? {
    guard key & SPTE_KEY_MARK != 0 else { return nil }
    return (
      Int(key & 0xff), SPTEClass(rawValue: UInt8(truncatingIfNeeded: key >> 8)),
      SPTEClass(rawValue: UInt8(truncatingIfNeeded: key >> 16)), key & SPTE_KEY_PFN_CHANGED != 0
    )
  }

  /// The `count_key.spte` of a change (`spte_change_key`).
  public static func key(level: Int, old: SPTEClass, new: SPTEClass, pfnChanged: Bool) -> UInt32 {
    spte_change_key(UInt32(clamping: level), UInt32(old.rawValue), UInt32(new.rawValue), pfnChanged ? 1 : 0)
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
