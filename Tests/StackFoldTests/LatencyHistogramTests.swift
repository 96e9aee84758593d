import StackFold
import TestSupport
import Testing
import TraceParse

/// Percentiles from buckets against exact percentiles of the same generated durations.
@Suite struct LatencyHistogramTests {
  /// Nearest rank: the ⌈p·n⌉-th smallest.
  static func exact(_ sorted: [UInt64], _ p: Double) -> UInt64 {
    sorted[max(1, Int((p * Double(sorted.count)).rounded(.up))) - 1]
  }

  /// Log-normal-ish durations around `scale` ns, with a long tail.
  static func durations(seed: UInt64, count: Int, scale: Double) -> [UInt64] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in
      let u = Double(rng.next() >> 11) / Double(1 << 53)
      let tail = rng.below(50) == 0 ? 20.0 : 1.0
      return UInt64(scale * tail * (0.5 + 2 * u * u))
    }
  }

  @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
  func percentileBucketsHoldTheExactValue(seed: UInt64) throws {
    let values = Self.durations(seed: seed, count: 1 + Int(seed) * 997, scale: 1200)
    let sorted = values.sorted()
    let h = LatencyHistogram(logLinear: values)
    #expect(h.count == UInt64(values.count))
    for p in [0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0] {
      let exact = Double(Self.exact(sorted, p))
      let q = try #require(h.percentile(p))
      let holds = q.lower <= exact && exact < q.upper
      #expect(holds, "p\(p): \(exact) not in [\(q.lower), \(q.upper))")
      let inside = q.lower <= q.estimate && q.estimate <= q.upper
      #expect(inside)
      // The bucket error bounds the estimate's error.
      if exact >= 8 {
        #expect(q.relativeError <= 0.125)
        let error: Double = abs(q.estimate - exact) / exact
        #expect(error <= q.relativeError + 1e-12)
      }
    }
    #expect(h.percentile(1.0)?.estimate == Double(sorted.last!))
    #expect(h.mean?.exact == true)
    let exactMean = Double(values.reduce(0, +)) / Double(values.count)
    #expect(abs(h.mean!.value - exactMean) < 1e-6)
  }

  @Test func mergingIsTheHistogramOfBothSets() {
    let a = Self.durations(seed: 7, count: 500, scale: 900)
    let b = Self.durations(seed: 8, count: 300, scale: 3000)
    let merged = LatencyHistogram(logLinear: a).merged(with: LatencyHistogram(logLinear: b))
    #expect(merged == LatencyHistogram(logLinear: a + b))
    var unknown = LatencyHistogram(logLinear: b)
    unknown.sum = nil
    #expect(LatencyHistogram(logLinear: a).merged(with: unknown).sum == nil)
    #expect(LatencyHistogram().merged(with: unknown) == unknown)
  }

  @Test func meanWithoutStatsComesFromMidpoints() throws {
    let h = try #require(
      LatencyHistogram([
        MapValue.Bucket(label: "[1K, 2K)", count: 3), MapValue.Bucket(label: "[2K, 4K)", count: 1),
      ]))
    let mean = try #require(h.mean)
    #expect(!mean.exact)
    let expected: Double = (1536.0 * 3 + 3072) / 4
    #expect(mean.value == expected)
    let p50 = try #require(h.percentile(0.5))
    #expect(p50.lower == 1024)
    #expect(p50.upper == 2048)
    #expect(p50.relativeError == 1)
  }

  @Test func openBucketsHaveInfiniteErrorAndFiniteEstimates() throws {
    let h = try #require(
      LatencyHistogram([
        MapValue.Bucket(label: "(..., 0)", count: 1), MapValue.Bucket(label: "[0, 50)", count: 2),
        MapValue.Bucket(label: "[100, ...)", count: 1),
      ]))
    let low = try #require(h.percentile(0.25))
    #expect(low.lower == -Double.infinity)
    #expect(low.estimate == 0)
    #expect(low.relativeError == Double.infinity)
    let high = try #require(h.percentile(1))
    #expect(high.upper == Double.infinity)
    #expect(high.estimate == 100)
    #expect(LatencyHistogram().percentile(0.5) == nil)
  }

  @Test func companionNamesPairWithTheirHistogram() {
    func companion(_ name: String) -> String? {
      LatencyMapName.companion(name).map { "\($0.histogram) \($0.role.rawValue)" }
    }
    #expect(companion("@latency_stats_ns") == "@latency_ns stats")
    #expect(companion("@latency_min_ns") == "@latency_ns min")
    #expect(companion("@ns_max") == "@ns max")
    #expect(companion("@stats") == "@ stats")
    #expect(companion("@latency_ns") == nil)
    let us = LatencyMapName.unit(of: "@lat_us")
    #expect(us.nanoseconds == 1000 && us.named)
    #expect(!LatencyMapName.unit(of: "@lat").named)
  }
}
