/// Reads folded stacks, one per line, root first: `root;caller;leaf 12`, as written by
/// `tdptrace fold`, FlameGraph's collapsers, inferno and `perf script report stackcollapse`,
/// and read the way flamegraph.pl reads them.
///
/// - The count is the last blank-separated field: digits, optionally a point and more digits
///   (`12`, `31.23`, `31.0`, `6.`). Fractional counts are kept exact: the profile's
///   `WeightScale` becomes the most decimals seen, and earlier weights are rescaled.
/// - A line ending in two counts, `stack 10 12` (what difffolded.pl writes, BEFORE then AFTER),
///   is a differential line, as flamegraph.pl reads it: the profile's samples get the second
///   count and `Profile.baselineWeights` the first. It is never read as a frame named `10`.
/// - Frame annotations set the kind and are removed from the name: `_[k]` kernel, `_[i]`
///   inlined, `_[j]` JIT, so `tdptrace fold --annotate` reproduces them.
/// - A trailing `+0x35e` or `+862` is read as the frame's offset (hex or decimal, remembered),
///   so `--keep-offsets` prints it back unchanged.
/// - A line that is only a count is a sample with an empty stack. Blank lines and `#` comment
///   lines (first non-blank byte `#`) are skipped: neither samples nor errors.
public struct FoldedParser: TraceParser {
  public static let format = InputFormat.folded
  public init() {}

  /// What a count must look like, for error messages.
  static let expectedLine =
    "a folded line: frames separated by ';', a space, then a count (12 or 31.25; two counts for a differential line)"

  public func parse(_ input: inout LineReader, into builder: inout ProfileBuilder, options: ParseOptions)
    throws(ParseError)
  {
    var frames = ByteKeyTable(capacity: 4096)
    // Folded lines are mostly unique already (a collapser summed them), so each goes straight
    // to the builder: one hash per line. The scratch array is reused while lines repeat.
    var stack: [FrameID] = []
    let labels = builder.intern(Labels())
    builder.unit = .count
    // Under --lenient, whether the last line was skipped: indented lines after it (the frame
    // lines of a perf or bpftrace record read as folded) belong to the same bad record, which
    // is counted once, not once per line.
    var skipping = false
    while true {
      guard let line = try input.nextLine(source: options.sourceName) else { break }
      var end = line.count
      while end > 0 && Self.isBlank(line[end - 1]) { end -= 1 }
      if end == 0 { continue }
      var first = 0
      while Self.isBlank(line[first]) { first += 1 }
      if line[first] == UInt8(ascii: "#") { continue }
      if skipping && first > 0 { continue }
      skipping = false
      let countStart = Self.fieldStart(line, end)

      func fail(_ column: Int, _ expected: String, weight: UInt64 = 0) throws(ParseError) {
        let error = ParseError(
          SourcePosition(file: options.sourceName, line: input.lineNumber, column: column),
          expected: expected,
          found: line.string)
        guard options.lenient else { throw error }
        builder.recordSkip(error, weight: weight)
        skipping = true
      }

      guard let count = WeightScale.parse(line, countStart, end) else {
        try fail(countStart + 1, Self.expectedLine)
        continue
      }
      // One blank separates the stack from its count, as in flamegraph.pl's
      // `^(.*)\s+?(\d+(?:\.\d*)?)$`: further blanks are part of the last frame (perf writes a
      // frame without a symbol as " ", which the js palette colors as such).
      var stackEnd = max(countStart - 1, 0)
      // A second count before the first (after a blank, as flamegraph.pl's pattern asks) makes
      // the line differential: BEFORE AFTER.
      var before: (value: UInt64, decimals: Int)?
      if countStart > 0 {
        let beforeStart = Self.fieldStart(line, stackEnd)
        if beforeStart > 0, let value = WeightScale.parse(line, beforeStart, stackEnd) {
          before = value
          stackEnd = beforeStart - 1
        }
      }

      // Exact weights at the profile's scale, raised first if this count is finer.
      let decimals = max(count.decimals, before?.decimals ?? 0)
      var after: UInt64 = 0
      var baseline: UInt64 = 0
      do throws(AggregationError) {
        try builder.raiseScale(to: WeightScale(decimals: decimals))
        let scale = builder.weightScale
        guard let a = WeightScale(decimals: count.decimals).rescale(count.value, to: scale) else {
          throw AggregationError.scaleOverflow(weight: count.value, decimals: scale.decimals)
        }
        after = a
        if let before {
          guard let b = WeightScale(decimals: before.decimals).rescale(before.value, to: scale) else {
            throw AggregationError.scaleOverflow(weight: before.value, decimals: scale.decimals)
          }
          baseline = b
        }
      } catch {
        try fail(countStart + 1, "a count that fits in UInt64 at the profile's scale (\(error))")
        continue
      }

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
      do {
        if before != nil {
          try builder.addDifferential(stack: stack, labels: labels, before: baseline, after: after)
        } else if builder.profile.isDifferential {
          // A one-count line in a differential file did not change.
          try builder.addDifferential(stack: stack, labels: labels, before: after, after: after)
        } else {
          try builder.add(stack: stack, labels: labels, weight: after)
        }
      } catch {
        try fail(
          countStart + 1, "a count that keeps the summed weight within UInt64 (\(error))", weight: after)
      }
    }
  }

