/// Guesses the input format from the first bytes of an input (`ProfileLoader` passes 64 KiB).
///
/// Rules, first match wins:
/// 1. Empty or blank input, or binary (a NUL byte, or more than 1% control bytes other than
///    TAB/CR/LF): nil.
/// 2. bpftrace JSON: the first non-blank line is an object starting `{"type":`.
/// 3. bpftrace text: a line `Attaching N probe(s)...`, or a line starting with a map entry
///    `@name[` or `@name:` (optionally after an echoed `^C`).
/// 4. perf script: a non-indented header line directly followed by an indented frame line
///    `<hex address> <symbol...>` (TAB or spaces).
/// 5. perf script without callchains: every non-comment line is a sample header.
/// 6. folded: every complete non-blank line is `<frames> <integer count>`.
///
/// Returns nil when nothing matches; the caller names the file and asks for `--input-format`.
public enum FormatDetector {
  public static func detect(_ prefix: [UInt8]) -> InputFormat? {
    if prefix.isEmpty { return nil }
    var control = 0
    for b in prefix {
      if b == 0 { return nil }
      if (b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D) || b == 0x7F { control += 1 }
    }
    if control * 100 > prefix.count { return nil }

    var lines = prefix.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
      line.last == 0x0D ? line.dropLast() : line
    }
    // The last piece may be cut by the prefix length; judge only complete lines (unless the
    // input is a single unterminated line).
    if lines.count > 1 && prefix.last != 0x0A { lines.removeLast() }
    let nonBlank = lines.filter { !isBlank($0) }
    guard let first = nonBlank.first else { return nil }

    if isJSONMessage(first) { return .bpftraceJSON }
    if nonBlank.contains(where: { isBpftraceLine($0) }) { return .bpftrace }
    for (header, frame) in zip(lines, lines.dropFirst()) where isPerfHeader(header) && isPerfFrame(frame) {
      return .perfScript
    }
    if isPerfWithoutCallchains(nonBlank) { return .perfScript }
    if nonBlank.allSatisfy({ isFoldedLine($0) }) { return .folded }
    return nil
  }

  private static func isBlank(_ line: ArraySlice<UInt8>) -> Bool {
    line.allSatisfy { $0 == 0x20 || $0 == 0x09 }
  }

  private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

  /// `{"type":` with optional spaces.
  static func isJSONMessage(_ line: ArraySlice<UInt8>) -> Bool {
    var rest = line.drop(while: isSpace)
    guard rest.first == 0x7B else { return false }
    rest = rest.dropFirst().drop(while: isSpace)
    return rest.starts(with: Array("\"type\"".utf8))
  }

  static func isBpftraceLine(_ line: ArraySlice<UInt8>) -> Bool {
    if line.starts(with: Array("Attaching ".utf8)) {
      let rest = line.dropFirst(10)
      let digits = rest.prefix { $0 >= 0x30 && $0 <= 0x39 }
      return !digits.isEmpty && rest.dropFirst(digits.count).starts(with: Array(" probe".utf8))
    }
    var rest = line[...]
    if rest.starts(with: [0x5E, 0x43]) { rest = rest.dropFirst(2) }  // ^C
    guard rest.first == 0x40 else { return false }
    let name = rest.dropFirst().prefix { BpftraceTextSession.isIdentifier($0) }
    guard let next = rest.dropFirst(1 + name.count).first else { return false }
    return next == 0x5B || next == 0x3A
  }

  static func isPerfHeader(_ line: ArraySlice<UInt8>) -> Bool {
    guard let first = line.first, !isSpace(first), first != 0x23 else { return false }  // not "#"
    return line.contains(0x3A)  // `time:` and `event:`
  }

  /// `\tffffffffb4019501 do_mmap+0x1 ([kernel.kallsyms])` or `    7f89e341d84f sym (dso)`.
  static func isPerfFrame(_ line: ArraySlice<UInt8>) -> Bool {
    guard let first = line.first, isSpace(first) else { return false }
    let rest = line.drop(while: isSpace)
    let address = rest.prefix { BpftraceStackLine.hexDigit($0) != nil }
    guard !address.isEmpty else { return false }
    let after = rest.dropFirst(address.count)
    return after.first == 0x20 && after.count > 1
  }

  /// `perf script` of a capture without `-g`: every line (but `#` comments) is a sample header,
  /// some with their one frame on the line.
  static func isPerfWithoutCallchains(_ lines: [ArraySlice<UInt8>]) -> Bool {
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

  /// `a;b;c 12`: something, a space, then only digits.
  static func isFoldedLine(_ line: ArraySlice<UInt8>) -> Bool {
    guard let first = line.first, !isSpace(first) else { return false }
    guard let space = line.lastIndex(of: 0x20), space > line.startIndex else { return false }
    let count = line[(space + 1)...]
    return !count.isEmpty && count.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
  }
}
