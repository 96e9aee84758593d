import TraceParse

/// `report --weight time --svg`: a profile whose sample weights are the nanoseconds spent under
/// each latency histogram's stack, so a flame graph of it is wide where time goes, not where
/// calls are frequent.
///
/// A stack's time is its `stats()` total when the capture paired one with the histogram
/// (`LatencyMapName`); otherwise each bucket's midpoint times its count, and `notes` says so. A
/// histogram without a stack is one frame named after its probe's function.
public struct LatencyTimeProfile: Sendable {
  /// Weights in nanoseconds (`WeightUnit.sum`); labels `map` and `probe` as in the input.
  public var profile: Profile
  /// What was estimated, for stderr.
  public var notes: [String]

  public init(_ summary: LatencySummary) {
    var builder = ProfileBuilder(unit: .sum)
    var estimated: Set<String> = []
    for entry in summary.stackTimes {
      let frames =
        entry.stack.isEmpty
        ? [Frame(symbol: ProbeName(entry.probe).function, kind: .kernel)] : entry.stack
      let weight =
        entry.nanoseconds.isFinite && entry.nanoseconds > 0 ? UInt64(entry.nanoseconds.rounded()) : 0
      guard weight > 0 else { continue }
      if !entry.exact { estimated.insert(entry.map) }
      let labels = Labels([
        Labels.Entry(Labels.Name.map, entry.map), Labels.Entry(Labels.Name.probe, entry.probe),
      ])
      // Totals are far below UInt64 (584 years of nanoseconds); an overflow would be refused here.
      try? builder.add(frames: frames, labels: labels, weight: weight)
    }
    profile = builder.build()
    notes = estimated.sorted().map {
      "--weight time: \($0) has no stats() map; its time is estimated from bucket midpoints"
    }
    if summary.stackTimes.isEmpty {
      notes.append("--weight time: no hist() or lhist() maps to weigh by time")
    }
  }
}
