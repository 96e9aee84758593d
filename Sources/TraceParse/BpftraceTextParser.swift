/// Reads bpftrace's text output (0.17 through 0.24 and later) for maps keyed by stacks.
///
/// Every map entry `@name[<key>]: <value>` or `@name: <value>` becomes either samples (a key
/// holding at least one stack, with an integer value: `count()` or `sum()`, the sample weight)
/// or a `MapValue` (`hist()`, `lhist()`, `stats()`, and every map without a stack). Lines
/// outside entries (`Attaching N probes...`, printf output, blank lines, `^C`) are ignored.
///
/// The key is tokenized rather than matched by line shape: the text between `@name[` and the
/// closing `]: ` is a tuple joined with `", "` whose members may be multi-line stacks. Frame
/// lines are recognized by their indentation (4 or 8 spaces, or a TAB; any amount is accepted)
/// or, in `raw` mode, by being a bare hex address. See `BpftraceMapKey` for labels, empty
/// stacks and kernel/user stack order, `BpftraceStackLine` for frame lines, and
/// `BpftraceValue` for values.
///
/// Stacks are stored root first (bpftrace prints the leaf first).
public struct BpftraceTextParser: TraceParser {
  public static let format = InputFormat.bpftrace
  /// Longer frame lines are errors rather than frames (a real symbol is a few hundred bytes).
  public static let maxFrameLineLength = 64 << 10

  public init() {}

  public func parse(_ input: inout LineReader, into builder: inout ProfileBuilder, options: ParseOptions)
    throws(ParseError)
  {
    var session = BpftraceTextSession(options: options)
    builder.beginIntervals(options)
    var entries = BpftraceEntryCache()
    while true {
      guard let line = try input.nextLine(source: options.sourceName) else { break }
      try entries.consume(line, lineNumber: input.lineNumber, session: &session, builder: &builder)
    }
    try entries.finish(lineNumber: input.lineNumber, session: &session, builder: &builder)
    builder.finishIntervals(options)
    if !session.sawEntry { builder.note("\(options.sourceName): no bpftrace map entries found") }
  }
}

/// The state of one text parse: which part of an entry the next line belongs to. Lines come
/// through `BpftraceEntryCache`, which keeps back the entries it has seen before.
struct BpftraceTextSession: ~Copyable {
  enum State {
    /// Between entries: a line starting with `@name[` or `@name:` opens one; others are noise.
    case outside
    /// Inside a key, reading frame lines of a stack until `, ...` or `]: value`.
    case stack
    /// After `]:` with nothing behind it: histogram rows or a stack value follow.
    case value
    /// `--lenient`, after an error inside a key: skipping to the entry's end.
    case skipping
  }

  let options: ParseOptions
  var state = State.outside
  var key = BpftraceMapKey()
  var cache = BpftraceFrameCache()
  /// Line where the current entry started.
  var entryLine = 0
  var buckets: [MapValue.Bucket] = []
  var valueHasStack = false
  var pendingSkip: ParseError?
  var notedStackValueMaps: Set<String> = []
  var notedTextValueMaps: Set<String> = []
  /// Whether any map entry was read (to note inputs that have none).
  var sawEntry = false
  /// Blank lines in a row outside entries (`IntervalTracker.blank`).
  var blankLines = 0
  /// The sample the last `]: N` after a stack added to (nil if it was skipped), so a repeat of
  /// the same entry text can be counted into it without parsing it again.
  private(set) var closedSample: Int?
  /// Label sets by `BpftraceMapKey.labelKey`.
  private var labelTable = ByteKeyTable(capacity: 64)
  /// Label set of the last entry keyed by a stack alone, and its map.
  private var lastMapLabels: (String, LabelSetID)?
  /// The interval block the two label caches above are for (`IntervalTracker.generation`).
  private var labelGeneration = 0
  /// The last map name read, to reuse its String while entries stay in one map.
  private var lastMapBytes: [UInt8] = []
  private var lastMap = "@"
  /// Reused buffer for a sample's root-first stack.
  private var stack: [FrameID] = []

  init(options: ParseOptions) { self.options = options }

  /// Whether the next line is outside any entry.
  var isBetweenEntries: Bool { state == .outside }

  func position(_ line: Int, _ column: Int? = nil) -> SourcePosition {
    SourcePosition(file: options.sourceName, line: line, column: column)
  }

