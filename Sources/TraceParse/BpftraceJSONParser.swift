/// Reads bpftrace's `-f json` output: NDJSON, one `{"type": ..., "data": ...}` object a line.
///
/// - `map`: `{"@name": {"<key>": <value>, ...}}` or, for a map without a key, `{"@name": 3}`.
///   Keys are the tuple members joined with `,`; a stack member is its text (`"\n    a+1\n"`,
///   or with every space removed in ≥0.24; 0.23 writes a tuple's stack lines joined by the
///   two characters `\n`). Keys are read with the same rules as text (see
///   `BpftraceMapKey`): stack keys with an integer value become samples, others `MapValue`s.
///   Values too large for a double are strings in ≥0.24 and are read exactly.
/// - `hist` (also lhist): `{"@h": [{"min": 2, "max": 3, "count": 1}, ...]}` or keyed
///   `{"@h": {"<key>": [...]}}`. Buckets are relabelled as bpftrace's text prints them:
///   `[2, 4)`, `[0]`, `(..., 0)` (no `min`), `[100, ...)` (no `max`).
/// - `stats`: `{"@s": {"count": 2, "average": 6, "total": 12}}`, or keyed.
/// - `time` starts an interval block, as a `time()` header does in text (`IntervalTracker`).
/// - `lost_events` becomes a note; `printf`, `attached_probes` and other message types are
///   ignored.
public struct BpftraceJSONParser: TraceParser {
  public static let format = InputFormat.bpftraceJSON

  public init() {}

  public func parse(_ input: inout LineReader, into builder: inout ProfileBuilder, options: ParseOptions)
    throws(ParseError)
  {
    var session = BpftraceJSONSession(options: options)
    builder.beginIntervals(options)
    while true {
      guard let line = try input.nextLine(source: options.sourceName) else { break }
      try session.consume(line, lineNumber: input.lineNumber, builder: &builder)
    }
    builder.finishIntervals(options)
    if session.entries == 0 { builder.note("\(options.sourceName): no bpftrace map entries found") }
  }
}

struct BpftraceJSONSession: ~Copyable {
  let options: ParseOptions
  var cache = BpftraceFrameCache(glued: true)
  var key = BpftraceMapKey()
  var entries = 0
  var notedMaps: Set<String> = []
  var lineNumber = 0

  init(options: ParseOptions) { self.options = options }

  func position(_ column: Int? = 1) -> SourcePosition {
    SourcePosition(file: options.sourceName, line: lineNumber, column: column)
  }

  mutating func fail(_ error: ParseError, weight: UInt64 = 0, builder: inout ProfileBuilder)
    throws(ParseError)
  {
    if !options.lenient { throw error }
    builder.recordSkip(error, weight: weight)
  }

  mutating func consume(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, builder: inout ProfileBuilder)
    throws(ParseError)
  {
    self.lineNumber = lineNumber
    var lo = 0
    while lo < line.count, BpftraceStackLine.isSpace(line[lo]) { lo += 1 }
    if lo == line.count { return }
    if line.count - lo == 2, line[lo] == 0x5E, line[lo + 1] == 0x43 { return }  // ^C
    let message: BpftraceJSONValue
    do { message = try BpftraceJSONValue.parse(line) } catch {
      return try fail(
        ParseError(
          position(error.offset + 1), expected: error.expected, found: tail(line, from: error.offset)),
        builder: &builder)
    }
    guard case .object = message, let type = message["type"]?.stringValue else {
      return try fail(
        ParseError(
          position(), expected: "a bpftrace JSON message `{\"type\": ..., \"data\": ...}`", found: line.string
        ),
        builder: &builder)
    }
    let data = message["data"] ?? .null
    switch type {
    case "map", "hist", "lhist", "stats":
      guard case .object(let maps) = data else {
        return try fail(
          ParseError(position(), expected: "`data` holding maps `{\"@name\": ...}`", found: line.string),
          builder: &builder)
      }
      for (name, value) in maps {
        var name = name
        _ = name.withUTF8 { builder.intervalEntry($0, line: lineNumber) }
        // One message is one whole print of the map: its run ends here.
        builder.intervalText()
        try map(name, value, type: type, builder: &builder)
      }
    case "time":
      var text = data.stringValue ?? ""
      while let last = text.last, last == "\n" || last == " " { text.removeLast() }
      _ = builder.intervalHeader(text, line: lineNumber)
    case "printf":
      builder.intervalText()
    case "attached_probes":
      builder.intervalRun()
    case "lost_events":
      let events = data["events"]?.int64 ?? message["count"]?.int64 ?? 0
      builder.note("\(options.sourceName): bpftrace lost \(events) events")
    default:
      break
    }
  }

