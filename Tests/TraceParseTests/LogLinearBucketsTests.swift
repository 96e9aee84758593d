import TestSupport
import Testing

@testable import TraceParse

/// The bucket scheme `record --latency` writes: exact below 8, then 8 sub-buckets per power of
/// two, each at most 12.5% wide.
@Suite struct LogLinearBucketsTests {
  @Test func smallValuesHaveExactBuckets() {
    for v in UInt64(0)..<8 {
      #expect(LogLinearBuckets.index(of: v) == Int(v))
      let (lower, upper) = LogLinearBuckets.bounds(of: Int(v))
      #expect(lower == v && upper == v + 1)
    }
  }

  @Test func bucketsOfTheFormatExample() {
    #expect(LogLinearBuckets.label(of: LogLinearBuckets.index(of: 1024)) == "[1024, 1152)")
    #expect(LogLinearBuckets.label(of: LogLinearBuckets.index(of: 1279)) == "[1152, 1280)")
    #expect(LogLinearBuckets.label(of: LogLinearBuckets.index(of: 8)) == "[8, 9)")
    #expect(LogLinearBuckets.label(of: LogLinearBuckets.index(of: 16)) == "[16, 18)")
  }

  @Test func bucketsTileEveryUInt64WithoutGaps() {
    var expectedLower: UInt64 = 0
    for i in 0..<LogLinearBuckets.count {
      let (lower, upper) = LogLinearBuckets.bounds(of: i)
      #expect(lower == expectedLower, "bucket \(i)")
      #expect(upper > lower)
      let width = Double(upper - lower) / Double(lower)
      if lower >= 8 { #expect(width <= 0.125) }
      expectedLower = upper
    }
    #expect(expectedLower == UInt64.max)
    #expect(LogLinearBuckets.index(of: .max) == LogLinearBuckets.count - 1)
  }

  @Test func everyValueFallsInItsBucket() {
    var rng = SplitMix64(seed: 14)
    for _ in 0..<20_000 {
      let v = rng.next() >> UInt64(rng.below(64))
      let (lower, upper) = LogLinearBuckets.bounds(of: LogLinearBuckets.index(of: v))
      let inside = lower <= v && (v < upper || upper == .max)
      #expect(inside, "\(v)")
    }
  }

  @Test(arguments: [
    ("[1024, 1152)", 1024.0, 1152.0), ("[1K, 2K)", 1024, 2048), ("[1M, 2M)", 1_048_576, 2_097_152),
    ("[0]", 0, 1), ("[1]", 1, 2), ("(..., 0)", -.infinity, 0), ("[100, ...)", 100, .infinity),
    ("[-10, 0)", -10, 0),
  ])
  func bucketLabelsReadAsRanges(label: String, lower: Double, upper: Double) {
    let bounds = MapValue.Bucket(label: label, count: 1).bounds
    let (l, u) = (bounds?.lower, bounds?.upper)
    #expect(l == lower)
    #expect(u == upper)
  }

  @Test func labelsThatAreNoRangeReadAsNil() {
    for label in ["[a, b)", "[2, 1)", "()", "[1, 2]"] {
      let bounds = MapValue.Bucket(label: label, count: 1).bounds
      #expect(bounds == nil, "\(label)")
    }
  }
}