  mutating func consume(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, builder: inout ProfileBuilder)
    throws(ParseError)
  {
    switch state {
    case .outside: try startEntry(line, lineNumber: lineNumber, builder: &builder)
    case .stack: try stackLine(line, lineNumber: lineNumber, builder: &builder)
    case .value: try valueLine(line, lineNumber: lineNumber, builder: &builder)
    case .skipping: try skipLine(line, lineNumber: lineNumber, builder: &builder)
    }
  }

  mutating func finish(lineNumber: Int, builder: inout ProfileBuilder) throws(ParseError) {
    switch state {
    case .outside: break
    case .stack:
      let error = ParseError(
        position(max(lineNumber, 1)),
        expected: "`]: <value>` closing the entry opened at line \(entryLine)", found: "end of input")
      if !options.lenient { throw error }
      builder.recordSkip(error)
    case .value: try finishValue(lineNumber: lineNumber, builder: &builder)
    case .skipping:
      if let pendingSkip { builder.recordSkip(pendingSkip) }
      pendingSkip = nil
    }
    state = .outside
  }

  // MARK: entries

  private mutating func startEntry(
    _ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, builder: inout ProfileBuilder
  ) throws(ParseError) {
    var at = 0
    // `^C` echoed by the terminal can precede the first map on the same line.
    if line.count >= 2, line[0] == 0x5E, line[1] == 0x43 { at = 2 }
    guard at < line.count, line[at] == 0x40 else {  // not "@": noise
      // bpftrace's `Lost N events` (stdout in ≤0.23): the counts are short by that many.
      if line.count < 64, line.first == 0x4C, line.string.hasPrefix("Lost "), line.string.hasSuffix(" events")
      {
        builder.note("\(options.sourceName): bpftrace reported '\(line.string)'")
      }
      noise(line, lineNumber: lineNumber, builder: &builder)
      return
    }
    var nameEnd = at + 1
    while nameEnd < line.count, Self.isIdentifier(line[nameEnd]) { nameEnd += 1 }
    guard nameEnd < line.count, line[nameEnd] == 0x5B || line[nameEnd] == 0x3A else {  // printf text
      builder.intervalText()
      return
    }
    blankLines = 0
    _ = builder.intervalEntry(UnsafeBufferPointer(rebasing: line[at..<nameEnd]), line: lineNumber)
    key.reset(map: mapName(line, at, nameEnd))
    sawEntry = true
    entryLine = lineNumber
    closedSample = nil
    if nameEnd + 1 == line.count, line[nameEnd] == 0x5B {  // `@name[` alone: a stack follows
      key.beginStack()
      state = .stack
      return
    }
    if line[nameEnd] == 0x5B,
      try fastSegment(
        line, from: nameEnd + 1, column: nameEnd + 2, afterStack: false, lineNumber: lineNumber,
        builder: &builder)
    {
      return
    }
    let text = BpftraceStackLine.string(line, nameEnd + 1, line.count)
    if line[nameEnd] == 0x3A {
      try completeEntry(
        value: Substring(text), column: nameEnd + 2, lineNumber: lineNumber, builder: &builder)
    } else {
      try segment(
        Substring(text), column: nameEnd + 2, afterStack: false, lineNumber: lineNumber, builder: &builder)
    }
  }

  /// A line outside entries that is not a map entry: a `time()` header starts an interval
  /// block; other printed text ends a map's run (`IntervalTracker`); blank lines are nothing.
  private mutating func noise(
    _ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, builder: inout ProfileBuilder
  ) {
    var end = line.count
    while end > 0, BpftraceStackLine.isSpace(line[end - 1]) { end -= 1 }
    if end == 0 {
      blankLines += 1
      builder.intervalBlank(blankLines)
      return
    }
    blankLines = 0
    let text = UnsafeBufferPointer(rebasing: line[0..<end])
    if IntervalTracker.isTimeHeader(text) {
      _ = builder.intervalHeader(text.string, line: lineNumber)
    } else if text.count < 64, text.first == 0x41, text.string.hasPrefix("Attaching ") {
      builder.intervalRun()
    } else if text.count == IntervalMode.deltaDeclaration.utf8.count,
      text.string == IntervalMode.deltaDeclaration
    {
      builder.declareIntervals(.delta)
    } else {
      builder.intervalText()
    }
  }

