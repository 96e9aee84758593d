import TraceParse

/// A latency distribution as bucketed counts, with the exact count, sum, minimum and maximum
/// when a capture gave them (`stats()`, `min()`, `max()`).
///
/// Percentiles are nearest-rank: the `p` percentile of `n` calls is the `⌈p·n⌉`-th smallest. A
/// histogram knows only which bucket that call fell in, so a percentile is a bucket `[lower,
/// upper)` that holds the exact value, a point estimate inside it, and the bucket's relative
/// width as its error bound. Values are in the capture's unit (nanoseconds for `record
/// --latency`); open-ended buckets (`(..., 0)`, `[N, ...)`) have infinite bounds.
public struct LatencyHistogram: Sendable, Hashable {
  /// One bucket: `lower` inclusive, `upper` exclusive.
  public struct Bucket: Sendable, Hashable {
    public var lower: Double
    public var upper: Double
    public var count: UInt64

    public init(lower: Double, upper: Double, count: UInt64) {
      self.lower = lower
      self.upper = upper
      self.count = count
    }

    /// `(upper - lower) / lower`: how far any value in the bucket can be from its lower bound,
    /// relative to it; infinite for open buckets and buckets starting at or below 0.
    public var relativeWidth: Double {
      guard lower > 0, upper.isFinite else { return .infinity }
      return (upper - lower) / lower
    }

    /// The middle of the bucket, or its finite bound when it is open.
    public var midpoint: Double {
      if !lower.isFinite { return upper.isFinite ? upper : 0 }
      if !upper.isFinite { return lower }
      return (lower + upper) / 2
    }
  }

  /// A percentile: the bucket that holds it and an estimate inside it.
  public struct Percentile: Sendable, Hashable {
    /// The percentile, 0 < p ≤ 1.
    public var p: Double
    /// The bucket holding the exact value (`lower ≤ value < upper`).
    public var lower: Double
    public var upper: Double
    /// Linear interpolation by rank inside the bucket, clamped to the known minimum and maximum.
    public var estimate: Double
    /// The bucket's relative width (`Bucket.relativeWidth`): the bound on the estimate's error.
    public var relativeError: Double
  }

  /// Non-empty buckets, by lower bound.
  public private(set) var buckets: [Bucket]
  /// Total calls: the sum of the bucket counts.
  public private(set) var count: UInt64
  /// The exact sum of all values, when a `stats()` total gave it.
  public var sum: Double?
  /// Exact minimum and maximum, when `min()`/`max()` gave them.
  public var min: Double?
  public var max: Double?

  public init(buckets: [Bucket] = [], sum: Double? = nil, min: Double? = nil, max: Double? = nil) {
    self.buckets = []
    count = 0
    self.sum = sum
    self.min = min
    self.max = max
    add(buckets)
  }

  /// A histogram of exact values put in `LogLinearBuckets`, with their exact sum, min and max.
  public init(logLinear values: [UInt64]) {
    var counts: [Int: UInt64] = [:]
    for v in values { counts[LogLinearBuckets.index(of: v), default: 0] += 1 }
    let buckets = counts.map { index, count in
      let (lower, upper) = LogLinearBuckets.bounds(of: index)
      return Bucket(lower: Double(lower), upper: Double(upper), count: count)
    }
    self.init(
      buckets: buckets, sum: values.isEmpty ? nil : values.reduce(0.0) { $0 + Double($1) },
      min: values.min().map { Double($0) }, max: values.max().map { Double($0) })
  }

  /// A histogram from bpftrace's bucket rows; nil if a row's label has no numeric range.
  public init?(_ rows: [MapValue.Bucket]) {
    var buckets: [Bucket] = []
    for row in rows {
      guard let (lower, upper) = row.bounds else { return nil }
      buckets.append(Bucket(lower: lower, upper: upper, count: row.count))
    }
    self.init(buckets: buckets)
  }

