/// Reads `perf script` output: a header line per sample, then its callchain leaf first, one
/// frame per line, and a blank line (see `PerfSampleHeader`, `PerfFrameLine`).
///
/// Labels per sample: `event` (as perf prints it without the final `:` and without modifiers,
/// so `cpu-clock:ppp` is `cpu-clock`, see `PerfEventName`; `kvmmmu:kvm_mmu_get_page`) and `comm`; with `ParseOptions.threadLabels` also `pid`
/// (when perf printed `pid/tid`), `tid` and `cpu`. Thread labels are off by default because
/// they multiply unique stacks, and memory follows unique stacks.
///
/// Speed: each distinct frame line is decoded once; repeats are found by hashing their bytes.
/// Stacks are hashed once as frame-id sequences (`StackAccumulator`).
public struct PerfScriptParser: TraceParser {
  public static let format = InputFormat.perfScript
  public init() {}

  public func parse(_ input: inout LineReader, into builder: inout ProfileBuilder, options: ParseOptions)
    throws(ParseError)
  {
    var state = PerfScriptReader(options: options)
    try state.run(&input, &builder)
  }
}

/// The streaming state of one perf script parse.
struct PerfScriptReader: ~Copyable {
  let options: ParseOptions
  /// Distinct frame lines (after indentation) → line number in `lineFrame`/`successor`.
  var frames = ByteKeyTable(capacity: 4096)
  var lineFrame: [FrameID] = []
  /// For each distinct line, the line that followed it last time (-1 if none): stacks repeat,
  /// so the next line is usually this one, and a `memcmp` confirms it without hashing.
  var successor: [Int32] = []
  /// The line last pushed in this sample, -1 right after a header.
  var previousLine: Int32 = -1
  /// The first frame line of the previous sample.
  var firstLineGuess: Int32 = -1
  var labelSets = ByteKeyTable(capacity: 64)
  var stacks = StackAccumulator()
  let scratch = UnsafeMutablePointer<Int>.allocate(capacity: PerfSampleHeader.scratchCount)
  var labelKey = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
  var labelKeyCapacity = 256

  /// Inside a sample: frames and srclines belong to it until a blank line or the next header.
  var inSample = false
  var sampleWeight: UInt64 = 0
  var sampleLine = 0
  /// Whether the header line carried its one frame (no callchain follows).
  var singleLine = false
  /// Lenient mode: the current record is bad; skip to its end.
  var skipping = false

  init(options: ParseOptions) {
    self.options = options
  }

  deinit {
    scratch.deallocate()
    labelKey.deallocate()
  }

  mutating func run(_ input: inout LineReader, _ builder: inout ProfileBuilder) throws(ParseError) {
    builder.unit = options.weight == .period ? .period : .count
    while true {
      guard let line = try input.nextLine(source: options.sourceName) else { break }
      let count = line.count
      // Fast path: a TAB-indented frame line inside a sample.
      if inSample && count > 0 && line[0] == 0x09 {
        if skipping { continue }
        if singleLine { payloadWasNotAFrame() }
        try frameLine(line, &input, &builder)
        continue
      }
      if isBlank(line) {
        if inSample { try endSample(&input, &builder) }
        skipping = false
        continue
      }
      if line[0] == UInt8(ascii: "#") && !inSample { continue }
      if line[0] == 0x20 || line[0] == 0x09 {
        if inSample && singleLine && !skipping && line[0] == 0x09 { payloadWasNotAFrame() }
        if inSample && !singleLine && !skipping && knownFrame(line) { continue }
        // Space-indented frames (older perf), `-F +srcline` lines, or a right-aligned comm
        // (perf pads comm to 16 columns when no callchain is printed).
        if inSample && !singleLine {
          if skipping { continue }
          if PerfFrameLine.looksLikeFrame(line) && !looksLikeHeader(line) {
            try frameLine(line, &input, &builder)
          } else {
            try srcline(line, &input, &builder)
          }
          continue
        }
        if !looksLikeHeader(line) {
          if inSample && skipping { continue }
          if inSample && PerfFrameLine.looksLikeFrame(line) {
            try frameLine(line, &input, &builder)
            continue
          }
          try fail(
            &input, &builder, column: 1,
            expected: PerfFrameLine.looksLikeFrame(line)
              ? "a sample header before this frame line" : PerfSampleHeader.shape,
            found: line)
          continue
        }
      }
      // A frame line that is not indented (FlameGraph's test/perf-java-stacks-02.txt):
      // stackcollapse-perf.pl reads any line that is not a header as a frame of the sample.
      if inSample && !singleLine && PerfFrameLine.looksLikeFrame(line) && !looksLikeHeader(line) {
        if !skipping { try frameLine(line, &input, &builder) }
        continue
      }
      if inSample { try endSample(&input, &builder) }
      skipping = false
      try header(line, &input, &builder)
    }
    if inSample {
      if input.lastLineUnterminated && !skipping {
        // The file was cut inside this sample: its last frame line may be partial.
        try fail(
          &input, &builder, column: nil,
          expected: "the rest of the sample that starts on line \(sampleLine) (the input ends mid-line)",
          found: nil)
      } else if !skipping {
        try endSample(&input, &builder)
      }
    }
    do { try stacks.flush(into: &builder, leafFirst: true) } catch {
      throw ParseError(
        SourcePosition(file: options.sourceName, line: input.lineNumber), expected: error.description)
    }
  }

