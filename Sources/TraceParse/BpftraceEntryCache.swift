/// The pass in front of the bpftrace text grammar (`BpftraceTextSession`) that serves repeated
/// entries: a stack repeated across a capture's `print(@)` intervals costs one hash of its text
/// and one compare instead of a frame lookup per line.
///
/// Between entries, a line `@name[` alone starts an entry of the cached shape: it and the
/// indented frame lines after it are only copied. At `]: N` the copied bytes are looked up: on
/// a hit the count goes straight to the sample the same text made last time, and the grammar
/// never sees the entry; on a miss the copied lines and the `]: N` go to the grammar, which
/// parses them as if they came from the input, and the sample it made is remembered. Any other
/// line inside the entry (a tuple key, a raw-mode frame, an over-long line, an error) hands the
/// copied lines and that line to the grammar, which then decides. Lines outside entries go
/// straight to the grammar. The key includes the `@name[` line, so a hit always means the same
/// map, stack and labels.
///
/// Memory: at most `arenaLimit` bytes of distinct entry text are kept; past that, new entries
/// are parsed every time and old ones still hit.
struct BpftraceEntryCache: ~Copyable {
  static let arenaLimit = 4 << 20

  private var table = ByteKeyTable()
  /// The interval block the cached sample indices count into (`IntervalTracker.generation`).
  private var generation = 0
  private var bytes: UnsafeMutablePointer<UInt8>
  private var capacity = 4096
  private var used = 0
  /// Where each copied line ends in `bytes` (the next starts after its separator), and its
  /// line number: the `@name[` line first, then the frame lines.
  private var lineEnds: [Int] = []
  private var lineNumbers: [Int] = []
  /// Whether an entry's lines are being copied rather than handed on.
  private var collecting = false
  /// Copied entries in a row that were not of the cached shape, and how many `@name[` entries
  /// are still to be handed on without copying.
  private var uncacheable = 0
  private var bypass = 0
  static let uncacheableRun = 64
  static let bypassEntries = 4096

  init() { bytes = .allocate(capacity: capacity) }

  deinit { bytes.deallocate() }

  /// Takes the next input line: serves it from the cache, keeps it for later, or hands it (and
  /// any lines kept before it) to `session`.
  @inline(__always)
  mutating func consume(
    _ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, session: inout BpftraceTextSession,
    builder: inout ProfileBuilder
  ) throws(ParseError) {
    if collecting {
      guard let first = line.first else { return }  // the grammar skips blank lines in a key
      if first == 0x20 || first == 0x09 {
        var i = 1
        while i < line.count, BpftraceStackLine.isSpace(line[i]) { i += 1 }
        if i == line.count { return }
        if line.count <= BpftraceTextParser.maxFrameLineLength { return copy(line, lineNumber: lineNumber) }
      } else if first == 0x5D, let weight = BpftraceTextSession.plainCount(line) {
        uncacheable = 0
        return try close(line, weight: weight, lineNumber: lineNumber, session: &session, builder: &builder)
      }
      // A tuple key (`, comm]: N`) or another shape: copying was wasted. After many in a row
      // (a map keyed by stack and comm), stop copying for a while.
      uncacheable += 1
      if uncacheable >= Self.uncacheableRun {
        uncacheable = 0
        bypass = Self.bypassEntries
      }
      try handOn(session: &session, builder: &builder)
    } else if session.isBetweenEntries, Self.opensStack(line) {
      if bypass > 0 {
        bypass -= 1
        return try session.consume(line, lineNumber: lineNumber, builder: &builder)
      }
      used = 0
      lineEnds.removeAll(keepingCapacity: true)
      lineNumbers.removeAll(keepingCapacity: true)
      collecting = true
      return copy(line, lineNumber: lineNumber)
    }
    try session.consume(line, lineNumber: lineNumber, builder: &builder)
  }

  /// End of input: an entry still being copied is the grammar's to report as unclosed.
  mutating func finish(lineNumber: Int, session: inout BpftraceTextSession, builder: inout ProfileBuilder)
    throws(ParseError)
  {
    if collecting { try handOn(session: &session, builder: &builder) }
    try session.finish(lineNumber: lineNumber, builder: &builder)
  }

  /// `]: N` closing a copied entry.
  private mutating func close(
    _ line: UnsafeBufferPointer<UInt8>, weight: UInt64, lineNumber: Int, session: inout BpftraceTextSession,
    builder: inout ProfileBuilder
  ) throws(ParseError) {
    noteEntry(builder: &builder)
    let hash = hashBytes(bytes, used)
    if let known = table.find(bytes, used, hash: hash) {
      collecting = false
      do { try builder.add(weight: weight, toSample: Int(known)) } catch {
        try session.overflow(error, weight: weight, lineNumber: lineNumber, column: 4, builder: &builder)
      }
      return
    }
    try handOn(session: &session, builder: &builder)
    try session.consume(line, lineNumber: lineNumber, builder: &builder)
    // nil when the count was skipped (`--lenient`): nothing to count repeats into.
    if let index = session.closedSample, table.arenaBytes + used <= Self.arenaLimit {
      table.insert(bytes, used, hash: hash, value: UInt32(index))
    }
  }

  /// Tells the interval tracker an entry of the copied `@name[` line's map began, and forgets
  /// every entry when that (or a `time()` header before it) began a new interval block: a hit
  /// would count into the last block's sample.
  @inline(__always)
  private mutating func noteEntry(builder: inout ProfileBuilder) {
    var at = 0
    if bytes[0] == 0x5E { at = 2 }  // `^C`, as `opensStack` allows
    _ = builder.intervalEntry(
      UnsafeBufferPointer(start: bytes + at, count: lineEnds[0] - 1 - at), line: lineNumbers[0])
    if generation != builder.intervals.generation {
      generation = builder.intervals.generation
      table = ByteKeyTable()
    }
  }

  /// Gives the copied lines to `session`, with their line numbers, and stops copying.
  private mutating func handOn(session: inout BpftraceTextSession, builder: inout ProfileBuilder)
    throws(ParseError)
  {
    collecting = false
    var start = 0
    for (end, number) in zip(lineEnds, lineNumbers) {
      try session.consume(
        UnsafeBufferPointer(start: bytes + start, count: end - start), lineNumber: number, builder: &builder)
      start = end + 1
    }
  }

  /// `@name[` alone on its line (after an echoed `^C`, as the grammar allows): a stack key.
  private static func opensStack(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
    var at = 0
    if line.count >= 2, line[0] == 0x5E, line[1] == 0x43 { at = 2 }
    guard line.count >= at + 2, line[at] == 0x40, line[line.count - 1] == 0x5B else { return false }
    var i = at + 1
    while i < line.count - 1, BpftraceTextSession.isIdentifier(line[i]) { i += 1 }
    return i == line.count - 1
  }

  private mutating func copy(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int) {
    // A separator, so `ab` + `c` and `a` + `bc` never give the same key.
    let needed = used + line.count + 1
    if needed > capacity {
      var newCapacity = capacity * 2
      while newCapacity < needed { newCapacity *= 2 }
      let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
      grown.update(from: bytes, count: used)
      bytes.deallocate()
      bytes = grown
      capacity = newCapacity
    }
    if let base = line.baseAddress { (bytes + used).update(from: base, count: line.count) }
    used += line.count
    lineEnds.append(used)
    lineNumbers.append(lineNumber)
    bytes[used] = 0x0A
    used += 1
  }
}
