/// How a profile's UInt64 weights map to the numbers the input wrote: fixed point, with
/// `decimals` digits after the point. A weight `w` stands for `w / 10^decimals`.
///
/// Folded files from austin and other converters carry fractional counts (`31.23`, `31.0`,
/// `6.`); flamegraph.pl reads them as floats. tdptrace keeps them exact instead: the profile's
/// scale is the most decimals any count had, counts read before a finer one are multiplied up
/// (`ProfileBuilder.raiseScale(to:)`), and merging profiles of different scales rescales the
/// coarser one. A weight that no longer fits in UInt64 after rescaling is the same overflow
/// error as a sum that does not fit. Integer inputs keep scale 0, so nothing changes for them.
/// Every output prints weights through `format(_:)`, so a fold, a report, JSON and an SVG title
/// all say `31.23` for the same weight.
public struct WeightScale: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// Digits after the decimal point, 0...19 (10^19 is the largest power of ten in UInt64).
  public let decimals: Int

  /// The most decimals a scale may have.
  public static let maxDecimals = 19
  /// Whole numbers: the scale of every input without fractional counts.
  public static let integer = WeightScale(decimals: 0)

  public init(decimals: Int) {
    precondition((0...Self.maxDecimals).contains(decimals), "decimals out of range")
    self.decimals = decimals
  }

  /// 10^decimals: the weight of one whole unit.
  public var unit: UInt64 { Self.powerOfTen(decimals) }

  static func powerOfTen(_ n: Int) -> UInt64 {
    var p: UInt64 = 1
    for _ in 0..<n { p &*= 10 }
    return p
  }

  public static func < (a: WeightScale, b: WeightScale) -> Bool { a.decimals < b.decimals }

  public var description: String { "\(decimals) decimal\(decimals == 1 ? "" : "s")" }

  /// `weight`, held at this scale, held at `finer` (which has at least as many decimals); nil
  /// when it does not fit in UInt64.
  public func rescale(_ weight: UInt64, to finer: WeightScale) -> UInt64? {
    precondition(finer.decimals >= decimals, "rescaling may only add decimals")
    let (v, o) = weight.multipliedReportingOverflow(by: Self.powerOfTen(finer.decimals - decimals))
    return o ? nil : v
  }

  /// `weight` as a decimal number with exactly `decimals` digits after the point: `31.23`,
  /// `6.00`; whole numbers at scale 0 (`12`). `grouped` separates thousands of the whole part
  /// with commas, as flamegraph.pl prints counts.
  public func format(_ weight: UInt64, grouped: Bool = false) -> String {
    let unit = self.unit
    let whole = weight / unit
    var text = grouped ? Self.grouped(whole) : String(whole)
    if decimals > 0 {
      let fraction = String(weight % unit)
      text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
    return text
  }

  /// `value` (a weight held at this scale) as a Double in whole units, for percentages and
  /// pixel geometry, never for printed counts.
  public func value(_ weight: UInt64) -> Double { Double(weight) / Double(unit) }

  static func grouped(_ n: UInt64) -> String {
    let digits = Array(String(n))
    var out = ""
    for (i, c) in digits.enumerated() {
      if i != 0 && (digits.count - i) % 3 == 0 { out.append(",") }
      out.append(c)
    }
    return out
  }

  /// A decimal count as folded files write it: digits, optionally a point and more digits
  /// (`31`, `31.23`, `31.0`, `6.`). Returns its value as an integer of `decimals` digits' scale
  /// (`31.23` → 3123, 2), or nil when it is not such a number or has more than 19 digits after
  /// the point, or its digits do not fit in UInt64.
  public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> (
    value: UInt64, decimals: Int
  )? {
    guard from < to else { return nil }
    var value: UInt64 = 0
    var decimals = -1
    var digits = 0
    for k in from..<to {
      let b = bytes[k]
      if b == UInt8(ascii: ".") {
        if decimals >= 0 || digits == 0 { return nil }
        decimals = 0
        continue
      }
      let d = b &- 0x30
      if d > 9 { return nil }
      let (m, o1) = value.multipliedReportingOverflow(by: 10)
      let (a, o2) = m.addingReportingOverflow(UInt64(d))
      if o1 || o2 { return nil }
      value = a
      digits += 1
      if decimals >= 0 { decimals += 1 }
    }
    let places = max(decimals, 0)
    if places > maxDecimals { return nil }
    return (value, places)
  }
}
