import TDPTable

/// `record --mmu-lock` as bpftrace's text format (`LockCaptureKey`): one `@mmu_lock_wait_ns`
/// histogram per VM, vCPU, mode, holder and waiter stack, its `stats` map, the holder overlaps, the
/// capture's length, then drops.
struct LockWriter {
  var writer: CaptureWriter
  var symbols: KernelSymbols

  static func headerLines(_ layout: FaultLayout) -> String {
    var out = LockCaptureKey.header + "\n"
    if !layout.lockMissing.isEmpty {
      out +=
        "# mmu-lock-btf-missing: " + layout.lockMissing.joined(separator: "; ") + " (no lock is watched)\n"
    }
    return out
  }

  /// The holder member: the function a holder probe brackets.
  static func holderName(_ probe: UInt32?, in capture: RawCapture) -> String {
    guard let probe, Int(probe) < capture.probes.count else {
      return probe.map { "probe\($0)" } ?? LockCaptureKey.noHolder
    }
    switch capture.probes[Int(probe)].spec.target {
    case .function(let name): return name
    case .tracepoint(_, let name): return name
    }
  }

  func render(_ capture: RawCapture) -> String {
    struct Key: Hashable {
      var members: [String]
      var addresses: [UInt64]
    }
    var merged: [Key: LatencyCounts] = [:]
    for wait in capture.lockWaits {
      let key = Key(
        members: [
          LockCaptureKey.probe, String(wait.tgid), wait.vcpu.map { String($0) } ?? LockCaptureKey.noVCPU,
          LockCaptureKey.modeToken(flags: wait.flags),
          Self.holderName(wait.holder, in: capture),
        ],
        addresses: CaptureWriter.traced(wait.addresses, symbols))
      merged[key] = merged[key].map { $0.merged(with: wait.counts) } ?? wait.counts
    }
    let ordered = merged.sorted { a, b in
      a.key.members != b.key.members
        ? a.key.members.lexicographicallyPrecedes(b.key.members)
        : a.key.addresses.lexicographicallyPrecedes(b.key.addresses)
    }
    func member(_ key: Key) -> String {
      key.members.joined(separator: ", ") + ", \n" + writer.frameLines(key.addresses, symbols) + "]"
    }
    // Each map whole, as bpftrace prints it: a map printed again reads as another print.
    var out = ""
    for (key, counts) in ordered {
      out += "\(LockCaptureKey.waitMap)[\(member(key)):\n" + LatencyWriter.histogram(counts) + "\n"
    }
    for (key, counts) in ordered {
      let average = counts.count == 0 ? 0 : counts.total / counts.count
      out +=
        "\(LockCaptureKey.statsMap)[\(member(key)): count \(counts.count), average \(average), total \(counts.total)\n"
    }
    let overlaps = capture.holderOverlaps.sorted { $0.key < $1.key }
    if !overlaps.isEmpty { out += "\n" }
    for (vm, n) in overlaps { out += "\(LockCaptureKey.overlapsMap)[\(vm)]: \(n)\n" }
    if let elapsed = capture.elapsedNanoseconds { out += "\n\(LockCaptureKey.elapsedMap): \(elapsed)\n" }
    let drops = writer.drops(capture)
    if !drops.isEmpty {
      out += "\n"
      for drop in drops { out += "@tdptrace_drops[\(drop.probe), \(drop.reason.name)]: \(drop.count)\n" }
    }
    return out
  }
}
