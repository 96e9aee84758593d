/// Reads folded stacks, one per line, root first: `root;caller;leaf 12`, as written by
/// `tdptrace fold`, FlameGraph's collapsers, inferno and `perf script report stackcollapse`.
///
/// - The count is the last space-separated field and must be a whole number (FlameGraph also
///   accepts decimals; tdptrace's weights are exact integers). A line with two trailing numbers
///   (a differential line from `difffolded.pl`) is read as frames ending in a number, which is
///   what it is byte for byte; diff the two inputs with `tdptrace diff` instead.
/// - Frame annotations set the kind and are removed from the name: `_[k]` kernel, `_[i]`
///   inlined, `_[j]` JIT, so `tdptrace fold --annotate` reproduces them.
/// - A trailing `+0x35e` or `+862` is read as the frame's offset (hex or decimal, remembered),
///   so `--keep-offsets` prints it back unchanged.
/// - A line that is only a count is a sample with an empty stack. Blank lines are skipped.
public struct FoldedParser: TraceParser {
  public static let format = InputFormat.folded
  public init() {}

  public func parse(_ input: inout LineReader, into builder: inout ProfileBuilder, options: ParseOptions)
    throws(ParseError)
  {
    var frames = ByteKeyTable(capacity: 4096)
    // Folded lines are mostly unique already (a collapser summed them), so each goes straight
    // to the builder: one hash per line. The scratch array is reused while lines repeat.
    var stack: [FrameID] = []
    let labels = builder.intern(Labels())
    builder.unit = .count
    while true {
      guard let line = try input.nextLine(source: options.sourceName) else { break }
      var end = line.count
      while end > 0 && (line[end - 1] == 0x20 || line[end - 1] == 0x09) { end -= 1 }
      if end == 0 { continue }
      var countStart = end
      while countStart > 0 && line[countStart - 1] != 0x20 && line[countStart - 1] != 0x09 { countStart -= 1 }

      func fail(_ column: Int, _ expected: String, weight: UInt64 = 0) throws(ParseError) {
        let error = ParseError(
          SourcePosition(file: options.sourceName, line: input.lineNumber, column: column),
          expected: expected,
          found: line.string)
        guard options.lenient else { throw error }
        builder.recordSkip(error, weight: weight)
      }

      var weight: UInt64 = 0
      var valid = countStart < end
      for k in countStart..<end {
        let d = line[k] &- 0x30
        let (m, o1) = weight.multipliedReportingOverflow(by: 10)
        let (a, o2) = m.addingReportingOverflow(UInt64(d))
        if d > 9 || o1 || o2 {
          valid = false
          break
        }
        weight = a
      }
      if !valid {
        try fail(
          countStart + 1,
          "a folded line: frames separated by ';', a space, then a whole-number count up to \(UInt64.max)")
        continue
      }
      var stackEnd = countStart
      while stackEnd > 0 && (line[stackEnd - 1] == 0x20 || line[stackEnd - 1] == 0x09) { stackEnd -= 1 }

      stack.removeAll(keepingCapacity: true)
      var start = 0
      if stackEnd > 0, let base = line.baseAddress {
        while true {
          var stop = start
          while stop < stackEnd && line[stop] != UInt8(ascii: ";") { stop += 1 }
          let length = stop - start
          let hash = hashBytes(base + start, length)
          if let id = frames.find(base + start, length, hash: hash) {
            stack.append(id)
          } else {
            let id = builder.intern(Self.frame(UnsafeBufferPointer(rebasing: line[start..<stop])))
            frames.insert(base + start, length, hash: hash, value: id)
            stack.append(id)
          }
          if stop == stackEnd { break }
          start = stop + 1
        }
      }
      do { try builder.add(stack: stack, labels: labels, weight: weight) } catch {
        try fail(
          countStart + 1, "a count that keeps the summed weight within UInt64 (\(error))",
          weight: weight)
      }
    }
  }

  /// Digits that print back the same: no leading zero, lowercase hex. Anything else stays part
  /// of the name, so a round trip never changes bytes.
  private static func canonical(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, hex: Bool)
    -> Bool
  {
    if to - from > 1 && bytes[from] == UInt8(ascii: "0") { return false }
    if hex {
      for j in from..<to where bytes[j] >= UInt8(ascii: "A") && bytes[j] <= UInt8(ascii: "F") { return false }
    }
    return true
  }

  /// One folded frame: annotation to kind, trailing offset to `FrameOffset`.
  static func frame(_ bytes: UnsafeBufferPointer<UInt8>) -> Frame {
    var end = bytes.count
    var kind = FrameKind.unknown
    if end >= 4, bytes[end - 4] == UInt8(ascii: "_"), bytes[end - 3] == UInt8(ascii: "["),
      bytes[end - 1] == UInt8(ascii: "]")
    {
      switch bytes[end - 2] {
      case UInt8(ascii: "k"): kind = .kernel
      case UInt8(ascii: "i"): kind = .inlined
      case UInt8(ascii: "j"): kind = .jit
      default: break
      }
      if kind != .unknown { end -= 4 }
    }
    var offset: FrameOffset?
    // `+0x35e` (perf) or `+862` (bpftrace), after a non-empty name.
    var k = end
    if let plus = PerfFrameLine.hexSuffix(bytes, 0, end), plus > 0, canonical(bytes, plus + 3, end, hex: true)
    {
      var value: UInt64 = 0
      var fits = true
      for j in (plus + 3)..<end {
        if value >> 60 != 0 { fits = false }
        value = value << 4 | UInt64(PerfFrameLine.hexValue(bytes[j]))
      }
      if fits {
        offset = FrameOffset(value, base: .hex)
        end = plus
      }
    } else {
      while k > 0 && PerfSampleHeader.isDigit(bytes[k - 1]) { k -= 1 }
      if k < end, k >= 2, bytes[k - 1] == UInt8(ascii: "+"), end - k <= 19,
        canonical(bytes, k, end, hex: false), let value = PerfSampleHeader.number(bytes, k, end)
      {
        offset = FrameOffset(value, base: .decimal)
        end = k - 1
      }
    }
    let symbol = String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self)
    return Frame(symbol: symbol, offset: offset, kind: kind)
  }
}

// MARK: detection and splitting

extension FoldedParser {
  /// Every complete non-blank line is `a;b;c 12`: something, a space, then only digits.
  public static func recognizes(_ input: DetectionInput) -> Bool {
    input.nonBlank.allSatisfy { line in
      guard let first = line.first, !DetectionInput.isSpace(first) else { return false }
      // Its count is beyond the prefix; the other formats, tried first, did not claim it.
      if input.onlyLineIsCut { return true }
      guard let space = line.lastIndex(of: 0x20), space > line.startIndex else { return false }
      let count = line[(space + 1)...]
      return !count.isEmpty && count.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
  }

  public static var canSplit: Bool { true }

  /// Every line is a whole sample.
  public static func recordStart(in window: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
    LineStarts.first(in: window, from: from) { _ in true }
  }
}