  private mutating func map(
    _ name: String, _ value: BpftraceJSONValue, type: String, builder: inout ProfileBuilder
  ) throws(ParseError) {
    switch (type, value) {
    case ("hist", .array), ("lhist", .array):
      key.reset(map: name)
      try entry(value, type: type, builder: &builder)
    case ("stats", .object(let members))
    where members.contains(where: { $0.0 == "count" }) && value["count"]?.int64 != nil:
      key.reset(map: name)
      try entry(value, type: type, builder: &builder)
    case (_, .object(let members)):
      for (keyText, entryValue) in members {
        key.reset(map: name)
        readKey(keyText)
        try entry(entryValue, type: type, builder: &builder)
      }
    default:
      key.reset(map: name)
      try entry(value, type: type, builder: &builder)
    }
  }

  /// Splits a JSON key into members: lines starting with `,` (or the first line, if it ends
  /// with `,` or is empty) carry scalar members; other lines are frames of a stack.
  private mutating func readKey(_ text: String) {
    var text = text
    // bpftrace 0.23 (Debian 13) escapes a tuple key's stack once more: its lines are joined by
    // the two characters `\n`, not a newline. Kernel and user symbols hold no backslash.
    if !text.contains("\n"), text.contains("\\n") { text = text.replacing("\\n", with: "\n") }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    if lines.count == 1 {
      key.addMembers(lines[0], separator: ",")
      return
    }
    func open(_ piece: Substring) {
      if !piece.isEmpty { key.addMembers(piece.last == "," ? piece.dropLast() : piece, separator: ",") }
      key.beginStack()
    }
    open(lines[0])
    for (i, line) in lines.enumerated().dropFirst() {
      let last = i == lines.count - 1
      if line.first == "," {
        key.endStack()
        let rest = line.dropFirst()
        if last { key.addMembers(rest, separator: ",") } else { open(rest) }
      } else if last && line.isEmpty {
        key.endStack()
      } else if !line.allSatisfy({ $0 == " " || $0 == "\t" }) {
        var bytes = Array(line.utf8)
        let template = bytes.withUnsafeMutableBufferPointer { cache.template(for: UnsafeBufferPointer($0)) }
        key.addFrame(template)
      }
    }
    key.endStack()
  }