  private func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
    for c in line where c != 0x20 && c != 0x09 { return false }
    return true
  }

  /// A line with a time token (`123.456:`) after at least two tokens is a header.
  private func looksLikeHeader(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
    (try? PerfSampleHeader.parse(line, scratch: scratch)) != nil
  }

  private mutating func header(
    _ line: UnsafeBufferPointer<UInt8>, _ input: inout LineReader, _ builder: inout ProfileBuilder
  ) throws(ParseError) {
    let h: PerfSampleHeader
    do { h = try PerfSampleHeader.parse(line, scratch: scratch) } catch {
      if PerfFrameLine.looksLikeFrame(line) && line[0] == 0x09 {
        try fail(&input, &builder, column: 1, expected: "a sample header before this frame line", found: line)
      } else {
        try fail(
          &input, &builder, column: error.column, expected: error.expected, found: line, isHeader: true)
      }
      return
    }
    var weight: UInt64 = 1
    if options.weight == .period {
      if h.period == nil, let digits = h.periodDigits {
        try fail(
          &input, &builder, column: digits.lowerBound + 1,
          expected: "a sample period of at most \(UInt64.max) (UInt64)", found: line, isHeader: true)
        return
      }
      // A sample without a period (perf script without `-F +period`) weighs 1, as in
      // stackcollapse-perf.pl, so one command folds any capture.
      weight = h.period ?? 1
    }
    let labels = labelSet(h, line, &builder)
    stacks.begin(labels: labels)
    previousLine = -1
    inSample = true
    singleLine = false
    skipping = false
    sampleWeight = weight
    sampleLine = input.lineNumber
    if let rest = h.rest {
      let tail = UnsafeBufferPointer(rebasing: line[rest])
      // A frame on the header line: a sample printed without its callchain. Anything else
      // after the event is tracepoint payload, which is not part of the stack.
      if PerfFrameLine.looksLikeFrame(tail), tail.last == UInt8(ascii: ")") {
        stacks.push(intern(frameBytes: tail, &builder))
        singleLine = true
      }
    }
  }

  /// A callchain follows a header whose tail looked like a frame: that tail was tracepoint
  /// payload (perf prints the frame on the header line only when there is no callchain).
  private mutating func payloadWasNotAFrame() {
    stacks.begin(labels: stacks.labels)
    previousLine = -1
    singleLine = false
  }

  /// The label set of a header, found by the bytes of its comm and event (and thread fields).
  private mutating func labelSet(
    _ h: PerfSampleHeader, _ line: UnsafeBufferPointer<UInt8>, _ builder: inout ProfileBuilder
  ) -> LabelSetID {
    // Key: comm NUL event [NUL pid NUL tid NUL cpu], built in a reused buffer.
    let needed = line.count + 4
    if needed > labelKeyCapacity {
      labelKey.deallocate()
      labelKeyCapacity = needed * 2
      labelKey = .allocate(capacity: labelKeyCapacity)
    }
    var used = 0
    func append(_ r: Range<Int>?) {
      guard let r, let base = line.baseAddress else { return }
      (labelKey + used).update(from: base + r.lowerBound, count: r.count)
      used += r.count
    }
    func separator() {
      labelKey[used] = 0
      used += 1
    }
    append(h.comm)
    separator()
    append(h.event)
    if options.threadLabels {
      separator()
      append(h.pid)
      separator()
      append(h.tid)
      separator()
      append(h.cpu)
    }
    let key = UnsafeBufferPointer(start: labelKey, count: used)
    do {
      let hash = hashBytes(key.baseAddress!, key.count)
      if let id = labelSets.find(key.baseAddress!, key.count, hash: hash) { return id }
      func text(_ r: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: line[r]), as: UTF8.self)
      }
      var labels = Labels([
        Labels.Entry(Labels.Name.event, PerfEventName.withoutModifiers(text(h.event))),
        Labels.Entry(Labels.Name.comm, text(h.comm)),
      ])
      if options.threadLabels {
        if let pid = h.pid { labels.entries.append(Labels.Entry(Labels.Name.pid, text(pid))) }
        labels.entries.append(Labels.Entry(Labels.Name.tid, text(h.tid)))
        if let cpu = h.cpu {
          // `[003]` is printed zero-padded; the label is the number.
          let digits = text(cpu)
          labels.entries.append(Labels.Entry(Labels.Name.cpu, String(Int(digits) ?? 0)))
        }
      }
      let id = builder.intern(labels)
      labelSets.insert(key.baseAddress!, key.count, hash: hash, value: id)
      return id
    }
  }

  /// Pushes the frame if this exact line (after its indentation) was seen before.
  @inline(__always)
  private mutating func knownFrame(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
    var start = 0
    while start < line.count && (line[start] == 0x09 || line[start] == 0x20) { start += 1 }
    guard start < line.count, let base = line.baseAddress else { return false }
    let body = base + start
    let length = line.count - start
    let guess = previousLine >= 0 ? successor[Int(previousLine)] : firstLineGuess
    var index: Int32
    if guess >= 0 && frames.keyEquals(Int(guess), body, length) {
      index = guess
    } else {
      guard let found = frames.find(body, length, hash: hashBytes(body, length)) else { return false }
      index = Int32(bitPattern: found)
      remember(index)
    }
    previousLine = index
    stacks.push(lineFrame[Int(index)])
    return true
  }

  /// Records that `index` followed the previous line, for the next guess.
  @inline(__always)
  private mutating func remember(_ index: Int32) {
    if previousLine >= 0 { successor[Int(previousLine)] = index } else { firstLineGuess = index }
  }

  @inline(__always)
  private mutating func frameLine(
    _ line: UnsafeBufferPointer<UInt8>, _ input: inout LineReader, _ builder: inout ProfileBuilder
  ) throws(ParseError) {
    if knownFrame(line) { return }
    guard PerfFrameLine.looksLikeFrame(line) else {
      // perf indents frames with a TAB and srclines with two spaces: this is neither.
      var start = 0
      while start < line.count && (line[start] == 0x09 || line[start] == 0x20) { start += 1 }
      try fail(
        &input, &builder, column: start + 1, expected: "a frame line (address symbol (dso))", found: line)
      return
    }
    var start = 0
    while start < line.count && (line[start] == 0x09 || line[start] == 0x20) { start += 1 }
    let body = UnsafeBufferPointer(rebasing: line[start...])
    let frame = builder.intern(PerfFrameLine.decode(body))
    let index = Int32(frames.count)
    frames.insert(
      body.baseAddress!, body.count, hash: hashBytes(body.baseAddress!, body.count), value: UInt32(index))
    lineFrame.append(frame)
    successor.append(-1)
    remember(index)
    previousLine = index
    stacks.push(frame)
  }

  /// The frame of a single-line sample's header, cached by its bytes like frame lines.
  private mutating func intern(frameBytes body: UnsafeBufferPointer<UInt8>, _ builder: inout ProfileBuilder)
    -> FrameID
  {
    let hash = hashBytes(body.baseAddress!, body.count)
    if let found = frames.find(body.baseAddress!, body.count, hash: hash) { return lineFrame[Int(found)] }
    let frame = builder.intern(PerfFrameLine.decode(body))
    frames.insert(body.baseAddress!, body.count, hash: hash, value: UInt32(frames.count))
    lineFrame.append(frame)
    successor.append(-1)
    return frame
  }

  /// `-F +srcline`: `  file.c:123` under the frame it describes (` (inlined)` after it when
  /// that frame was inlined).
  private mutating func srcline(
    _ line: UnsafeBufferPointer<UInt8>, _ input: inout LineReader, _ builder: inout ProfileBuilder
  ) throws(ParseError) {
    guard let last = stacks.last else {
      try fail(&input, &builder, column: 1, expected: "a frame line (address symbol (dso))", found: line)
      return
    }
    var text = line.string
    while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
    while text.last == " " { text.removeLast() }
    var frame = builder.profile.frames[Int(last)]
    if text.hasSuffix(" (inlined)") {
      text.removeLast(" (inlined)".count)
      frame.kind = .inlined
      frame.module = nil
    }
    frame.srcline = text
    stacks.replaceLast(builder.intern(frame))
  }

  private mutating func endSample(_ input: inout LineReader, _ builder: inout ProfileBuilder)
    throws(ParseError)
  {
    inSample = false
    if skipping { return }
    if !stacks.commit(weight: sampleWeight) {
      let error = ParseError(
        SourcePosition(file: options.sourceName, line: sampleLine),
        expected: "a sample whose weight fits in the summed total "
          + AggregationError.weightOverflow(existing: stacks.total, adding: sampleWeight).description)
      guard options.lenient else { throw error }
      builder.recordSkip(error, weight: sampleWeight)
    }
  }

  /// Throws, or under `--lenient` records the skip (with the weight of the sample it spoils)
  /// and skips the rest of the record.
  private mutating func fail(
    _ input: inout LineReader, _ builder: inout ProfileBuilder, column: Int?, expected: String,
    found: UnsafeBufferPointer<UInt8>?, isHeader: Bool = false
  ) throws(ParseError) {
    let error = ParseError(
      SourcePosition(file: options.sourceName, line: input.lineNumber, column: column), expected: expected,
      found: found?.string)
    guard options.lenient else { throw error }
    // A bad frame spoils the sample it is in; a bad header one sample (weight 1 when
    // counting samples, unknown when weighing periods); stray lines weigh nothing.
    let weight: UInt64 =
      inSample && !skipping ? sampleWeight : (isHeader && options.weight == .samples ? 1 : 0)
    builder.recordSkip(error, weight: weight)
    skipping = true
    inSample = true
    singleLine = false
  }
}

