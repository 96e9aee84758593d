import Foundation

/// Durations as the latency report prints them: three significant digits in the largest unit
/// that keeps the number at 1 or more (`850 ns`, `1.28 µs`, `15.3 ms`, `2.10 s`).
enum Durations {
  /// `nanoseconds` as text; open bucket ends print as `-∞` and `∞`.
  static func text(_ nanoseconds: Double) -> String {
    if nanoseconds == .infinity { return "∞" }
    if nanoseconds == -.infinity { return "-∞" }
    let magnitude = abs(nanoseconds)
    let (value, unit): (Double, String) =
      magnitude < 1e3
      ? (nanoseconds, "ns")
      : magnitude < 1e6
        ? (nanoseconds / 1e3, "µs") : magnitude < 1e9 ? (nanoseconds / 1e6, "ms") : (nanoseconds / 1e9, "s")
    if unit == "ns" { return String(format: "%.0f ns", value) }
    let digits = abs(value) < 10 ? 2 : abs(value) < 100 ? 1 : 0
    return String(format: "%.\(digits)f %@", value, unit)
  }

  /// A bucket's range, `1.15–1.28 µs` when both ends have the same unit, else `850 ns–1.02 µs`.
  static func range(_ lower: Double, _ upper: Double) -> String {
    let lo = text(lower)
    let hi = text(upper)
    let loUnit = lo.split(separator: " ").last
    let hiUnit = hi.split(separator: " ").last
    if loUnit == hiUnit, lower.isFinite, upper.isFinite, let number = lo.split(separator: " ").first {
      return number + "–" + hi
    }
    return lo + "–" + hi
  }
}