  @inline(__always)
  static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

  /// The start of the blank-separated field that ends at `end`.
  static func fieldStart(_ line: UnsafeBufferPointer<UInt8>, _ end: Int) -> Int {
    var start = end
    while start > 0 && !isBlank(line[start - 1]) { start -= 1 }
    return start
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
  /// Every complete non-blank line that is not a `#` comment is `a;b;c 12`: something, a
  /// blank, then a count (`12`, `31.23`, `6.`), or two for a differential line; and there is
  /// at least one such line.
  public static func recognizes(_ input: DetectionInput) -> Bool { rejection(input) == nil }

  /// Why `input` is not folded (`line 3: no count`), or nil when it is.
  public static func rejection(_ input: DetectionInput) -> String? {
    var samples = 0
    for (i, line) in input.lines.enumerated() {
      let body = line.drop(while: DetectionInput.isSpace)
      if body.allSatisfy(DetectionInput.isSpace) || body.first == 0x23 { continue }
      samples += 1
      if line.first.map(DetectionInput.isSpace) == true { return "line \(i + 1): starts with a blank" }
      // Its count is beyond the prefix; the other formats, tried first, did not claim it.
      if input.onlyLineIsCut { return nil }
      var trimmed = line[...]
      while let last = trimmed.last, DetectionInput.isSpace(last) { trimmed = trimmed.dropLast() }
      guard let blank = trimmed.lastIndex(where: DetectionInput.isSpace) else {
        return "line \(i + 1): no count (no blank before a last field)"
      }
      let count = Array(trimmed[(blank + 1)...])
      let ok = count.withUnsafeBufferPointer { WeightScale.parse($0, 0, $0.count) != nil }
      if !ok { return "line \(i + 1): no count (last field is not a number)" }
    }
    return samples == 0 ? "only comment lines" : nil
  }

  /// More than half of the sample lines (not blank, not `#`) are folded lines: what `--lenient`
  /// detection accepts, the rest being skipped as bad records.
  public static func mostlyRecognizes(_ input: DetectionInput) -> Bool {
    var good = 0
    var all = 0
    for line in input.nonBlank {
      let body = line.drop(while: DetectionInput.isSpace)
      if body.first == 0x23 { continue }
      all += 1
      var trimmed = line[...]
      while let last = trimmed.last, DetectionInput.isSpace(last) { trimmed = trimmed.dropLast() }
      guard line.first.map(DetectionInput.isSpace) == false,
        let blank = trimmed.lastIndex(where: DetectionInput.isSpace)
      else { continue }
      let count = Array(trimmed[(blank + 1)...])
      if count.withUnsafeBufferPointer({ WeightScale.parse($0, 0, $0.count) != nil }) { good += 1 }
    }
    return good * 2 > all
  }

  public static var canSplit: Bool { true }

  /// Every line is a whole sample.
  public static func recordStart(in window: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
    LineStarts.first(in: window, from: from) { _ in true }
  }
}