// MARK: detection and splitting

extension PerfScriptParser {
  /// A non-indented header line directly followed by an indented frame line (or by an
  /// unindented one, when the header parses as a sample header); or, for a capture without
  /// `-g`, every line but `#` comments is a sample header.
  public static func recognizes(_ input: DetectionInput) -> Bool {
    for (header, frame) in zip(input.lines, input.lines.dropFirst()) where isHeader(header) {
      if isFrame(frame) || (isUnindentedFrame(frame) && parsesAsHeader(header)) { return true }
    }
    return isWithoutCallchains(input.nonBlank)
  }

  /// `ffffffff8103d0ca native_write_msr_safe ([kernel.kallsyms])` at the start of the line.
  static func isUnindentedFrame(_ line: ArraySlice<UInt8>) -> Bool {
    let address = line.prefix(while: PerfFrameLine.isHex)
    guard !address.isEmpty, line.dropFirst(address.count).first == 0x20 else { return false }
    return line.last == UInt8(ascii: ")") || (line.last == 0x0D && line.dropLast().last == UInt8(ascii: ")"))
  }

  static func parsesAsHeader(_ line: ArraySlice<UInt8>) -> Bool {
    let scratch = UnsafeMutablePointer<Int>.allocate(capacity: PerfSampleHeader.scratchCount)
    defer { scratch.deallocate() }
    return line.withUnsafeBufferPointer { (try? PerfSampleHeader.parse($0, scratch: scratch)) != nil }
  }

