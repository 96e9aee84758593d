/// The numeric range of a histogram bucket as bpftrace labels it, for latency percentiles.
///
/// Labels: `[lo, hi)` (`hist()` log2 rows with K/M/G/T/P/E suffixes, powers of 1024 as bpftrace
/// prints them; `lhist()` rows; the log-linear rows of `record --latency`), `[N]` (hist's
/// single-value rows `[0]`, `[1]`), `(..., N)` (values below N: negative values in `hist()`, below
/// the minimum in `lhist()`) and `[N, ...)` (at or above the `lhist()` maximum). Open ends are
/// infinite.
extension MapValue.Bucket {
  /// `lower` inclusive, `upper` exclusive; nil when the label is none of the shapes above.
  public var bounds: (lower: Double, upper: Double)? {
    guard let first = label.first, let last = label.last else { return nil }
    let inner = label.dropFirst().dropLast()
    let parts = inner.split(separator: ",", omittingEmptySubsequences: false).map {
      $0.drop { $0 == " " }
    }
    if parts.count == 1, first == "[", last == "]", let v = Self.number(parts[0]) { return (v, v + 1) }
    guard parts.count == 2 else { return nil }
    if first == "(", last == ")", parts[0] == "...", let hi = Self.number(parts[1]) {
      return (-.infinity, hi)
    }
    guard first == "[", last == ")", let lo = Self.number(parts[0]) else { return nil }
    if parts[1] == "..." { return (lo, .infinity) }
    guard let hi = Self.number(parts[1]), hi > lo else { return nil }
    return (lo, hi)
  }

  /// `4K` → 4096, `-5` → -5 (bpftrace's suffixes are powers of 1024).
  static func number(_ text: Substring) -> Double? {
    let scales: [Character: Double] = [
      "K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40, "P": 0x1p50, "E": 0x1p60,
    ]
    if let last = text.last, let scale = scales[last] {
      return Int64(text.dropLast()).map { Double($0) * scale }
    }
    return Int64(text).map { Double($0) }
  }
}
