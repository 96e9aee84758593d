import CTDPTraceBPF
import TraceParse

/// One `struct latency_value` (bpf/tdptrace.h) as read: calls, their total, minimum and maximum
/// in nanoseconds, and the non-empty log-linear buckets.
public struct LatencyCounts: Sendable, Equatable {
  public var count: UInt64
  public var total: UInt64
  public var min: UInt64
  public var max: UInt64
  /// (bucket index, calls), ascending, empty buckets left out.
  public var buckets: [(index: UInt32, count: UInt64)]

  public init(
    count: UInt64, total: UInt64, min: UInt64, max: UInt64, buckets: [(index: UInt32, count: UInt64)]
  ) {
    self.count = count
    self.total = total
    self.min = min
    self.max = max
    self.buckets = buckets
  }

  init(_ value: latency_value) {
    var value = value
    count = value.count
    total = value.total
    max = value.max
    min = ~value.min_inverted
    buckets = withUnsafeBytes(of: &value.buckets) { raw in
      raw.bindMemory(to: UInt64.self).enumerated().compactMap { index, n in
        n == 0 ? nil : (UInt32(index), n)
      }
    }
  }

  /// The bucket's bounds `[low, high)` in nanoseconds (`LogLinearBuckets`); high is nil for the
  /// last bucket, whose bound (2^64) does not fit.
  public static func bounds(of index: UInt32) -> (low: UInt64, high: UInt64?) {
    let (low, high) = LogLinearBuckets.bounds(of: Int(index))
    return (low, Int(index) == LogLinearBuckets.count - 1 ? nil : high)
  }

  /// The bucket a duration falls in.
  public static func bucket(of nanoseconds: UInt64) -> UInt32 {
    UInt32(LogLinearBuckets.index(of: nanoseconds))
  }

  public static func == (a: LatencyCounts, b: LatencyCounts) -> Bool {
    a.count == b.count && a.total == b.total && a.min == b.min && a.max == b.max
      && a.buckets.map(\.index) == b.buckets.map(\.index) && a.buckets.map(\.count) == b.buckets.map(\.count)
  }
}

extension LatencyCounts {
  /// The calls after `earlier`, an earlier read of the same histogram: calls, total and each
  /// bucket minus its count then (a bucket that fell, reset by the kernel, counts whole).
  /// Minimum and maximum have no difference and stay this read's.
  func since(_ earlier: LatencyCounts) -> LatencyCounts {
    var before: [UInt32: UInt64] = [:]
    for (i, n) in earlier.buckets { before[i] = n }
    let buckets = self.buckets.compactMap { index, n -> (index: UInt32, count: UInt64)? in
      let d = n.counted(since: before[index] ?? 0)
      return d == 0 ? nil : (index, d)
    }
    let calls = buckets.reduce(0) { $0 + $1.count }
    return LatencyCounts(
      count: calls, total: total >= earlier.total && count >= earlier.count ? total - earlier.total : total,
      min: min, max: max, buckets: buckets)
  }
}
