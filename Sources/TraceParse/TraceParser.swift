/// Input formats tdptrace reads.
public enum InputFormat: String, Sendable, CaseIterable, Codable {
  case bpftrace
  case bpftraceJSON = "bpftrace-json"
  case perfScript = "perf-script"
  case folded
}

/// How perf samples are weighed.
public enum SampleWeight: String, Sendable, CaseIterable {
  case samples
  case period
}

/// Options every parser honours.
public struct ParseOptions: Sendable {
  /// Name used in errors (`<stdin>` for `-`).
  public var sourceName: String
  /// Skip a bad record, count it in `Profile.skipped`, and go on, instead of failing.
  public var lenient: Bool
  /// What a perf sample weighs: 1 per sample (default) or its period. Other formats carry their
  /// own weights and ignore this.
  public var weight: SampleWeight
  /// Put perf's `pid`, `tid` and `cpu` on each sample as labels (for `--pid`/`--tid`
  /// filters). Off by default: they multiply unique stacks, and memory follows unique stacks.
  public var threadLabels: Bool

  public init(
    sourceName: String, lenient: Bool = false, weight: SampleWeight = .samples, threadLabels: Bool = false
  ) {
    self.sourceName = sourceName
    self.lenient = lenient
    self.weight = weight
    self.threadLabels = threadLabels
  }
}

/// Turns the bytes of one input into samples in a `ProfileBuilder`. Parsers stream: they read
/// through a `LineReader` and never hold the whole input.
public protocol TraceParser: Sendable {
  static var format: InputFormat { get }
  /// Reads every record of `input` into `builder`.
  /// - Throws: `ParseError` for the first bad record unless `options.lenient` is set, in which
  ///   case bad records are recorded with `builder.recordSkip` and parsing goes on.
  func parse(_ input: inout LineReader, into builder: inout ProfileBuilder, options: ParseOptions)
    throws(ParseError)
}
