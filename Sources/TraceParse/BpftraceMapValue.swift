/// The value of a bpftrace map entry as printed after `: `.
///
/// Text cannot tell `count()` from `sum()`, `min()`, `max()` or `avg()`: all print a plain
/// integer. On a map keyed by a stack the integer is the sample weight (so an `avg()` keyed by a
/// stack reads as a weight; the CLI can relabel the unit). `stats()` prints
/// `count 3, average 2, total 6` (≤0.23) or `{ .count = 3, .average = 2, .total = 6 }` (≥0.24);
/// `hist()`/`lhist()` print nothing on the key line and a table below it.
enum BpftraceValue: Equatable {
  case integer(negative: Bool, magnitude: UInt64)
  case stats(count: Int64, average: Int64, total: Int64)
  /// Nothing after the colon: a histogram table (or a stack value) follows on the next lines.
  case multiline

  /// A value problem at a 0-based byte offset in the value text.
  struct Failure: Error {
    var offset: Int
    var expected: String
    var found: String
  }

  var asInt64: Int64? {
    guard case .integer(let negative, let magnitude) = self else { return nil }
    if negative {
      return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil
    }
    return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
  }

  static func parse(_ text: Substring) throws(Failure) -> BpftraceValue {
    let trimmed = text.drop { $0 == " " || $0 == "\t" }
    let lead = text.utf8.count - trimmed.utf8.count
    let body = trimmedTrailing(trimmed)
    if body.isEmpty { return .multiline }
    if body.hasPrefix("count ") || body.hasPrefix("{") { return try parseStats(body, offset: lead) }
    return try parseInteger(body, offset: lead)
  }

  static func parseInteger(_ body: Substring, offset: Int) throws(Failure) -> BpftraceValue {
    var digits = body[...]
    var negative = false
    if digits.first == "-" {
      negative = true
      digits = digits.dropFirst()
    }
    guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
      throw Failure(offset: offset, expected: "an integer value", found: String(body))
    }
    guard let magnitude = UInt64(digits) else {
      throw Failure(offset: offset, expected: "an integer that fits in 64 bits", found: String(body))
    }
    return .integer(negative: negative, magnitude: magnitude)
  }

  /// `count 3, average 2, total 6` or `{ .count = 3, .average = 2, .total = 6 }`.
  static func parseStats(_ body: Substring, offset: Int) throws(Failure) -> BpftraceValue {
    var fields: [String: Int64] = [:]
    let inner = body.trimmingPrefix("{").prefix { $0 != "}" }
    for part in inner.split(separator: ",") {
      let words = part.split { $0 == " " || $0 == "=" || $0 == "\t" }
      guard words.count == 2, let value = Int64(words[1]) else {
        throw Failure(
          offset: offset, expected: "stats fields `count N, average N, total N`", found: String(body))
      }
      fields[String(words[0].trimmingPrefix("."))] = value
    }
    guard let count = fields["count"], let average = fields["average"], let total = fields["total"] else {
      throw Failure(offset: offset, expected: "stats fields count, average and total", found: String(body))
    }
    return .stats(count: count, average: average, total: total)
  }

  /// One histogram row: `[2, 4)                 2 |@@@@@@@@@@@@@   |`, `(..., 0)  1 |@|`,
  /// `[10, ...)  1 |@|`, `[4K, 8K)  3 |@|`.
  static func parseBucket(_ line: Substring) throws(Failure) -> MapValue.Bucket {
    guard let close = line.firstIndex(where: { $0 == ")" || $0 == "]" }) else {
      throw Failure(offset: 0, expected: "a histogram bucket `[lo, hi)  count |...|`", found: String(line))
    }
    let label = String(line[...close])
    let rest = line[line.index(after: close)...].drop { $0 == " " || $0 == "\t" }
    let number = rest.prefix { $0 != " " && $0 != "\t" && $0 != "|" }
    let at = line.utf8.count - rest.utf8.count
    guard !number.isEmpty, number.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
      throw Failure(offset: at, expected: "a bucket count", found: String(rest))
    }
    guard let count = UInt64(number) else {
      throw Failure(offset: at, expected: "a bucket count that fits in 64 bits", found: String(number))
    }
    return MapValue.Bucket(label: label, count: count)
  }

  /// `hist()` buckets are `[0]`, `[1]`, `(..., 0)` and power-of-two ranges; anything else (an
  /// overflow bucket `[N, ...)` or a range whose end is not twice its start) means `lhist()`.
  static func histogramKind(_ buckets: [MapValue.Bucket]) -> MapValue.Kind {
    for bucket in buckets {
      let label = bucket.label
      if label.hasSuffix("...)") { return .lhist }
      guard label.hasPrefix("["), label.hasSuffix(")") else { continue }
      let parts = label.dropFirst().dropLast().split(separator: ",").map {
        $0.trimmingCharacters(in: " ")
      }
      guard parts.count == 2, let lo = scaled(parts[0]), let hi = scaled(parts[1]) else { continue }
      if hi != lo * 2 { return .lhist }
    }
    return .hist
  }

  /// `4K` → 4096 (bpftrace's power suffixes K M G T P E).
  private static func scaled(_ text: String) -> Double? {
    let suffixes: [Character: Double] = [
      "K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40, "P": 0x1p50, "E": 0x1p60,
    ]
    if let last = text.last, let scale = suffixes[last], let v = Double(text.dropLast()) { return v * scale }
    return Double(text)
  }

  private static func trimmedTrailing(_ s: Substring) -> Substring {
    var end = s.endIndex
    while end > s.startIndex {
      let before = s.index(before: end)
      guard s[before] == " " || s[before] == "\t" else { break }
      end = before
    }
    return s[s.startIndex..<end]
  }
}

extension StringProtocol {
  fileprivate func trimmingCharacters(in set: Character) -> String {
    String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
  }
}
