import TraceParse

/// Number text for graphs, written by hand because it is in the inner loop of rendering and
/// must not depend on the locale.
enum FlameGraphNumbers {
  /// `v` with exactly two decimals: `12.50`, `-0.25`.
  static func fixed2(_ v: Double) -> String {
    guard v.isFinite else { return "0.00" }
    // Weights go up to UInt64.max, and a hundred times that does not fit in Int64; a Double
    // that large has no fraction left to print anyway.
    if abs(v) >= 1e15 {
      let whole = abs(v) >= 0x1p64 ? UInt64.max : UInt64(abs(v).rounded())
      return (v < 0 ? "-" : "") + String(whole) + ".00"
    }
    let scaled = Int64((abs(v) * 100).rounded())
    let whole = scaled / 100
    let frac = Int(scaled % 100)
    let sign = v < 0 && scaled != 0 ? "-" : ""
    return sign + String(whole) + (frac < 10 ? ".0" : ".") + String(frac)
  }

  /// Thousands separated, as flamegraph.pl prints counts: `1,234,567`.
  static func grouped(_ n: UInt64) -> String {
    let digits = String(n)
    guard digits.utf8.count > 3 else { return digits }
    var out = ""
    out.reserveCapacity(digits.utf8.count + digits.utf8.count / 3)
    let lead = digits.utf8.count % 3
    for (i, c) in digits.enumerated() {
      if i != 0 && (i - lead) % 3 == 0 { out.append(",") }
      out.append(c)
    }
    return out
  }

  /// A count for a tooltip: the weight with its scale's decimals, thousands grouped (exact); with
  /// flamegraph.pl's `--factor`, the weight times the factor, rounded to those decimals.
  static func count(_ weight: UInt64, scale: WeightScale, factor: Double) -> String {
    if factor == 1 { return scale.format(weight, grouped: true) }
    let value = scale.value(weight) * factor
    guard value.isFinite, abs(value) < 1e15 else { return trimmed(value) }
    let unit = Double(scale.unit)
    // Half to even, as flamegraph.pl's sprintf("%.0f") rounds.
    let held = (abs(value) * unit).rounded(.toNearestOrEven)
    guard held < 0x1p63 else { return trimmed(value) }
    return (value < 0 && held > 0 ? "-" : "") + scale.format(UInt64(held), grouped: true)
  }

  /// `part / whole` as a percentage with two decimals; `0.00` when `whole` is zero.
  static func percent(_ part: UInt64, of whole: UInt64) -> String {
    whole == 0 ? "0.00" : fixed2(Double(part) / Double(whole) * 100)
  }

  /// A rounded signed delta, thousands separated: `+1,234`, `-135,156`, `0`.
  static func signedGrouped(_ v: Double) -> String {
    guard v.isFinite else { return "0" }
    let r = v.rounded()
    if r == 0 { return "0" }
    let magnitude = UInt64(min(abs(r), Double(UInt64.max / 2)))
    return (r > 0 ? "+" : "-") + grouped(magnitude)
  }

  /// A short decimal without trailing zeros: `0.1`, `2`, `12.5`.
  static func trimmed(_ v: Double) -> String {
    if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
    var s = String(v)
    while s.contains("."), s.hasSuffix("0") { s.removeLast() }
    return s
  }
}
