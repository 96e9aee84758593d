import CTDPTraceBPF

/// The bits KVM's x86 MMU gives an SPTE: which ones mean present, writable, accessed, dirty,
/// executable, MMIO, and the frozen (removed) marker. They depend on the hardware (EPT or NPT) and
/// on EPT's A/D support, so KVM keeps them in the `shadow_*_mask` globals of
/// `arch/x86/kvm/mmu/spte.c`, set by `kvm_mmu_reset_all_pte_masks()` (the x86 PTE layout, NPT)
/// and then `kvm_mmu_set_ept_masks()` (VMX). `record --spte` reads the running kernel's; the
/// presets here are what those two functions set, for tests and for the fallback when the
/// globals cannot be read.
///
/// Bits that are `#define`s, the same on every kernel that has the TDP MMU tracepoint
/// (`SPTE_MMU_PRESENT_MASK`, `PT_WRITABLE_MASK`, `PT_PAGE_SIZE_MASK`, `SPTE_TDP_AD_MASK`, the
/// frozen markers), are not fields: they are in `Sources/LiveCapture/bpf/tdptrace.h`, beside the
/// `spte_class` both the BPF program and `SPTEClass` compute classes with.
public struct SPTEMasks: Sendable, Hashable {
  /// `shadow_present_mask`: the hardware present bits (0 on EPT with execute-only support).
  public var present: UInt64
  /// `shadow_user_mask`: U/S on NPT, R on EPT.
  public var user: UInt64
  /// `shadow_x_mask` (EPT's X) and `shadow_nx_mask` (NPT's NX): exactly one is non-zero.
  public var exec: UInt64
  public var nx: UInt64
  /// `shadow_accessed_mask`, `shadow_dirty_mask`: 0 on EPT without A/D bits.
  public var accessed: UInt64
  public var dirty: UInt64
  /// `shadow_acc_track_mask`: the bits access tracking clears when there are no A/D bits (EPT's
  /// RWX), 0 on NPT.
  public var accessTrack: UInt64
  /// `shadow_mmio_value`, `shadow_mmio_mask`: an SPTE is MMIO when `spte & mask == value` and
  /// value is not 0 (0: MMIO caching is off).
  public var mmioValue: UInt64
  public var mmioMask: UInt64

  /// `SPTE_BASE_ADDR_MASK` without `CONFIG_DYNAMIC_PHYSICAL_MASK`: the pfn, bits 12-51.
  public static let pfn: UInt64 = SPTE_PFN_MASK

  public init(
    present: UInt64, user: UInt64, exec: UInt64, nx: UInt64, accessed: UInt64, dirty: UInt64,
    accessTrack: UInt64, mmioValue: UInt64, mmioMask: UInt64
  ) {
    self.present = present
    self.user = user
    self.exec = exec
    self.nx = nx
    self.accessed = accessed
    self.dirty = dirty
    self.accessTrack = accessTrack
    self.mmioValue = mmioValue
    self.mmioMask = mmioMask
  }

  /// What `kvm_mmu_set_ept_masks(has_ad_bits, has_exec_only)` sets: R=bit 0 as the user mask,
  /// A=bit 8 and D=bit 9 only with A/D bits, X=bit 2, access tracking over RWX, MMIO as the
  /// write/execute misconfiguration `0b110` under RWX. From 6.10 on (`suppressVE`) bit 63
  /// (`VMX_EPT_SUPPRESS_VE_BIT`) joins the present mask and the MMIO mask.
  public static func ept(adBits: Bool, execOnly: Bool = true, suppressVE: Bool = false) -> SPTEMasks {
    let ve: UInt64 = suppressVE ? 1 << 63 : 0
    return SPTEMasks(
      present: (execOnly ? 0 : 1) | ve, user: 1, exec: 1 << 2, nx: 0,
      accessed: adBits ? 1 << 8 : 0, dirty: adBits ? 1 << 9 : 0, accessTrack: 0x7,
      mmioValue: 0x6, mmioMask: 0x7 | ve)
  }

  /// What `kvm_mmu_reset_all_pte_masks()` sets, which NPT keeps: the x86 PTE bits P=0, U=2,
  /// A=5, D=6, NX=63, and MMIO as reserved bit 51 with P when the host has fewer than 52
  /// physical address bits (else no MMIO caching).
  public static func npt(physicalBits: Int = 46) -> SPTEMasks {
    let mmio: UInt64 = physicalBits < 52 ? 1 << 51 | 1 : 0
    return SPTEMasks(
      present: 1, user: 1 << 2, exec: 0, nx: 1 << 63, accessed: 1 << 5, dirty: 1 << 6, accessTrack: 0,
      mmioValue: mmio, mmioMask: mmio)
  }

  /// The fields in the order of `names`, as the capture header and the BPF side's config hold them.
  public var values: [UInt64] {
    [present, user, exec, nx, accessed, dirty, accessTrack, mmioValue, mmioMask]
  }

  /// The kernel's names of the fields, in `values` order: the globals `record --spte` reads.
  public static let names = [
    "shadow_present_mask", "shadow_user_mask", "shadow_x_mask", "shadow_nx_mask", "shadow_accessed_mask",
    "shadow_dirty_mask", "shadow_acc_track_mask", "shadow_mmio_value", "shadow_mmio_mask",
  ]

  /// The masks from `values` order (nil unless there are exactly `names.count` of them).
  public init?(values: [UInt64]) {
    guard values.count == Self.names.count else { return nil }
    self.init(
      present: values[0], user: values[1], exec: values[2], nx: values[3], accessed: values[4],
      dirty: values[5], accessTrack: values[6], mmioValue: values[7], mmioMask: values[8])
  }

  /// The masks as `struct spte_masks` (tdptrace.h) lays them out.
  public var cStruct: spte_masks {
    spte_masks(
      present: present, user: user, x: exec, nx: nx, accessed: accessed, dirty: dirty,
      access_track: accessTrack, mmio_value: mmioValue, mmio_mask: mmioMask)
  }

  /// The masks of a `struct spte_masks`.
  public init(_ masks: spte_masks) {
    self.init(
      present: masks.present, user: masks.user, exec: masks.x, nx: masks.nx, accessed: masks.accessed,
      dirty: masks.dirty, accessTrack: masks.access_track, mmioValue: masks.mmio_value,
      mmioMask: masks.mmio_mask)
  }

  /// `name=0x… name=0x…`, the capture header's spelling.
  public var headerText: String {
    zip(Self.names, values).map { "\($0)=0x" + String($1, radix: 16) }.joined(separator: " ")
  }
}
