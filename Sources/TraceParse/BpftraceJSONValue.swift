/// A JSON value as bpftrace's `-f json` prints it, read from the bytes of one NDJSON line.
/// Objects keep their member order (bpftrace prints maps sorted, and reports keep that order);
/// numbers keep their text so 64-bit counts are read exactly rather than through Double.
enum BpftraceJSONValue: Equatable {
  case null
  case bool(Bool)
  case number(String)
  case string(String)
  case array([BpftraceJSONValue])
  case object([(String, BpftraceJSONValue)])

  static func == (a: BpftraceJSONValue, b: BpftraceJSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.number(let x), .number(let y)): return x == y
    case (.string(let x), .string(let y)): return x == y
    case (.array(let x), .array(let y)): return x == y
    case (.object(let x), .object(let y)):
      return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    default: return false
    }
  }

  /// A syntax error at a 0-based byte offset.
  struct SyntaxError: Error {
    var offset: Int
    var expected: String
  }

  subscript(member: String) -> BpftraceJSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.first { $0.0 == member }?.1
  }

  var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// An integer, from a JSON number or (≥0.24, for values a double cannot hold) a string.
  var integer: (negative: Bool, magnitude: UInt64)? {
    let text: String
    switch self {
    case .number(let t): text = t
    case .string(let t): text = t
    default: return nil
    }
    var digits = Substring(text)
    let negative = digits.first == "-"
    if negative { digits = digits.dropFirst() }
    guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let m = UInt64(digits) else {
      return nil
    }
    return (negative, m)
  }

  /// Whether `text` is written as a decimal integer (`-` and digits), whether or not it fits.
  static func isIntegerText(_ text: String) -> Bool {
    var digits = Substring(text)
    if digits.first == "-" { digits = digits.dropFirst() }
    return !digits.isEmpty && digits.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
  }

  var int64: Int64? {
    guard let (negative, magnitude) = integer else { return nil }
    if negative {
      return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil
    }
    return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
  }

  static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(SyntaxError) -> BpftraceJSONValue {
    var reader = Reader(bytes: bytes)
    reader.skipSpace()
    let value = try reader.value(depth: 0)
    reader.skipSpace()
    if reader.at < bytes.count {
      throw SyntaxError(offset: reader.at, expected: "end of line after the JSON value")
    }
    return value
  }

  private struct Reader {
    let bytes: UnsafeBufferPointer<UInt8>
    var at = 0
    static let maxDepth = 64

    mutating func skipSpace() {
      while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x09 || bytes[at] == 0x0D || bytes[at] == 0x0A
      {
        at += 1
      }
    }

    mutating func value(depth: Int) throws(SyntaxError) -> BpftraceJSONValue {
      guard depth < Self.maxDepth else {
        throw SyntaxError(offset: at, expected: "JSON nested at most 64 deep")
      }
      guard at < bytes.count else { throw SyntaxError(offset: at, expected: "a JSON value") }
      switch bytes[at] {
      case 0x7B:  // {
        at += 1
        var members: [(String, BpftraceJSONValue)] = []
        skipSpace()
        if at < bytes.count, bytes[at] == 0x7D {
          at += 1
          return .object(members)
        }
        while true {
          skipSpace()
          guard at < bytes.count, bytes[at] == 0x22 else {
            throw SyntaxError(offset: at, expected: "a member name")
          }
          let name = try string()
          skipSpace()
          guard at < bytes.count, bytes[at] == 0x3A else { throw SyntaxError(offset: at, expected: "`:`") }
          at += 1
          skipSpace()
          members.append((name, try value(depth: depth + 1)))
          skipSpace()
          guard at < bytes.count else { throw SyntaxError(offset: at, expected: "`,` or `}`") }
          if bytes[at] == 0x2C {
            at += 1
            continue
          }
          if bytes[at] == 0x7D {
            at += 1
            return .object(members)
          }
          throw SyntaxError(offset: at, expected: "`,` or `}`")
        }
      case 0x5B:  // [
        at += 1
        var items: [BpftraceJSONValue] = []
        skipSpace()
        if at < bytes.count, bytes[at] == 0x5D {
          at += 1
          return .array(items)
        }
        while true {
          skipSpace()
          items.append(try value(depth: depth + 1))
          skipSpace()
          guard at < bytes.count else { throw SyntaxError(offset: at, expected: "`,` or `]`") }
          if bytes[at] == 0x2C {
            at += 1
            continue
          }
          if bytes[at] == 0x5D {
            at += 1
            return .array(items)
          }
          throw SyntaxError(offset: at, expected: "`,` or `]`")
        }
      case 0x22: return .string(try string())
      case 0x74: return try literal("true", .bool(true))
      case 0x66: return try literal("false", .bool(false))
      case 0x6E: return try literal("null", .null)
      default:
        let start = at
        while at < bytes.count {
          let b = bytes[at]
          guard (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x2B || b == 0x2E || b == 0x65 || b == 0x45
          else { break }
          at += 1
        }
        guard at > start else { throw SyntaxError(offset: at, expected: "a JSON value") }
        return .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self))
      }
    }

    mutating func literal(_ word: String, _ value: BpftraceJSONValue) throws(SyntaxError) -> BpftraceJSONValue
    {
      for b in word.utf8 {
        guard at < bytes.count, bytes[at] == b else { throw SyntaxError(offset: at, expected: "`\(word)`") }
        at += 1
      }
      return value
    }

    mutating func string() throws(SyntaxError) -> String {
      at += 1  // opening quote
      var out: [UInt8] = []
      while true {
        guard at < bytes.count else { throw SyntaxError(offset: at, expected: "a closing `\"`") }
        let b = bytes[at]
        at += 1
        if b == 0x22 { break }
        if b != 0x5C {
          out.append(b)
          continue
        }
        guard at < bytes.count else { throw SyntaxError(offset: at, expected: "an escape") }
        let e = bytes[at]
        at += 1
        switch e {
        case 0x22, 0x5C, 0x2F: out.append(e)
        case 0x6E: out.append(0x0A)
        case 0x74: out.append(0x09)
        case 0x72: out.append(0x0D)
        case 0x62: out.append(0x08)
        case 0x66: out.append(0x0C)
        case 0x75:
          var scalar = try hex4()
          if scalar >= 0xD800 && scalar < 0xDC00, at + 1 < bytes.count, bytes[at] == 0x5C,
            bytes[at + 1] == 0x75
          {
            at += 2
            let low = try hex4()
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low &- 0xDC00)
          }
          let s = Unicode.Scalar(scalar) ?? "\u{FFFD}"
          out.append(contentsOf: Array(String(Character(s)).utf8))
        default: throw SyntaxError(offset: at - 1, expected: "a valid escape")
        }
      }
      return String(decoding: out, as: UTF8.self)
    }

    mutating func hex4() throws(SyntaxError) -> UInt32 {
      guard at + 4 <= bytes.count else { throw SyntaxError(offset: at, expected: "four hex digits") }
      var v: UInt32 = 0
      for _ in 0..<4 {
        guard let d = BpftraceStackLine.hexDigit(bytes[at]) else {
          throw SyntaxError(offset: at, expected: "four hex digits")
        }
        v = v << 4 | UInt32(d)
        at += 1
      }
      return v
    }
  }
}