  /// Adds counts bucket by bucket (equal bounds merge; empty buckets are dropped).
  private mutating func add(_ more: [Bucket]) {
    var byBounds: [Bounds: UInt64] = [:]
    for b in buckets + more where b.count > 0 { byBounds[Bounds(b.lower, b.upper), default: 0] &+= b.count }
    buckets = byBounds.map { Bucket(lower: $0.key.lower, upper: $0.key.upper, count: $0.value) }
      .sorted { $0.lower != $1.lower ? $0.lower < $1.lower : $0.upper < $1.upper }
    count = buckets.reduce(0) { $0 &+ $1.count }
  }

  private struct Bounds: Hashable {
    var lower: Double
    var upper: Double
    init(_ lower: Double, _ upper: Double) {
      self.lower = lower
      self.upper = upper
    }
  }

  /// Both histograms' calls. The sum, minimum and maximum stay known only if both knew them
  /// (an empty side knows them trivially).
  public func merged(with other: LatencyHistogram) -> LatencyHistogram {
    var out = self
    out.add(other.buckets)
    func combine(_ a: Double?, _ b: Double?, aEmpty: Bool, bEmpty: Bool, _ f: (Double, Double) -> Double)
      -> Double?
    {
      if aEmpty { return b }
      if bEmpty { return a }
      guard let a, let b else { return nil }
      return f(a, b)
    }
    let (e1, e2) = (count == 0, other.count == 0)
    out.sum = combine(sum, other.sum, aEmpty: e1, bEmpty: e2, +)
    out.min = combine(min, other.min, aEmpty: e1, bEmpty: e2, Swift.min)
    out.max = combine(max, other.max, aEmpty: e1, bEmpty: e2, Swift.max)
    return out
  }

  /// The sum of all values: exact when known, else the bucket midpoints times their counts.
  public var total: (value: Double, exact: Bool) {
    if let sum { return (sum, true) }
    return (buckets.reduce(0.0) { $0 + $1.midpoint * Double($1.count) }, false)
  }

  /// The mean: exact when the sum is known, else from bucket midpoints; nil with no calls.
  public var mean: (value: Double, exact: Bool)? {
    guard count > 0 else { return nil }
    let t = total
    return (t.value / Double(count), t.exact)
  }

  /// The nearest-rank `p` percentile (0 < p ≤ 1); nil with no calls.
  public func percentile(_ p: Double) -> Percentile? {
    guard count > 0, p > 0, p <= 1 else { return nil }
    let rank = Swift.max(1, UInt64((p * Double(count)).rounded(.up)))
    var below: UInt64 = 0
    for bucket in buckets {
      if below + bucket.count >= rank {
        var lower = bucket.lower
        var upper = bucket.upper
        // Known extremes narrow the first and last buckets and close open ends.
        if let min, min >= lower, min < upper { lower = min }
        if let max, max >= lower, max < upper { upper = Swift.min(upper, max.nextUp) }
        var estimate: Double
        if lower.isFinite && upper.isFinite {
          estimate = lower + (upper - lower) * (Double(rank - below) - 0.5) / Double(bucket.count)
        } else {
          estimate = lower.isFinite ? lower : upper
        }
        if let min { estimate = Swift.max(estimate, min) }
        if let max { estimate = Swift.min(estimate, max) }
        // The first and last calls are the known extremes themselves.
        if rank == 1, let min { estimate = min }
        if rank == count, let max { estimate = max }
        return Percentile(
          p: p, lower: bucket.lower, upper: bucket.upper, estimate: estimate,
          relativeError: bucket.relativeWidth)
      }
      below += bucket.count
    }
    return nil
  }

  /// The fraction of calls in buckets whose upper bound is at most `x`: the bucketed CDF, exact
  /// at bucket edges (`LatencyComparison` compares two histograms there).
  public func cumulativeShare(atOrBelow x: Double) -> Double {
    guard count > 0 else { return 0 }
    let n = buckets.reduce(UInt64(0)) { $1.upper <= x ? $0 + $1.count : $0 }
    return Double(n) / Double(count)
  }
}