  public static var canSplit: Bool { true }

  /// A line that starts with neither blank nor TAB (nor `#`, nor is empty) is a sample
  /// header: frames and srclines are indented. Some captures have unindented frames, so a
  /// line that starts like one (hex digits, a space) counts only after a blank line, where a
  /// frame cannot be; passing over a real header there only moves the split.
  public static func recordStart(in window: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
    LineStarts.first(in: window, from: from) { i in
      let b = window[i]
      guard b != 0x20 && b != 0x09 && b != 0x0A && b != 0x0D && b != 0x23 else { return false }
      if i >= 2 && window[i - 2] == 0x0A { return true }
      var k = i
      while k < window.count && PerfFrameLine.isHex(window[k]) { k += 1 }
      return k == window.count || window[k] != 0x20
    }
  }

  /// Not indented, not a `#` comment, and with a `:` (after the time and the event).
  static func isHeader(_ line: ArraySlice<UInt8>) -> Bool {
    guard let first = line.first, !DetectionInput.isSpace(first), first != 0x23 else { return false }
    return line.contains(0x3A)
  }

  /// `\tffffffffb4019501 do_mmap+0x1 ([kernel.kallsyms])` or `    7f89e341d84f sym (dso)`.
  static func isFrame(_ line: ArraySlice<UInt8>) -> Bool {
    guard let first = line.first, DetectionInput.isSpace(first) else { return false }
    let rest = line.drop(while: DetectionInput.isSpace)
    let address = rest.prefix(while: PerfFrameLine.isHex)
    guard !address.isEmpty else { return false }
    let after = rest.dropFirst(address.count)
    return after.first == 0x20 && after.count > 1
  }

  /// Every line (but `#` comments) parses as a sample header, some with their one frame on
  /// the line.
  static func isWithoutCallchains(_ lines: [ArraySlice<UInt8>]) -> Bool {
    let scratch = UnsafeMutablePointer<Int>.allocate(capacity: PerfSampleHeader.scratchCount)
    defer { scratch.deallocate() }
    var headers = 0
    for line in lines where line.first != 0x23 {
      let ok = line.withUnsafeBufferPointer { (try? PerfSampleHeader.parse($0, scratch: scratch)) != nil }
      if !ok { return false }
      headers += 1
    }
    return headers > 0
  }
}