  private mutating func entry(_ value: BpftraceJSONValue, type: String, builder: inout ProfileBuilder)
    throws(ParseError)
  {
    entries += 1
    let where_ = "map \(key.map)"
    switch value {
    case .array(let items):
      var buckets: [MapValue.Bucket] = []
      for item in items {
        guard let count = item["count"]?.integer, !count.negative else {
          return try fail(
            ParseError(position(), expected: "histogram buckets with a `count` in \(where_)"),
            builder: &builder)
        }
        buckets.append(
          MapValue.Bucket(
            label: Self.bucketLabel(min: item["min"]?.int64, max: item["max"]?.int64), count: count.magnitude)
        )
      }
      builder.addValue(
        MapValue(
          map: key.map, key: key.keyStrings(cache), kind: BpftraceValue.histogramKind(buckets),
          buckets: buckets, stacks: key.keyStacks(cache)))
    case .object:
      guard let count = value["count"]?.int64, let average = value["average"]?.int64,
        let total = value["total"]?.int64
      else {
        return try fail(
          ParseError(position(), expected: "stats `count`, `average` and `total` in \(where_)"),
          builder: &builder)
      }
      builder.addValue(
        MapValue(
          map: key.map, key: key.keyStrings(cache), kind: .stats, numbers: [count, average, total],
          stacks: key.keyStacks(cache)))
    case .string(let text) where value.integer == nil && BpftraceJSONValue.isIntegerText(text):
      // bpftrace ≥0.24 writes counts a double cannot hold as strings; one that does not fit
      // even UInt64 is a bad count, not a text value (which would drop its weight).
      return try fail(
        ParseError(
          position(), expected: "a count or sum that fits in 64 bits in \(where_)", found: Self.excerpt(text)),
        builder: &builder)
    case .string(let text) where value.integer == nil:
      if text.hasPrefix("\n") {
        // `@m[k] = kstack`: a stack stored as the value counts as one sample.
        readKeyValueStack(text)
        if notedMaps.insert(key.map).inserted {
          builder.note("map \(key.map) holds stacks as values; each entry is counted as one sample")
        }
        try addSample(weight: 1, builder: &builder)
      } else if notedMaps.insert(key.map).inserted {
        builder.note("map \(key.map) holds text values; not reported")
      }
    default:
      guard let (negative, magnitude) = value.integer else {
        return try fail(ParseError(position(), expected: "an integer value in \(where_)"), builder: &builder)
      }
      if key.hasStack {
        if negative {
          return try fail(
            ParseError(
              position(),
              expected: "a non-negative count or sum in \(where_) (stack sample weights are unsigned)",
              found: "-\(magnitude)"), builder: &builder)
        }
        try addSample(weight: magnitude, builder: &builder)
      } else {
        guard let number = value.int64 else {
          return try fail(
            ParseError(position(), expected: "an integer that fits in Int64 in \(where_)"), builder: &builder)
        }
        builder.addValue(MapValue(map: key.map, key: key.keyStrings(cache), kind: .scalar, numbers: [number]))
      }
    }
  }

  private mutating func readKeyValueStack(_ text: String) {
    key.beginStack()
    for line in text.split(separator: "\n") where !line.allSatisfy({ $0 == " " || $0 == "\t" }) {
      var bytes = Array(line.utf8)
      let template = bytes.withUnsafeMutableBufferPointer { cache.template(for: UnsafeBufferPointer($0)) }
      key.addFrame(template)
    }
    key.endStack()
  }

  private mutating func addSample(weight: UInt64, builder: inout ProfileBuilder) throws(ParseError) {
    var stack: [FrameID] = []
    key.rootFirstStack(&cache, into: &stack, builder: &builder)
    let labels = builder.intern(key.labels())
    do { try builder.add(stack: stack, labels: labels, weight: weight) } catch {
      try fail(
        ParseError(position(), expected: "a total weight that fits in UInt64", found: error.description),
        weight: weight, builder: &builder)
    }
  }

  /// `text` quoted in an error, cut to a readable length.
  static func excerpt(_ text: String) -> String {
    text.utf8.count <= 80 ? text : String(decoding: text.utf8.prefix(77), as: UTF8.self) + "..."
  }

  /// bpftrace's text label for a JSON bucket.
  static func bucketLabel(min: Int64?, max: Int64?) -> String {
    switch (min, max) {
    case (nil, let max?): return "(..., \(max &+ 1))"
    case (let min?, nil): return "[\(min), ...)"
    case (let min?, let max?) where min == max: return "[\(min)]"
    case (let min?, let max?): return "[\(min), \(max &+ 1))"
    case (nil, nil): return "[]"
    }
  }

  private func tail(_ line: UnsafeBufferPointer<UInt8>, from offset: Int) -> String {
    let start = Swift.min(Swift.max(offset, 0), line.count)
    return BpftraceStackLine.string(line, start, line.count)
  }
}

// MARK: detection and splitting

extension BpftraceJSONParser {
  /// The first non-blank line is a message object, `{"type":` with optional spaces.
  public static func recognizes(_ input: DetectionInput) -> Bool {
    var rest = input.nonBlank[0].drop(while: DetectionInput.isSpace)
    guard rest.first == 0x7B else { return false }
    rest = rest.dropFirst().drop(while: DetectionInput.isSpace)
    return rest.starts(with: Array("\"type\"".utf8))
  }

  public static var canSplit: Bool { true }

  /// Every line is a whole message.
  public static func recordStart(in window: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
    LineStarts.first(in: window, from: from) { _ in true }
  }
}
