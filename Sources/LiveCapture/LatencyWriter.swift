/// `record --latency` as bpftrace's text format, so the capture reads like the output of
/// `@latency_ns[probe, kstack] = hist(...)` with `stats()`, `min()` and `max()` maps beside it:
///
/// ```
/// @latency_ns[kprobe:kvm_tdp_mmu_map,
///     kvm_tdp_mmu_map+0
///     direct_page_fault+848
/// ]:
/// [1024, 1152)           3 |@@@@@@@@@                                           |
///
/// @latency_stats_ns[...same key...]: count 21, average 1201, total 25221
///
/// @latency_min_ns[kprobe:kvm_tdp_mmu_map]: 1030
/// @latency_max_ns[kprobe:kvm_tdp_mmu_map]: 1610
/// ```
///
/// Buckets are the header's log-linear ones (`latency_bucket_low`), printed as exact integers,
/// non-empty ones only. The exact minimum and maximum are per probe: in bpftrace's text a
/// `min()` map keyed by a stack reads exactly like a `count()` map, so keyed by the stack they
/// would count as that many samples. Per stack, the histogram's outer buckets bound them. What could not be timed is `@tdptrace_latency_lost[probe, reason]`;
/// `--slower-than` calls are `@tdptrace_slow[timestamp_ns, pid, tid, comm, probe, duration_ns,
/// kstack]: 1`, and those past the kept limit `@tdptrace_slow_dropped`.
struct LatencyWriter {
  var writer: CaptureWriter
  var symbols: KernelSymbols

  /// bpftrace's hist bar width.
  static let barWidth = 52

  func render(_ capture: RawCapture) -> String {
    struct Key: Hashable {
      var probe: String
      var addresses: [UInt64]
    }
    // Stacks that become equal once the BPF frames are stripped merge, as counts do.
    var merged: [Key: LatencyCounts] = [:]
    for entry in capture.latency {
      let key = Key(
        probe: CaptureWriter.probeName(entry.probe, in: capture),
        addresses: CaptureWriter.traced(entry.addresses, symbols))
      merged[key] = merged[key].map { $0.merged(with: entry.counts) } ?? entry.counts
    }
    let ordered = merged.sorted { a, b in
      a.key.probe != b.key.probe
        ? a.key.probe < b.key.probe : a.key.addresses.lexicographicallyPrecedes(b.key.addresses)
    }
    var out = ""
    var byProbe: [String: (min: UInt64, max: UInt64)] = [:]
    func member(_ key: Key) -> String { "\(key.probe), \n" + writer.frameLines(key.addresses, symbols) + "]" }
    // Each map whole, as bpftrace prints it: a map printed again reads as another print.
    for (key, counts) in ordered { out += "@latency_ns[\(member(key)):\n" + Self.histogram(counts) + "\n" }
    for (key, counts) in ordered {
      let average = counts.count == 0 ? 0 : counts.total / counts.count
      out +=
        "@latency_stats_ns[\(member(key)): count \(counts.count), average \(average), total \(counts.total)\n"
    }
    if !ordered.isEmpty { out += "\n" }
    for (key, counts) in ordered {
      let known = byProbe[key.probe]
      byProbe[key.probe] = (Swift.min(known?.min ?? .max, counts.min), Swift.max(known?.max ?? 0, counts.max))
    }
    let extremes = byProbe.sorted { $0.key < $1.key }
    for (probe, e) in extremes { out += "@latency_min_ns[\(probe)]: \(e.min)\n" }
    for (probe, e) in extremes { out += "@latency_max_ns[\(probe)]: \(e.max)\n" }
    if !byProbe.isEmpty { out += "\n" }
    for call in capture.slowCalls {
      let probe = CaptureWriter.probeName(call.probe, in: capture)
      out +=
        "@tdptrace_slow[\(call.timestamp), \(call.pid), \(call.tid), \(call.comm), \(probe), \(call.duration), \n"
      out += writer.frameLines(CaptureWriter.traced(call.addresses, symbols), symbols) + "]: 1\n"
    }
    if capture.slowCallsOverLimit > 0 { out += "@tdptrace_slow_dropped: \(capture.slowCallsOverLimit)\n" }
    let drops = writer.drops(capture)
    if !drops.isEmpty {
      out += "\n"
      for drop in drops {
        out += "@tdptrace_latency_lost[\(drop.probe), \(drop.reason.name)]: \(drop.count)\n"
      }
    }
    return out
  }

  /// bpftrace's hist lines: `[low, high)`, the count, a bar scaled to the largest bucket.
  static func histogram(_ counts: LatencyCounts) -> String {
    let most = counts.buckets.map(\.count).max() ?? 0
    var out = ""
    for (index, n) in counts.buckets {
      let (low, high) = LatencyCounts.bounds(of: index)
      let label = "[\(low), " + (high.map { "\($0))" } ?? "...)")
      let bar = most == 0 ? 0 : Int((Double(n) * Double(barWidth) / Double(most)).rounded(.down))
      out += label.padding(toLength: max(16, label.count), withPad: " ", startingAt: 0)
      let number = String(n)
      out += String(repeating: " ", count: max(1, 8 - number.count)) + number
      out += " |" + String(repeating: "@", count: bar) + String(repeating: " ", count: barWidth - bar) + "|\n"
    }
    return out
  }
}

extension LatencyCounts {
  /// Both histograms' calls together.
  func merged(with other: LatencyCounts) -> LatencyCounts {
    var byIndex: [UInt32: UInt64] = [:]
    for (i, n) in buckets { byIndex[i, default: 0] += n }
    for (i, n) in other.buckets { byIndex[i, default: 0] += n }
    return LatencyCounts(
      count: count + other.count, total: total &+ other.total, min: Swift.min(min, other.min),
      max: Swift.max(max, other.max), buckets: byIndex.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
  }
}
