/// Why no input format fits an input: one reason per format of `TraceParsers.all`, in
/// detection order, so an error names the file and says what each format looked for and where
/// it stopped (`folded: line 3: no count`) instead of only "unknown format".
///
/// The reasons are worded from each format's `recognizes` rule; they are computed only after
/// detection failed, so they cost nothing on inputs that parse.
public struct DetectionFailure: Sendable, Hashable, CustomStringConvertible {
  /// (format, why it did not fit), in detection order.
  public var reasons: [(format: InputFormat, reason: String)]

  public static func == (a: DetectionFailure, b: DetectionFailure) -> Bool {
    a.reasons.map(\.format) == b.reasons.map(\.format) && a.reasons.map(\.reason) == b.reasons.map(\.reason)
  }
  public func hash(into hasher: inout Hasher) {
    for (f, r) in reasons {
      hasher.combine(f)
      hasher.combine(r)
    }
  }

  /// The reasons for `prefix` (the bytes detection saw).
  public init(prefix: [UInt8], inputEnded: Bool) {
    if prefix.isEmpty {
      reasons = InputFormat.detectionOrder.map { ($0, "no data (empty input)") }
      return
    }
    if prefix.contains(0) {
      reasons = InputFormat.detectionOrder.map { ($0, "binary data (a NUL byte)") }
      return
    }
    guard let input = DetectionInput(prefix: prefix, inputEnded: inputEnded) else {
      reasons = InputFormat.detectionOrder.map { ($0, "only blank lines") }
      return
    }
    reasons = InputFormat.detectionOrder.map { ($0, Self.reason($0, input) ?? "matches") }
  }

  /// `bpftrace JSON: ...; bpftrace: ...; perf script: ...; folded: ...`.
  public var description: String {
    reasons.map { "\($0.format.displayName): \($0.reason)" }.joined(separator: "; ")
  }

  static func reason(_ format: InputFormat, _ input: DetectionInput) -> String? {
    let first = input.lines.firstIndex { !$0.allSatisfy(DetectionInput.isSpace) } ?? 0
    switch format {
    case .bpftraceJSON:
      if BpftraceJSONParser.recognizes(input) { return nil }
      return "line \(first + 1): not a JSON object starting {\"type\":"
    case .bpftrace:
      if BpftraceTextParser.recognizes(input) { return nil }
      return "no 'Attaching N probes' line and no map entry '@name[' or '@name:'"
    case .perfScript:
      if PerfScriptParser.recognizes(input) { return nil }
      // The first line that is neither a comment nor a sample header is where it stopped.
      let scratch = UnsafeMutablePointer<Int>.allocate(capacity: PerfSampleHeader.scratchCount)
      defer { scratch.deallocate() }
      for (i, line) in input.lines.enumerated() {
        if line.allSatisfy(DetectionInput.isSpace) || line.first == 0x23 { continue }
        if line.first.map(DetectionInput.isSpace) == true {
          return "line \(i + 1): indented line with no sample header before it"
        }
        let ok = line.withUnsafeBufferPointer { (try? PerfSampleHeader.parse($0, scratch: scratch)) != nil }
        if !ok { return "line \(i + 1): no sample header (comm pid time: event:)" }
      }
      return "no sample header"
    case .folded:
      return FoldedParser.rejection(input)
    }
  }
}

extension InputFormat {
  /// The formats in the order `FormatDetector` tries them.
  static var detectionOrder: [InputFormat] { TraceParsers.all.map { $0.format } }

  /// The name errors use: `bpftrace JSON`, `perf script`.
  public var displayName: String {
    switch self {
    case .bpftrace: return "bpftrace"
    case .bpftraceJSON: return "bpftrace JSON"
    case .perfScript: return "perf script"
    case .folded: return "folded"
    }
  }
}