  /// A non-frame piece of a key: the rest of the `@name[` line, or a line after a stack that
  /// starts with `,` or `]`.
  private mutating func segment(
    _ text: Substring, column: Int, afterStack: Bool, lineNumber: Int, builder: inout ProfileBuilder
  ) throws(ParseError) {
    var body = text
    var addsMembers = true
    if afterStack {
      if body.first == "," {
        body = body.dropFirst()
        if body.first == " " { body = body.dropFirst() }
      } else {
        addsMembers = false  // `]: value` right after the stack
      }
    }
    let bodyColumn = column + (text.utf8.count - body.utf8.count)
    if let close = Self.lastClose(body) {
      let members = body[..<close.lowerBound]
      if addsMembers {
        key.addMembers(members, separator: ", ")
      } else if !members.isEmpty {
        return try fail(
          ParseError(
            position(lineNumber, bodyColumn), expected: "`]: <value>` after the stack", found: String(text)),
          builder: &builder)
      }
      let valueColumn = bodyColumn + body.utf8.distance(from: body.startIndex, to: close.upperBound)
      return try completeEntry(
        value: body[close.upperBound...], column: valueColumn, lineNumber: lineNumber, builder: &builder)
    }
    var trimmed = body
    while trimmed.last == " " || trimmed.last == "\t" { trimmed = trimmed.dropLast() }
    if trimmed.isEmpty && addsMembers {
      key.beginStack()
    } else if trimmed.last == ",", addsMembers {
      key.addMembers(trimmed.dropLast(), separator: ", ")
      key.beginStack()
    } else {
      return try failInKey(
        ParseError(
          position(lineNumber, column), expected: "`, <key>` or `]: <value>`", found: String(text)),
        builder: &builder)
    }
    state = .stack
  }

  /// `segment` on the bytes of `line[from...]` for the shapes real captures are made of, all
  /// ASCII: `, comm]: 12` after a stack, `@[, ` or `@[comm, ` before one, and `, ` between
  /// stacks, with a plain count. Returns false, having changed nothing, for anything else (a
  /// non-ASCII byte, another value, a key without a stack, an error), which `segment` reads.
  private mutating func fastSegment(
    _ line: UnsafeBufferPointer<UInt8>, from: Int, column: Int, afterStack: Bool, lineNumber: Int,
    builder: inout ProfileBuilder
  ) throws(ParseError) -> Bool {
    let n = line.count
    var b = from
    if afterStack {
      guard b < n, line[b] == 0x2C else { return false }
      b += 1
      if b < n, line[b] == 0x20 { b += 1 }
    }
    var i = b
    while i < n {
      if line[i] >= 0x80 { return false }
      i += 1
    }
    // The last `]:`, as `lastClose` finds it.
    var close = -1
    var j = n - 1
    while j > b {
      if line[j] == 0x3A, line[j - 1] == 0x5D {
        close = j - 1
        break
      }
      j -= 1
    }
    if close >= 0 {
      // Only ` <digits>` after it: the integer `completeEntry` would read.
      guard close + 3 < n, line[close + 2] == 0x20,
        let weight = BpftraceStackLine.decimalValue(line, close + 3, n)
      else { return false }
      if !key.hasStack && !Self.hasEmptyMember(line, b, close) { return false }
      key.addMembers(ascii: line, b, close)
      state = .outside
      let valueColumn = column + (b - from) + (close + 2 - b)
      try addSample(weight: weight, lineNumber: lineNumber, column: valueColumn + 1, builder: &builder)
      return true
    }
    var t = n
    while t > b, line[t - 1] == 0x20 || line[t - 1] == 0x09 { t -= 1 }
    if t == b {
      key.beginStack()
    } else if line[t - 1] == 0x2C {
      key.addMembers(ascii: line, b, t - 1)
      key.beginStack()
    } else {
      return false
    }
    state = .stack
    return true
  }

