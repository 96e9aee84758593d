/// The start of an input as `TraceParser.recognizes` sees it: split into lines once, for every
/// format's rule.
public struct DetectionInput: Sendable {
  /// The bytes as read (at most the prefix `FormatDetector.detect` was given).
  public let prefix: [UInt8]
  /// The complete lines of `prefix`, without `\n` or a `\r` before it; the last piece is left
  /// out when the prefix cut it (unless it is the only line).
  public let lines: [ArraySlice<UInt8>]
  /// `lines` without the blank ones (only spaces and TABs). Never empty.
  public let nonBlank: [ArraySlice<UInt8>]
  /// Whether the input goes on past `prefix` inside its only line: `lines` is then that line's
  /// start, and a rule must judge it by what it starts with (a 10 MB folded line has its count
  /// far beyond the prefix).
  public let onlyLineIsCut: Bool

  /// nil when `prefix` has no non-blank line: nothing for a format to recognize.
  /// `inputEnded`: whether `prefix` holds the whole input (it was shorter than asked for).
  public init?(prefix: [UInt8], inputEnded: Bool = true) {
    var lines = prefix.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
      line.last == 0x0D ? line.dropLast() : line
    }
    // The last piece may be cut by the prefix length; judge only complete lines (unless the
    // input is a single unterminated line).
    if lines.count > 1 && prefix.last != 0x0A { lines.removeLast() }
    let nonBlank = lines.filter { !$0.allSatisfy(Self.isSpace) }
    if nonBlank.isEmpty { return nil }
    self.prefix = prefix
    self.onlyLineIsCut = lines.count == 1 && prefix.last != 0x0A && !inputEnded
    self.lines = lines
    self.nonBlank = nonBlank
  }

  /// A blank or a TAB, the only indentation the formats use.
  public static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
}
