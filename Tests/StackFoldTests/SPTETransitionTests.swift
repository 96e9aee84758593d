import StackFold
import TDPTable
import Testing

/// The classifier on SPTE values built the way KVM builds them, for EPT with and without A/D bits
/// and for NPT. The masks are what `kvm_mmu_set_ept_masks()` and `kvm_mmu_reset_all_pte_masks()`
/// set in `arch/x86/kvm/mmu/spte.c` (6.1: projectceladon/linux-intel-lts2022-chromium; 6.10+:
/// kvm-x86/linux @771df9ff, where bit 63 `VMX_EPT_SUPPRESS_VE_BIT` joins the EPT present and MMIO
/// masks and `SHADOW_NONPRESENT_VALUE` is bit 63); the values follow `make_spte()`,
/// `make_nonleaf_spte()`, `make_mmio_spte()` and `mark_spte_for_access_track()` of the same file,
/// with the bit names of `arch/x86/kvm/mmu/spte.h`.
@Suite struct SPTETransitionTests {
  // EPT with A/D bits, 4K writable RAM at pfn 0x12345 (make_spte): SPTE_MMU_PRESENT_MASK 0x800,
  // A 0x100 (not prefetched), D 0x200 (writable), X 0x4, R 0x1 (shadow_user_mask), W 0x2,
  // memtype WB<<3 | IPAT = 0x70 (vmx_get_mt_mask), EPT_SPTE_HOST_WRITABLE bit 57 and
  // EPT_SPTE_MMU_WRITABLE bit 58.
  static let eptAD = SPTEMasks.ept(adBits: true)
  static let eptLeaf: UInt64 = 0x0600_0000_1234_5B77
  // make_nonleaf_spte: 0x800 | child pa | W | R | X | A.
  static let eptTable: UInt64 = 0x0000_0000_1A2B_3907
  // A 2M leaf: PT_PAGE_SIZE_MASK 0x80, X dropped by the NX huge page mitigation.
  static let eptHuge: UInt64 = 0x0600_0000_4000_0BF3

  @Test func eptWithADBitsClassesFollowSpteH() {
    let m = Self.eptAD
    #expect(SPTEClass(Self.eptLeaf, level: 1, masks: m).token == "PLWADX--")
    #expect(SPTEClass(Self.eptTable, level: 2, masks: m).token == "P-WA-X--")
    #expect(SPTEClass(Self.eptHuge, level: 2, masks: m).token == "PLWAD---")
    // A non-present SPTE: 0 through 6.9, SHADOW_NONPRESENT_VALUE (bit 63) from 6.10 on.
    #expect(SPTEClass(0, level: 1, masks: m).token == "--------")
    #expect(SPTEClass(1 << 63, level: 1, masks: SPTEMasks.ept(adBits: true, suppressVE: true)).isEmpty)
    // REMOVED_SPTE 0x5a0 (6.1), FROZEN_SPTE = bit 63 | 0x5a0 (6.12).
    #expect(SPTEClass(0x5a0, level: 1, masks: m) == .frozen)
    #expect(SPTEClass(0x8000_0000_0000_05A0, level: 1, masks: m).token == "-------F")
    // make_mmio_spte: generation 5 in bits 3-10, gpa 0xfee00000, shadow_mmio_value 0b110 (W|X).
    #expect(SPTEClass(0x0000_0000_FEE0_002E, level: 1, masks: m).token == "------M-")
  }

  @Test func eptWithADBitsTransitions() {
    let m = Self.eptAD
    func kind(_ old: UInt64, _ new: UInt64, level: Int = 1) -> SPTETransition.Kind {
      SPTETransition(
        level: level, old: SPTEClass(old, level: level, masks: m),
        new: SPTEClass(new, level: level, masks: m),
        pfnChanged: (old ^ new) & SPTEMasks.pfn != 0
      ).kind
    }
    #expect(kind(0, Self.eptLeaf) == .installLeaf)
    #expect(kind(0, Self.eptTable, level: 2) == .linkPageTable)
    #expect(kind(Self.eptLeaf, 0) == .zapLeaf)
    #expect(kind(Self.eptTable, 0, level: 2) == .unlinkPageTable)
    #expect(kind(Self.eptLeaf, 0x5a0) == .freeze)
    #expect(kind(Self.eptHuge, Self.eptTable, level: 2) == .split)
    #expect(kind(Self.eptTable, Self.eptHuge, level: 2) == .collapse)
    // clear_dirty_gfn_range with A/D bits: D (bit 9) cleared, W kept.
    #expect(kind(Self.eptLeaf, Self.eptLeaf & ~0x200) == .clearDirty)
    // Dirty logging's write protection: W cleared, MMU-writable (bit 58) kept.
    #expect(kind(Self.eptLeaf, Self.eptLeaf & ~0x2) == .writeProtect)
    #expect(kind(Self.eptLeaf & ~0x2, Self.eptLeaf) == .makeWritable)
    // Aging (kvm_tdp_mmu_age_spte): A (bit 8) cleared.
    #expect(kind(Self.eptLeaf, Self.eptLeaf & ~0x100) == .clearAccessed)
    // change_pte (set_spte_gfn): another pfn, write-protected.
    #expect(kind(Self.eptLeaf, (Self.eptLeaf & ~SPTEMasks.pfn & ~0x2) | 0x5_4321_000) == .pfnChange)
    #expect(kind(0, 0x0000_0000_FEE0_002E) == .mmio)
    // NX huge page mitigation taking X away (no A, W or D change).
    #expect(kind(Self.eptLeaf, Self.eptLeaf & ~0x4) == .other)
  }