  /// Whether splitting `line[lo..<hi]` at `, ` gives an empty member (an empty stack).
  private static func hasEmptyMember(_ line: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Bool {
    if lo == hi { return true }
    var start = lo
    var i = lo
    while i + 1 < hi {
      if line[i] == 0x2C && line[i + 1] == 0x20 {
        if i == start { return true }
        i += 2
        start = i
      } else {
        i += 1
      }
    }
    return start == hi
  }

  private mutating func stackLine(
    _ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, builder: inout ProfileBuilder
  ) throws(ParseError) {
    guard let first = line.first else { return }  // blank lines occur before `]:` in perf mode
    switch first {
    case 0x20, 0x09:
      var i = 1
      while i < line.count, BpftraceStackLine.isSpace(line[i]) { i += 1 }
      if i == line.count { return }
      try frameLine(line, column: i + 1, lineNumber: lineNumber, builder: &builder)
    case 0x5D, 0x2C:  // "]" or ","
      if first == 0x5D, let weight = Self.plainCount(line) {  // fast path: `]: 123`
        state = .outside
        return try closeStack(weight: weight, lineNumber: lineNumber, builder: &builder)
      }
      key.endStack()
      if try fastSegment(
        line, from: 0, column: 1, afterStack: true, lineNumber: lineNumber, builder: &builder)
      {
        return
      }
      try segment(
        Substring(line.string), column: 1, afterStack: true, lineNumber: lineNumber, builder: &builder)
    case 0x40:  // "@": a new entry while this one is open
      let error = ParseError(
        position(lineNumber, 1),
        expected: "a frame line or `]: <value>` closing the entry opened at line \(entryLine)",
        found: line.string)
      if !options.lenient { throw error }
      builder.recordSkip(error)
      state = .outside
      try startEntry(line, lineNumber: lineNumber, builder: &builder)
    default:
      if BpftraceStackLine.looksLikeAddress(line, 0, line.count) {  // raw mode: no indentation
        try frameLine(line, column: 1, lineNumber: lineNumber, builder: &builder)
      } else {
        try failInKey(
          ParseError(
            position(lineNumber, 1), expected: "an indented frame line, `, <key>` or `]: <value>`",
            found: line.string), builder: &builder)
      }
    }
  }

  private mutating func frameLine(
    _ line: UnsafeBufferPointer<UInt8>, column: Int, lineNumber: Int, builder: inout ProfileBuilder
  ) throws(ParseError) {
    if line.count > BpftraceTextParser.maxFrameLineLength {
      return try failInKey(
        ParseError(
          position(lineNumber, column),
          expected: "a frame line of at most \(BpftraceTextParser.maxFrameLineLength) bytes",
          found: "a line of \(line.count) bytes"), builder: &builder)
    }
    key.addFrame(cache.template(for: line))
  }

  /// `]: N` right after a stack.
  private mutating func closeStack(weight: UInt64, lineNumber: Int, builder: inout ProfileBuilder)
    throws(ParseError)
  {
    key.endStack()
    closedSample = try addSample(weight: weight, lineNumber: lineNumber, column: 4, builder: &builder)
  }

  // MARK: values

  private mutating func completeEntry(
    value text: Substring, column: Int, lineNumber: Int, builder: inout ProfileBuilder
  ) throws(ParseError) {
    let value: BpftraceValue
    do { value = try BpftraceValue.parse(text) } catch {
      if !key.hasStack {
        // `@name[pid] = comm` and other text values: legitimate, just not numbers to report.
        state = .outside
        if notedTextValueMaps.insert(key.map).inserted {
          builder.note("map \(key.map) holds non-numeric values (line \(lineNumber)); not reported")
        }
        return
      }
      return try fail(
        ParseError(position(lineNumber, column + error.offset), expected: error.expected, found: error.found),
        builder: &builder)
    }
    state = .outside
    let column = column + text.utf8.prefix { $0 == 0x20 || $0 == 0x09 }.count
    switch value {
    case .multiline:
      state = .value
      buckets.removeAll(keepingCapacity: true)
      valueHasStack = false
    case .integer(let negative, let magnitude):
      if key.hasStack {
        if negative {
          return try fail(
            ParseError(
              position(lineNumber, column),
              expected: "a non-negative count or sum (stack sample weights are unsigned)",
              found: String(text.drop { $0 == " " })), builder: &builder)
        }
        try addSample(weight: magnitude, lineNumber: lineNumber, column: column, builder: &builder)
      } else {
        guard let number = value.asInt64 else {
          return try fail(
            ParseError(
              position(lineNumber, column), expected: "an integer that fits in Int64 (map without a stack)",
              found: String(text.drop { $0 == " " })), builder: &builder)
        }
        builder.addValue(MapValue(map: key.map, key: key.keyStrings(cache), kind: .scalar, numbers: [number]))
      }
    case .stats(let count, let average, let total):
      builder.addValue(
        MapValue(
          map: key.map, key: key.keyStrings(cache), kind: .stats, numbers: [count, average, total],
          stacks: key.keyStacks(cache)))
    }
  }

  /// Adds the current key's stack with `weight`; returns the sample's index (nil if the count
  /// was skipped).
  @discardableResult
  private mutating func addSample(weight: UInt64, lineNumber: Int, column: Int, builder: inout ProfileBuilder)
    throws(ParseError) -> Int?
  {
    key.rootFirstStack(&cache, into: &stack, builder: &builder)
    if labelGeneration != builder.intervals.generation {
      // A new interval block: the cached label sets carry the last block's `interval`.
      labelGeneration = builder.intervals.generation
      labelTable = ByteKeyTable(capacity: 64)
      lastMapLabels = nil
    }
    let labelID: LabelSetID
    if key.members.count == 1, let (map, id) = lastMapLabels, map == key.map {
      labelID = id  // the common `@name[kstack]` entry: labels are just the map
    } else {
      labelID = key.labelKey.withUnsafeBufferPointer { bytes in
        let hash = hashBytes(bytes)
        if let cached = labelTable.find(bytes.baseAddress!, bytes.count, hash: hash) { return cached }
        let id = builder.intern(key.labels())
        labelTable.insert(bytes.baseAddress!, bytes.count, hash: hash, value: id)
        return id
      }
      if key.members.count == 1 { lastMapLabels = (key.map, labelID) }
    }
    do { return try builder.addReturningIndex(stack: stack, labels: labelID, weight: weight) } catch {
      try overflow(error, weight: weight, lineNumber: lineNumber, column: column, builder: &builder)
      return nil
    }
  }

  /// A count that would take a sample's total past UInt64: an error, or skipped with `--lenient`.
  mutating func overflow(
    _ error: AggregationError, weight: UInt64, lineNumber: Int, column: Int, builder: inout ProfileBuilder
  ) throws(ParseError) {
    try fail(
      ParseError(
        position(lineNumber, column), expected: "a total weight that fits in UInt64", found: error.description
      ),
      weight: weight, builder: &builder)
  }

  private mutating func valueLine(
    _ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, builder: inout ProfileBuilder
  ) throws(ParseError) {
    guard let first = line.first else {
      return try finishValue(lineNumber: lineNumber, builder: &builder)
    }
    if (first == 0x5B || first == 0x28) && !valueHasStack {  // "[" or "(": a histogram row
      do { buckets.append(try BpftraceValue.parseBucket(Substring(line.string))) } catch {
        state = .outside
        return try fail(
          ParseError(position(lineNumber, 1 + error.offset), expected: error.expected, found: error.found),
          builder: &builder)
      }
    } else if buckets.isEmpty
      && (first == 0x20 || first == 0x09 || BpftraceStackLine.looksLikeAddress(line, 0, line.count))
    {  // `@m[k] = kstack`: a stack value (indented, or bare hex in raw mode)
      var i = 1
      while i < line.count, BpftraceStackLine.isSpace(line[i]) { i += 1 }
      if i == line.count { return }
      if !valueHasStack {
        valueHasStack = true
        key.beginStack()
      }
      key.addFrame(cache.template(for: line))
    } else {
      try finishValue(lineNumber: lineNumber, builder: &builder)
      try startEntry(line, lineNumber: lineNumber, builder: &builder)
    }
  }

  private mutating func finishValue(lineNumber: Int, builder: inout ProfileBuilder) throws(ParseError) {
    state = .outside
    if valueHasStack {
      // A stack stored as a value is the last stack seen for the key, not a count: each entry
      // is one sample of weight 1.
      key.endStack()
      if notedStackValueMaps.insert(key.map).inserted {
        builder.note("map \(key.map) holds stacks as values; each entry is counted as one sample")
      }
      try addSample(weight: 1, lineNumber: lineNumber, column: 1, builder: &builder)
      valueHasStack = false
      return
    }
    builder.addValue(
      MapValue(
        map: key.map, key: key.keyStrings(cache), kind: BpftraceValue.histogramKind(buckets),
        buckets: buckets,
        stacks: key.keyStacks(cache)
      ))
    buckets.removeAll(keepingCapacity: true)
  }

  // MARK: errors

  /// An error in a finished entry (its value): throw, or with `--lenient` count it (with the
  /// weight it would have added, when known) and go on.
  private mutating func fail(_ error: ParseError, weight: UInt64 = 0, builder: inout ProfileBuilder)
    throws(ParseError)
  {
    if !options.lenient { throw error }
    builder.recordSkip(error, weight: weight)
    state = .outside
  }

  /// An error inside a key: throw, or with `--lenient` skip to the entry's `]: value` (to learn
  /// its weight) or to the next `@` line.
  private mutating func failInKey(_ error: ParseError, builder: inout ProfileBuilder) throws(ParseError) {
    if !options.lenient { throw error }
    pendingSkip = error
    state = .skipping
  }

  private mutating func skipLine(
    _ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, builder: inout ProfileBuilder
  ) throws(ParseError) {
    guard let first = line.first else { return }
    let text = line.string
    if first == 0x40 {
      if let pendingSkip { builder.recordSkip(pendingSkip) }
      pendingSkip = nil
      state = .outside
      return try startEntry(line, lineNumber: lineNumber, builder: &builder)
    }
    guard first == 0x5D || first == 0x2C, let close = Self.lastClose(Substring(text)) else { return }
    var weight: UInt64 = 0
    if case .integer(false, let magnitude)? = try? BpftraceValue.parse(text[close.upperBound...]) {
      weight = magnitude
    }
    if let pendingSkip { builder.recordSkip(pendingSkip, weight: weight) }
    pendingSkip = nil
    state = .outside
  }

  private mutating func mapName(_ line: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> String {
    let name = UnsafeBufferPointer(rebasing: line[lo..<hi])
    if !lastMapBytes.elementsEqual(name) {
      lastMapBytes = Array(name)
      lastMap = BpftraceStackLine.string(line, lo, hi)
    }
    return lastMap
  }

  /// The count of a `]: 123` line (no key members after the stack), or nil for anything else.
  static func plainCount(_ line: UnsafeBufferPointer<UInt8>) -> UInt64? {
    guard line.count >= 4, line[1] == 0x3A, line[2] == 0x20 else { return nil }
    var end = line.count
    while end > 3, line[end - 1] == 0x20 { end -= 1 }
    return BpftraceStackLine.decimalValue(line, 3, end)
  }

  /// The last `]:` in `text` (a key's closing bracket; earlier ones may sit inside strings).
  static func lastClose(_ text: Substring) -> Range<Substring.Index>? {
    let utf8 = text.utf8
    var i = utf8.endIndex
    while i > utf8.startIndex {
      let colon = utf8.index(before: i)
      if utf8[colon] == 0x3A, colon > utf8.startIndex {
        let bracket = utf8.index(before: colon)
        if utf8[bracket] == 0x5D { return bracket..<i }
      }
      i = colon
    }
    return nil
  }

  @inline(__always) static func isIdentifier(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
  }
}

// MARK: detection and splitting

extension BpftraceTextParser {
  /// A line `Attaching N probe(s)...`, or one starting with a map entry `@name[` or `@name:`
  /// (optionally after an echoed `^C`).
  public static func recognizes(_ input: DetectionInput) -> Bool {
    input.nonBlank.contains { line in
      if line.starts(with: Array("Attaching ".utf8)) {
        let rest = line.dropFirst(10)
        let digits = rest.prefix { $0 >= 0x30 && $0 <= 0x39 }
        return !digits.isEmpty && rest.dropFirst(digits.count).starts(with: Array(" probe".utf8))
      }
      var rest = line[...]
      if rest.starts(with: [0x5E, 0x43]) { rest = rest.dropFirst(2) }  // ^C
      guard rest.first == 0x40 else { return false }
      let name = rest.dropFirst().prefix(while: BpftraceTextSession.isIdentifier)
      guard let next = rest.dropFirst(1 + name.count).first else { return false }
      return next == 0x5B || next == 0x3A
    }
  }

  public static var canSplit: Bool { true }

  /// A line starting with `@` and a map name or `[`: an entry. Never inside a key, whose
  /// frame lines are indented and whose members follow `, ` on the `@` line or a `,` line.
  public static func recordStart(in window: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
    LineStarts.first(in: window, from: from) { i in
      guard window[i] == 0x40, i + 1 < window.count else { return false }
      return window[i + 1] == 0x5B || BpftraceTextSession.isIdentifier(window[i + 1])
    }
  }
}
