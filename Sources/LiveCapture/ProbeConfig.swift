import CTDPTraceBPF

/// The bytes of the BPF program's `const volatile struct config cfg` (`.rodata`). The layout is
/// `struct config` from bpf/tdptrace.h, which the BPF program is built with too, so the bytes are
/// those of the imported C struct rather than a hand-kept copy of its fields.
struct ProbeConfig {
  var probeID: UInt32
  var tgid: UInt32
  var comm: [UInt8]
  var slowerThanNs: UInt64
  var fallbackEntries: UInt32
  /// `record --spte`: the `shadow_*_mask` globals' addresses (`SPTEMasks.names` order), 0 where
  /// kallsyms has none.
  var spteMaskAddresses: [UInt64] = []
  /// `record --faults`: the offsets and outcome values the fault programs read by.
  var faultLayout = FaultLayout()

  init(probeID: UInt32, limits: CaptureLimits) {
    self.probeID = probeID
    tgid = limits.pid ?? 0
    slowerThanNs = limits.slowerThanNs ?? 0
    fallbackEntries = limits.fallbackEntries
    // The kernel's comm has room for COMM_LEN - 1 bytes and its NUL; a longer filter could
    // never match.
    comm = Array((limits.comm ?? "").utf8.prefix(Int(COMM_LEN) - 1))
  }

  var bytes: [UInt8] {
    var cfg = config()  // zeroed, so the unused tail of filter_comm is NULs
    cfg.probe_id = probeID
    cfg.filter_tgid = tgid
    cfg.filter_comm_len = UInt32(comm.count)
    cfg.slower_than_ns = slowerThanNs
    cfg.fallback_entries = fallbackEntries
    withUnsafeMutableBytes(of: &cfg.filter_comm) { $0.copyBytes(from: comm) }
    withUnsafeMutableBytes(of: &cfg.spte_mask_addrs) { raw in
      for (i, address) in spteMaskAddresses.prefix(Int(SPTE_MASKS)).enumerated() {
        raw.storeBytes(of: address, toByteOffset: i * MemoryLayout<UInt64>.size, as: UInt64.self)
      }
    }
    faultLayout.apply(to: &cfg)
    // Host byte order and the host's layout are the BPF program's: it runs on this CPU.
    return withUnsafeBytes(of: cfg) { Array($0) }
  }
}
