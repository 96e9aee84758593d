import TDPTable
import TraceParse

/// An interval capture over time: for each TDP MMU probe group (and each probe outside the
/// table) its weight in every block, as `report` prints it in a sparkline row, JSON and the
/// HTML chart. Groups are found by `TDPSummary`, block by block, so a row sums to the group's
/// weight in `report --tdp`.
public struct IntervalSeries: Sendable {
  public struct Row: Sendable, Hashable {
    /// A group of the probe table (`map`, `zap`), or a probe, event or map outside it.
    public var name: String
    public var isGroup: Bool
    /// Weight in each block, parallel to `blocks`.
    public var weights: [UInt64]
    public var total: UInt64 { weights.reduce(0, &+) }
  }

  public var blocks: [IntervalMark]
  /// Heaviest first; groups and other sources together.
  public var rows: [Row]
  /// How the blocks were read (`IntervalResolution`).
  public var mode: IntervalMode?
  public var weightScale: WeightScale

  /// nil when the profile is not an interval capture.
  public init?(profile: Profile, table: ProbeTable = .tdpMMU) {
    guard !profile.intervals.isEmpty else { return nil }
    blocks = profile.intervals
    mode = profile.intervalMode
    weightScale = profile.weightScale
    let parts = profile.intervalParts()
    var rows: [String: Row] = [:]
    var order: [String] = []
    for (position, part) in parts.enumerated() {
      let summary = TDPSummary(profile: part, table: table)
      let entries =
        summary.groups.map { ($0.group, true, $0.weight) }
        + summary.elsewhere.map { ($0.probe, false, $0.weight) }
      for (name, isGroup, weight) in entries {
        let key = (isGroup ? "g:" : "s:") + name
        if rows[key] == nil {
          rows[key] = Row(name: name, isGroup: isGroup, weights: Array(repeating: 0, count: parts.count))
          order.append(key)
        }
        rows[key]!.weights[position] &+= weight
      }
    }
    self.rows = order.map { rows[$0]! }.sorted { ($0.total, $1.name) > ($1.total, $0.name) }
  }

  /// `weights` as a sparkline, one character per block: ▁ to █ scaled to the row's largest
  /// block, a space for a block without events.
  public static func sparkline(_ weights: [UInt64]) -> String {
    let bars: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    let peak = weights.max() ?? 0
    return String(
      weights.map { w -> Character in
        guard w > 0, peak > 0 else { return " " }
        return bars[min(bars.count - 1, Int((Double(w) / Double(peak)) * Double(bars.count - 1) + 0.5))]
      })
  }
}
