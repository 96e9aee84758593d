/// A place in an input: file (or `<stdin>`), 1-based line, and 1-based byte column if known.
public struct SourcePosition: Hashable, Sendable, CustomStringConvertible {
  public var file: String
  public var line: Int
  public var column: Int?

  public init(file: String, line: Int, column: Int? = nil) {
    self.file = file
    self.line = line
    self.column = column
  }

  /// `file:line:column`, the form compilers and editors jump to.
  public var description: String {
    if let column { return "\(file):\(line):\(column)" }
    return "\(file):\(line)"
  }
}

/// Input that does not have the expected shape. Always names where and what was expected.
public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
  public var position: SourcePosition
  /// What the parser expected there, in words: "a frame line or `]: <count>`".
  public var expected: String
  /// A short, printable excerpt of what it found instead (truncated, control bytes escaped).
  public var found: String?

  public init(_ position: SourcePosition, expected: String, found: String? = nil) {
    self.position = position
    self.expected = expected
    self.found = found.map(ParseError.excerpt)
  }

  public var description: String {
    var text = "\(position): expected \(expected)"
    if let found { text += ", found \(found)" }
    return text
  }

  /// At most 60 printable characters, quoted, so an error about a 10 MB line or binary garbage
  /// stays one readable line.
  public static func excerpt(_ raw: String) -> String {
    var out = ""
    var count = 0
    for scalar in raw.unicodeScalars {
      if count == 60 {
        out += "..."
        break
      }
      if scalar.value < 0x20 || scalar.value == 0x7f || scalar == "\u{FFFD}" {
        let hex = String(scalar.value & 0xff, radix: 16)
        out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
      } else {
        out.unicodeScalars.append(scalar)
      }
      count += 1
    }
    return "'" + out + "'"
  }
}
