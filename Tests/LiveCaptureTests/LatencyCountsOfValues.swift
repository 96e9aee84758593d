@testable import LiveCapture

extension LatencyCounts {
  /// The counts the BPF side would hold after timing `values` (ns), for synthetic captures.
  static func of(_ values: [UInt64]) -> LatencyCounts {
    var byBucket: [UInt32: UInt64] = [:]
    for v in values { byBucket[LatencyCounts.bucket(of: v), default: 0] += 1 }
    return LatencyCounts(
      count: UInt64(values.count), total: values.reduce(0, +), min: values.min()!, max: values.max()!,
      buckets: byBucket.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
  }
}
