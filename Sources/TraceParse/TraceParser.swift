/// Input formats tdptrace reads.
public enum InputFormat: String, Sendable, CaseIterable, Codable {
  case bpftrace
  case bpftraceJSON = "bpftrace-json"
  case perfScript = "perf-script"
  case folded
}

/// How perf samples are weighed.
public enum SampleWeight: String, Sendable, CaseIterable {
  /// 1 per sample.
  case samples
  /// The sample's period, or 1 when perf printed none (stackcollapse-perf.pl's fallback).
  case period
}

/// Options every parser honours.
public struct ParseOptions: Sendable {
  /// Name used in errors (`<stdin>` for `-`).
  public var sourceName: String
  /// Skip a bad record, count it in `Profile.skipped`, and go on, instead of failing.
  public var lenient: Bool
  /// What a perf sample weighs: 1 per sample (default) or its period (1 without one). Other formats carry their
  /// own weights and ignore this.
  public var weight: SampleWeight
  /// Put perf's `pid`, `tid` and `cpu` on each sample as labels (for `--pid`/`--tid`
  /// filters). Off by default: they multiply unique stacks, and memory follows unique stacks.
  public var threadLabels: Bool
  /// `--intervals`: anything but `auto` also makes a map printed again without a `time()`
  /// header a new interval block (`IntervalTracker`).
  public var intervals: IntervalMode

  public init(
    sourceName: String, lenient: Bool = false, weight: SampleWeight = .samples, threadLabels: Bool = false,
    intervals: IntervalMode = .auto
  ) {
    self.sourceName = sourceName
    self.lenient = lenient
    self.weight = weight
    self.threadLabels = threadLabels
    self.intervals = intervals
  }
}

/// Turns the bytes of one input into samples in a `ProfileBuilder`. Parsers stream: they read
/// through a `LineReader` and never hold the whole input.
///
/// Besides parsing, each parser answers for its format the two questions asked before any
/// parse: whether a prefix of an input looks like it (`recognizes`, for `FormatDetector`), and
/// where a record may start inside a file (`recordStart`, for `ParallelLoader`). Adding a format
/// is one conforming type (in its own file, with its `InputFormat` case) plus its line in
/// `TraceParsers.all`.
public protocol TraceParser: Sendable {
  static var format: InputFormat { get }
  init()
  /// Whether `input`, the start of a file, is in this format. Called in the order of
  /// `TraceParsers.all`, and only for text that has a non-blank line; the first parser that
  /// recognizes the input wins, so a rule may assume the formats before it did not match.
  static func recognizes(_ input: DetectionInput) -> Bool
  /// Whether the file can be cut at the offsets `recordStart` finds. Without it the file is
  /// parsed on one core.
  static var canSplit: Bool { get }
  /// The first index at or after `from` in `window` (bytes read from the middle of a file) where
  /// a record starts, judged from the bytes alone: just after a newline, so `from` must be at
  /// least 1 and `window[from - 1]` is looked at. nil if no record starts in the window.
  static func recordStart(in window: UnsafeBufferPointer<UInt8>, from: Int) -> Int?
  /// Reads every record of `input` into `builder`.
  /// - Throws: `ParseError` for the first bad record unless `options.lenient` is set, in which
  ///   case bad records are recorded with `builder.recordSkip` and parsing goes on.
  func parse(_ input: inout LineReader, into builder: inout ProfileBuilder, options: ParseOptions)
    throws(ParseError)
}

extension TraceParser {
  /// A format that does not say where its records start is read in one piece.
  public static var canSplit: Bool { false }

  public static func recordStart(in window: UnsafeBufferPointer<UInt8>, from: Int) -> Int? { nil }
}
