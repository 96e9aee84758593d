/// The bytes of the BPF program's `const volatile struct config cfg` (`.rodata`):
/// `u32 probe_id, u32 filter_tgid, u32 filter_comm_len, char filter_comm[16]`.
struct ProbeConfig {
  var probeID: UInt32
  var tgid: UInt32
  var comm: [UInt8]

  init(probeID: UInt32, limits: CaptureLimits) {
    self.probeID = probeID
    tgid = limits.pid ?? 0
    comm = Array((limits.comm ?? "").utf8.prefix(15))
  }

  var bytes: [UInt8] {
    var out: [UInt8] = []
    for word in [probeID, tgid, UInt32(comm.count)] {
      withUnsafeBytes(of: word.littleEndian) { out.append(contentsOf: $0) }
    }
    out.append(contentsOf: comm)
    out.append(contentsOf: [UInt8](repeating: 0, count: 16 - comm.count))
    return out
  }
}
