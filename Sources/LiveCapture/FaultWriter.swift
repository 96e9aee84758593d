import TDPTable

/// `record --faults` as bpftrace's text format (`FaultCaptureKey`): one `@faults` entry per
/// key and entry stack counting faults, the same keys without the stack as `@fault_ns`
/// histograms with their `stats` and `max` maps, each vCPU's longest retry run, then drops.
struct FaultWriter {
  var writer: CaptureWriter
  var symbols: KernelSymbols

  /// The header lines before `Attaching N probes...`.
  static func headerLines(_ layout: FaultLayout) -> String {
    var out = FaultCaptureKey.header + "\n" + FaultCaptureKey.outcomesLine(layout.outcomes) + "\n"
    if !layout.missing.isEmpty {
      out += "# fault-btf-missing: " + layout.missing.joined(separator: "; ") + "\n"
    }
    return out
  }

  func render(_ capture: RawCapture) -> String {
    let layout = capture.faultLayout ?? FaultLayout()
    let probe =
      capture.probes.first { CaptureSession.faultRole($0.spec, group: $0.group) == .fault }?.name
      ?? "kprobe:kvm_mmu_page_fault"
    let fastAttached = capture.probes.contains { CaptureSession.isFastPath($0.spec) }
    let fixed = layout.fixedByFastPath
    func members(_ entry: RawCapture.FaultEntry) -> [String] {
      [
        probe, String(entry.tgid), entry.vcpu.map { String($0) } ?? FaultCaptureKey.unknown,
        FaultCaptureKey.outcomeToken(entry.outcome.map { Int64($0) }, names: layout.outcomes),
        FaultCaptureKey.pathToken(
          fastReturn: entry.fastReturn.map { Int64($0) }, attached: fastAttached, fixed: fixed),
        FaultCaptureKey.levelToken(entry.reqLevel.map { Int($0) }),
        FaultCaptureKey.levelToken(entry.goalLevel.map { Int($0) }),
      ]
    }
    struct StackKey: Hashable {
      var members: [String]
      var addresses: [UInt64]
    }
    // Stacks that become equal once the BPF frames are stripped merge, as counts do.
    var byStack: [StackKey: UInt64] = [:]
    var byKey: [[String]: LatencyCounts] = [:]
    for entry in capture.faults {
      let key = members(entry)
      byStack[
        StackKey(members: key, addresses: CaptureWriter.traced(entry.addresses, symbols)), default: 0] +=
        entry.counts.count
      byKey[key] = byKey[key].map { $0.merged(with: entry.counts) } ?? entry.counts
    }
    var out = ""
    let stacks = byStack.sorted { a, b in
      a.value != b.value
        ? a.value < b.value
        : a.key.members != b.key.members
          ? a.key.members.lexicographicallyPrecedes(b.key.members)
          : a.key.addresses.lexicographicallyPrecedes(b.key.addresses)
    }
    for (key, count) in stacks {
      out +=
        "\(FaultCaptureKey.countMap)[" + key.members.joined(separator: ", ") + ", \n"
        + writer.frameLines(key.addresses, symbols) + "]: \(count)\n"
    }
    // Each map whole, as bpftrace prints it: a map printed again reads as another print.
    let keys = byKey.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    for (key, counts) in keys {
      out +=
        "\n\(FaultCaptureKey.latencyMap)[\(key.joined(separator: ", "))]: \n"
        + LatencyWriter.histogram(counts)
    }
    if !keys.isEmpty { out += "\n" }
    for (key, counts) in keys {
      let average = counts.count == 0 ? 0 : counts.total / counts.count
      out +=
        "\(FaultCaptureKey.statsMap)[\(key.joined(separator: ", "))]: count \(counts.count), average \(average), total \(counts.total)\n"
    }
    if !keys.isEmpty { out += "\n" }
    for (key, counts) in keys {
      out += "\(FaultCaptureKey.maxMap)[\(key.joined(separator: ", "))]: \(counts.max)\n"
    }
    let runs = capture.retryRuns.sorted { a, b in
      (a.tgid, a.vcpu ?? .max, a.gfn, a.run) < (b.tgid, b.vcpu ?? .max, b.gfn, b.run)
    }
    if !runs.isEmpty { out += "\n" }
    for run in runs {
      out +=
        "\(FaultCaptureKey.retryRunMap)[\(run.tgid), \(run.vcpu.map { String($0) } ?? FaultCaptureKey.unknown), 0x"
        + String(run.gfn, radix: 16) + "]: \(run.run)\n"
    }
    if let elapsed = capture.elapsedNanoseconds { out += "\n\(FaultCaptureKey.elapsedMap): \(elapsed)\n" }
    let drops = writer.drops(capture)
    if !drops.isEmpty {
      out += "\n"
      for drop in drops { out += "@tdptrace_drops[\(drop.probe), \(drop.reason.name)]: \(drop.count)\n" }
    }
    return out
  }
}
