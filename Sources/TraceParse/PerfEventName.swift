/// perf event names without their modifiers: `cycles:u`, `cycles:ppp` and `cycles` are one
/// event, counted in different ways (user only, precise), so a capture or a set of captures
/// that mixes them has one source, not several. A tracepoint's `sched:sched_switch` keeps its
/// colon: `sched_switch` is not made of modifier letters.
public enum PerfEventName {
  /// perf's event modifier letters (tools/perf/util/parse-events.l: `[ukhIGHpPSDWebX]`).
  static let modifiers = Set("ukhIGHpPSDWebX".utf8)

  /// `cycles:u` → `cycles`, `cpu-clock:ppp` → `cpu-clock`; anything else as it is.
  public static func withoutModifiers(_ event: String) -> String {
    let bytes = Array(event.utf8)
    guard let colon = bytes.lastIndex(of: UInt8(ascii: ":")), colon > 0, colon + 1 < bytes.count,
      bytes[(colon + 1)...].allSatisfy(modifiers.contains)
    else { return event }
    return String(decoding: bytes[..<colon], as: UTF8.self)
  }
}