  // EPT without A/D bits (kvm_mmu_set_ept_masks(false, …)): make_spte sets
  // SPTE_TDP_AD_DISABLED (1 << 52) and no A or D; access tracking saves R|X at bit 54 and clears
  // RWX (mark_spte_for_access_track); dirtiness is W (is_dirty_spte).
  static let eptNoAD = SPTEMasks.ept(adBits: false)
  static let eptNoADLeaf: UInt64 = 0x0610_0000_1234_5877

  @Test func eptWithoutADBitsUsesAccessTrackingAndWriteProtection() {
    let m = Self.eptNoAD
    #expect(SPTEClass(Self.eptNoADLeaf, level: 1, masks: m).token == "PLWADX--")
    let tracked: UInt64 = 0x0750_0000_1234_5870
    #expect(SPTEClass(tracked, level: 1, masks: m).token == "PL------")
    let old = SPTEClass(Self.eptNoADLeaf, level: 1, masks: m)
    #expect(
      SPTETransition(level: 1, old: old, new: SPTEClass(tracked, level: 1, masks: m), pfnChanged: false).kind
        == .clearAccessed)
    // Dirty logging without A/D bits write-protects: W and "dirty" go together, A stays.
    let wrprot = SPTEClass(Self.eptNoADLeaf & ~0x2, level: 1, masks: m)
    #expect(wrprot.token == "PL-A-X--")
    #expect(SPTETransition(level: 1, old: old, new: wrprot, pfnChanged: false).kind == .writeProtect)
  }

  // NPT keeps kvm_mmu_reset_all_pte_masks(): P 0x1, W 0x2, U 0x4, A 0x20, D 0x40, NX bit 63,
  // DEFAULT_SPTE_HOST_WRITABLE bit 9, DEFAULT_SPTE_MMU_WRITABLE bit 10, memtype 0.
  static let npt = SPTEMasks.npt(physicalBits: 48)
  static let nptLeaf: UInt64 = 0x0000_0000_1234_5E67
  static let nptHuge: UInt64 = 0x8000_0000_4000_0EE7
  static let nptTable: UInt64 = 0x0000_0000_1A2B_3827

  @Test func nptClassesAndTransitions() {
    let m = Self.npt
    #expect(SPTEClass(Self.nptLeaf, level: 1, masks: m).token == "PLWADX--")
    #expect(SPTEClass(Self.nptHuge, level: 2, masks: m).token == "PLWAD---")
    #expect(SPTEClass(Self.nptTable, level: 3, masks: m).token == "P-WA-X--")
    // make_mmio_spte under NPT: generation, BIT(51) | P, access W|U, gpa.
    #expect(SPTEClass(0x0008_0000_FEE0_002F, level: 1, masks: m).token == "------M-")
    // No MMIO caching with 52 physical address bits: the same value is just not present.
    #expect(SPTEClass(0x0008_0000_FEE0_002F, level: 1, masks: .npt(physicalBits: 52)).isEmpty)
    func kind(_ old: UInt64, _ new: UInt64, level: Int = 1) -> SPTETransition.Kind {
      SPTETransition(
        level: level, old: SPTEClass(old, level: level, masks: m),
        new: SPTEClass(new, level: level, masks: m),
        pfnChanged: (old ^ new) & SPTEMasks.pfn != 0
      ).kind
    }
    #expect(kind(Self.nptLeaf, Self.nptLeaf & ~0x40) == .clearDirty)
    #expect(kind(Self.nptLeaf, Self.nptLeaf & ~0x20) == .clearAccessed)
    #expect(kind(Self.nptHuge, Self.nptTable, level: 2) == .split)
    #expect(kind(Self.nptTable, 1 << 63, level: 3) == .unlinkPageTable)
  }

  @Test func tokensReadBack() {
    for raw in UInt8.min...UInt8.max {
      let c = SPTEClass(rawValue: raw)
      #expect(SPTEClass(token: c.token) == c)
    }
    #expect(SPTEClass(token: "PLWADX-") == nil)
    #expect(SPTEClass(token: "PLWADXQ-") == nil)
    #expect(SPTECaptureKey.level(named: SPTECaptureKey.levelName(4)) == 4)
    #expect(SPTECaptureKey.level(named: "L7") == 7)
    #expect(SPTECaptureKey.level(named: "3M") == nil)
  }
}
