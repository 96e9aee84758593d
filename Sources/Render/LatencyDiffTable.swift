import Foundation
import StackFold

/// `diff --latency` as text: one line per probe and origin with the calls and p50/p99 before
/// and after, the KS statistic against its critical value, and a marker where the change is
/// beyond the bucket error and the noise (`LatencyComparison`).
public struct LatencyDiffTable: Sendable {
  public init() {}

  public func render(_ comparison: LatencyComparison) -> String {
    var out = "latency before → after, by probe and origin path\n"
    out += "changed (▲ slower, ▼ faster): two-sample Kolmogorov–Smirnov on the bucketed CDFs rejects at α = "
    out += "\(LatencyComparison.alpha) and the p50 or p99 buckets do not overlap\n"
    if comparison.rows.isEmpty { out += "\nno hist() or lhist() maps in either input\n" }
    var probe: (String, String)?
    for row in comparison.rows {
      if probe == nil || probe! != (row.map, row.probe) {
        probe = (row.map, row.probe)
        out += "\n\(TDPSummaryText.printable(row.probe)) (\(TDPSummaryText.printable(row.map))):\n"
      }
      let marker = row.direction > 0 ? "▲" : row.direction < 0 ? "▼" : row.changed ? "≠" : " "
      out +=
        "  \(marker) \(TDPSummaryText.printable(row.origin)): calls \(count(row.before)) → \(count(row.after))"
      for p in [0.5, 0.99] {
        out += ", p\(LatencyReport.name(p)) \(bound(row.before, p, row)) → \(bound(row.after, p, row))"
      }
      if let d = row.ksStatistic, let c = row.ksCritical {
        out += String(format: ", KS D %.3f %@ %.3f", d, d > c ? ">" : "≤", c)
      }
      if !row.separatedPercentiles.isEmpty {
        out += " (" + row.separatedPercentiles.joined(separator: ", ") + " buckets apart)"
      }
      out += "\n"
    }
    return out
  }

  private func count(_ h: LatencyHistogram?) -> String { h.map { String($0.count) } ?? "-" }

  /// `≤ 1.28 µs`, the percentile's bound as `report --latency` prints it.
  private func bound(_ h: LatencyHistogram?, _ p: Double, _ row: LatencyComparison.Row) -> String {
    guard let h, let q = h.percentile(p) else { return "-" }
    return "≤ " + Durations.text(LatencyReport.bound(q, h) * row.nanosecondsPerUnit)
  }
}
