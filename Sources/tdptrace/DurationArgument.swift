import ArgumentParser

/// A duration on the command line, as perf and bpftrace users write them: `1ms`, `500us`,
/// `2.5s`, `100ns`, or a bare number of nanoseconds.
struct DurationArgument: ExpressibleByArgument, Sendable, Equatable {
  var nanoseconds: UInt64

  init?(argument: String) { self.init(argument, bareScale: 1) }

  /// `bareScale`: nanoseconds per unit of a number written without a unit.
  init?(_ argument: String, bareScale: Double) {
    let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)]
    var text = Substring(argument)
    var scale = bareScale
    if let unit = units.first(where: { text.hasSuffix($0.0) }) {
      text = text.dropLast(unit.0.count)
      scale = unit.1
    }
    guard let value = Double(text), value.isFinite, value >= 0, value * scale < 1.8e19 else { return nil }
    nanoseconds = UInt64((value * scale).rounded())
  }

  var seconds: Double { Double(nanoseconds) / 1e9 }

  static var defaultCompletionKind: CompletionKind { .default }
}

/// A period such as `--interval 1s`: the same units, but a bare number is seconds, as in
/// kvm_stat's delay and bpftrace's `interval:s:N`.
struct PeriodArgument: ExpressibleByArgument, Sendable, Equatable {
  var duration: DurationArgument

  init?(argument: String) {
    guard let duration = DurationArgument(argument, bareScale: 1e9) else { return nil }
    self.duration = duration
  }

  var seconds: Double { duration.seconds }

  /// Refuses a period shorter than 10 ms: each period reads every map, summarises and prints.
  func validate(_ option: String) throws {
    if !(seconds >= 0.01) { throw ValidationError("\(option) must be at least 10ms") }
  }

  /// `1s`, `500ms`: as the user would write it, for the help's default.
  var defaultValueDescription: String {
    let ns = duration.nanoseconds
    if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
    if ns % 1_000_000 == 0 { return "\(ns / 1_000_000)ms" }
    return "\(ns)ns"
  }

  static var defaultCompletionKind: CompletionKind { .default }
}
