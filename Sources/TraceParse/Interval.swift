/// One block of a capture read as a time series: what bpftrace printed between two `time()`
/// headers (`interval:s:1 { time(); print(@); clear(@); }`), one JSON `time` message to the
/// next, or one `record --interval` block. Its samples carry the label `interval` with `index`.
public struct IntervalMark: Hashable, Sendable, Codable {
  /// 0-based, in input order; the value of the samples' `interval` label.
  public var index: Int
  /// The header as printed (`07:59:41`), nil for a block without one (bpftrace's exit print).
  public var time: String?
  /// The input line where the block starts (its header, or its first entry).
  public var line: Int

  public init(index: Int, time: String?, line: Int) {
    self.index = index
    self.time = time
    self.line = line
  }
}

/// How the blocks of an interval capture relate (`--intervals`).
public enum IntervalMode: String, Sendable, CaseIterable, Codable {
  /// Decide from the counts, by the rule in `IntervalResolution`.
  case auto
  /// Each block holds the events of its interval alone (the script cleared its maps).
  case delta
  /// Each block holds running totals (`print(@)` without `clear(@)`).
  case cumulative

  /// The line `record --interval` writes after `Attaching N probes...`: its blocks are deltas
  /// however the counts look, so `--intervals auto` need not guess (a steady workload whose
  /// every stack fires in every interval at a rising rate would look cumulative).
  public static let deltaDeclaration = "tdptrace: interval blocks are deltas (counts since the block before)"
}

extension UInt64 {
  /// A running counter's events since it read `earlier`: the difference, or the whole count
  /// when it fell (the counter was reset, so all it holds came after). Never wraps.
  public func counted(since earlier: UInt64) -> UInt64 { self >= earlier ? self - earlier : self }
}

extension Labels.Name {
  /// The sample's block in an interval capture, `0`, `1`, ... (see `IntervalMark`).
  public static let interval = "interval"
}
