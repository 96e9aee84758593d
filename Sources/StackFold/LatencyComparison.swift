import Foundation

/// `diff --latency`: the latency of each probe and origin path before and after, and whether it
/// changed by more than the bucket error and the sampling noise.
///
/// A row changed when both hold:
/// - the two-sample Kolmogorov–Smirnov test rejects "same distribution" at α = 0.01: the
///   largest gap `D` between the two bucketed CDFs, taken at every bucket edge of either side,
///   exceeds `c(α)·√((n+m)/(n·m))` with `c(0.01) = √(−ln(0.005)/2) ≈ 1.628`. The bucketed `D`
///   is never above the exact one (it is the exact CDF gap at a subset of points), so bucketing
///   can hide a change but not invent one;
/// - and the p50 or p99 bucket before does not overlap the one after, so the change is larger
///   than the bucket error.
public struct LatencyComparison: Sendable {
  /// The test's significance level.
  public static let alpha = 0.01

  public struct Row: Sendable, Hashable {
    public var probe: String
    public var map: String
    /// The origin's label (`LatencySummary.OriginRow.label`); `all` for the probe's total.
    public var origin: String
    public var nanosecondsPerUnit: Double
    /// Nil when the side has no such row.
    public var before: LatencyHistogram?
    public var after: LatencyHistogram?
    /// The KS statistic on the bucketed CDFs, and the critical value at `alpha`.
    public var ksStatistic: Double?
    public var ksCritical: Double?
    /// Percentiles whose buckets do not overlap between the sides (`p50`, `p99`).
    public var separatedPercentiles: [String]

    /// Whether the KS test rejects at `alpha`.
    public var significant: Bool {
      guard let d = ksStatistic, let c = ksCritical else { return false }
      return d > c
    }
    /// Significant and larger than the bucket error.
    public var changed: Bool { significant && !separatedPercentiles.isEmpty }
    /// +1 slower after, -1 faster, 0 unchanged or not comparable.
    public var direction: Int {
      guard changed, let b = before?.percentile(0.5), let a = after?.percentile(0.5) else { return 0 }
      return a.estimate > b.estimate ? 1 : a.estimate < b.estimate ? -1 : 0
    }
  }

  public var rows: [Row]

  public init(before: LatencySummary, after: LatencySummary) {
    struct Key: Hashable {
      var map: String
      var probe: String
      var origin: String
    }
    func entries(_ s: LatencySummary) -> [(Key, LatencyHistogram, Double)] {
      s.probes.flatMap { p in
        [(Key(map: p.map, probe: p.probe, origin: "all"), p.total, p.nanosecondsPerUnit)]
          + p.origins.map {
            (Key(map: p.map, probe: p.probe, origin: $0.label), $0.histogram, p.nanosecondsPerUnit)
          }
      }
    }
    let b = entries(before)
    let a = entries(after)
    let afterByKey = Dictionary(a.map { ($0.0, ($0.1, $0.2)) }, uniquingKeysWith: { first, _ in first })
    let beforeKeys = Set(b.map(\.0))
    var rows: [Row] = []
    for (key, histogram, scale) in b {
      rows.append(Self.row(key.probe, key.map, key.origin, scale, histogram, afterByKey[key]?.0))
    }
    for (key, histogram, scale) in a where !beforeKeys.contains(key) {
      rows.append(Self.row(key.probe, key.map, key.origin, scale, nil, histogram))
    }
    self.rows = rows
  }

  static func row(
    _ probe: String, _ map: String, _ origin: String, _ scale: Double, _ before: LatencyHistogram?,
    _ after: LatencyHistogram?
  ) -> Row {
    var row = Row(
      probe: probe, map: map, origin: origin, nanosecondsPerUnit: scale, before: before, after: after,
      ksStatistic: nil, ksCritical: nil, separatedPercentiles: [])
    guard let before, let after, before.count > 0, after.count > 0 else { return row }
    let edges = Set(before.buckets.map(\.upper) + after.buckets.map(\.upper))
    row.ksStatistic =
      edges.map { abs(before.cumulativeShare(atOrBelow: $0) - after.cumulativeShare(atOrBelow: $0)) }
      .max() ?? 0
    row.ksCritical = criticalValue(before.count, after.count)
    for (name, p) in [("p50", 0.5), ("p99", 0.99)] {
      guard let x = before.percentile(p), let y = after.percentile(p) else { continue }
      if x.upper <= y.lower || y.upper <= x.lower { row.separatedPercentiles.append(name) }
    }
    return row
  }

  /// `c(α)·√((n+m)/(n·m))`, `c(α) = √(−ln(α/2)/2)`: the asymptotic two-sample KS bound.
  public static func criticalValue(_ n: UInt64, _ m: UInt64, alpha: Double = alpha) -> Double {
    let c = (-log(alpha / 2) / 2).squareRoot()
    let (n, m) = (Double(n), Double(m))
    return c * ((n + m) / (n * m)).squareRoot()
  }
}
