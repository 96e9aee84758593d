/// The log-linear histogram buckets of `record --latency`: values below 8 get one bucket each
/// (`[0, 1)` … `[7, 8)`); above, every power of two `[2^e, 2^(e+1))` is split into 8 equal
/// sub-buckets, so a bucket `[lo, hi)` is never wider than 12.5% of its `lo`.
///
/// The writer of captures (`Sources/LiveCapture`) and the tests use this one Swift definition;
/// the BPF program computes the same buckets in C (`latency_bucket` in
/// `Sources/LiveCapture/bpf/tdptrace.h`, which cannot call Swift), and
/// `LatencyCaptureTests` checks the two agree on every bucket. Bucket indices run from 0 (`[0, 1)`) to
/// `LogLinearBuckets.count - 1`; the last bucket's `upper` saturates at `UInt64.max`.
public enum LogLinearBuckets {
  /// Sub-buckets per power of two (a power of two itself).
  public static let subBuckets: UInt64 = 8
  /// log2 of `subBuckets`.
  static let subBits = 3
  /// Number of buckets covering every UInt64: 8 exact ones, then 8 per power of two 2^3…2^63.
  public static let count = 8 + (64 - subBits) * 8

  /// The bucket holding `value`.
  public static func index(of value: UInt64) -> Int {
    if value < subBuckets { return Int(value) }
    let exponent = 63 - value.leadingZeroBitCount  // ≥ 3
    let sub = Int((value >> UInt64(exponent - subBits)) & (subBuckets - 1))
    return Int(subBuckets) + (exponent - subBits) * Int(subBuckets) + sub
  }

  /// The bucket's bounds, `lower` inclusive and `upper` exclusive (saturated at UInt64.max
  /// for the last bucket, which then includes it).
  public static func bounds(of index: Int) -> (lower: UInt64, upper: UInt64) {
    precondition(index >= 0 && index < count, "bucket index \(index) out of 0..<\(count)")
    if index < Int(subBuckets) { return (UInt64(index), UInt64(index) + 1) }
    let exponent = (index - Int(subBuckets)) / Int(subBuckets) + subBits
    let sub = UInt64((index - Int(subBuckets)) % Int(subBuckets))
    let width = UInt64(1) << UInt64(exponent - subBits)
    let lower = (subBuckets + sub) * width
    let (upper, overflow) = lower.addingReportingOverflow(width)
    return (lower, overflow ? UInt64.max : upper)
  }

  /// The bucket's label as a capture prints it: `[1024, 1152)`.
  public static func label(of index: Int) -> String {
    let (lower, upper) = bounds(of: index)
    return "[\(lower), \(upper))"
  }
}
