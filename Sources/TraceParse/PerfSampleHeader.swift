/// The first line of a `perf script` sample, located as byte ranges in the line:
///
///     comm  pid/tid [cpu] [misc] time: [period] event: [payload | one frame]
///
/// The comm may contain spaces and slashes (QEMU's `CPU 3/KVM`, `fc_vcpu 1`), so the line is
/// anchored on the time token (`123.456789:`), which perf prints by default, and read outwards
/// from it: cpu and pid/tid to its left, comm is everything before them; period and event to its
/// right. Without a time token the event (first token after the pid ending in `:`) anchors it.
struct PerfSampleHeader {
  var comm: Range<Int>
  /// `pid/tid` as printed, or just the tid (perf's default prints only the tid).
  var pid: Range<Int>?
  var tid: Range<Int>
  /// Digits inside `[...]`.
  var cpu: Range<Int>?
  /// nil when there is none, or when `periodDigits` do not fit in UInt64.
  var period: UInt64?
  /// Where the period's digits are, so a period too large can be refused with its column.
  var periodDigits: Range<Int>?
  /// Without its final `:` (`cpu-clock:ppp`, `kvmmmu:kvm_mmu_get_page`).
  var event: Range<Int>
  /// What follows the event: tracepoint payload, or a frame on samples without callchain.
  var rest: Range<Int>?

  /// Why a line is not a header, with the 1-based column where it went wrong.
  struct Failure: Error {
    var column: Int
    var expected: String
  }

  typealias Bytes = UnsafeBufferPointer<UInt8>

  static let shape = "a perf script sample header (comm pid[/tid] [cpu] time: [period] event:)"

  /// Number of `Int`s of scratch space `parse` needs.
  static let scratchCount = 2 * maxTokens
  private static let maxTokens = 16

  /// - Parameter scratch: `scratchCount` Ints the caller owns and reuses, so a header costs
  ///   no allocation.
  static func parse(_ line: UnsafeBufferPointer<UInt8>, scratch: UnsafeMutablePointer<Int>) throws(Failure)
    -> PerfSampleHeader
  {
    let n = line.count
    // Token boundaries, up to the time. Headers have about six tokens before it; a comm with
    // many spaces is rare, and the limit keeps a garbage line from costing much.
    let s = scratch
    let e = scratch + maxTokens
    var count = 0
    var timeIndex = -1
    var i = 0
    while count < maxTokens {
      while i < n && isSpace(line[i]) { i += 1 }
      if i == n { break }
      let start = i
      while i < n && !isSpace(line[i]) { i += 1 }
      s[count] = start
      e[count] = i
      count += 1
      if count >= 2 && isTime(line, start, i) {
        timeIndex = count - 1
        break
      }
    }
    if count == 0 { throw Failure(column: 1, expected: shape) }

    var header = PerfSampleHeader(
      comm: 0..<0, pid: nil, tid: 0..<0, cpu: nil, period: nil, event: 0..<0, rest: nil)
    var left: Int  // index of the last token before the time (or event)
    var right: Int  // byte offset after the time token
    if timeIndex >= 0 {
      left = timeIndex - 1
      right = e[timeIndex]
    } else {
      // No time: the event is the first token after the comm ending in `:` whose left
      // neighbour is a pid or cpu.
      var eventToken = -1
      for t in 1..<count where line[e[t] - 1] == UInt8(ascii: ":") {
        let before = t - 1
        if isPid(line, s[before], e[before]) || isCPU(line, s[before], e[before]) {
          eventToken = t
          break
        }
      }
      if eventToken < 0 {
        throw Failure(column: 1, expected: shape)
      }
      left = eventToken - 1
      right = s[eventToken]
      // A bare number right before the event is the period when a pid or cpu precedes it.
      if left >= 2 && isDigits(line, s[left], e[left])
        && (isPid(line, s[left - 1], e[left - 1]) || isCPU(line, s[left - 1], e[left - 1]))
      {
        header.periodDigits = s[left]..<e[left]
        header.period = number(line, s[left], e[left])
        left -= 1
      }
    }
    // Optional misc flags (`-F +misc`: one short token of letters) between cpu and time.
    if left >= 2 && !isPid(line, s[left], e[left]) && !isCPU(line, s[left], e[left])
      && e[left] - s[left] <= 3
      && (isCPU(line, s[left - 1], e[left - 1]) || isPid(line, s[left - 1], e[left - 1]))
    {
      left -= 1
    }
    if left >= 1 && isCPU(line, s[left], e[left]) {
      header.cpu = (s[left] + 1)..<(e[left] - 1)
      left -= 1
    }
    guard left >= 1, isPid(line, s[left], e[left]) else {
      let column = left >= 0 ? s[left] + 1 : 1
      throw Failure(column: column, expected: "a command name then a pid or pid/tid before the time")
    }
    if let slash = (s[left]..<e[left]).first(where: { line[$0] == UInt8(ascii: "/") }) {
      header.pid = s[left]..<slash
      header.tid = (slash + 1)..<e[left]
    } else {
      header.tid = s[left]..<e[left]
    }
    header.comm = s[0]..<e[left - 1]

    // Right of the time: [period] event: [rest].
    i = right
    func token() -> Range<Int>? {
      while i < n && isSpace(line[i]) { i += 1 }
      if i == n { return nil }
      let start = i
      while i < n && !isSpace(line[i]) { i += 1 }
      return start..<i
    }
    if timeIndex >= 0 {
      guard var t = token() else {
        throw Failure(column: n + 1, expected: "an event name ending in ':' after the time")
      }
      if isDigits(line, t.lowerBound, t.upperBound) {
        header.periodDigits = t
        header.period = number(line, t.lowerBound, t.upperBound)
        guard let next = token() else {
          throw Failure(column: n + 1, expected: "an event name ending in ':' after the period")
        }
        t = next
      }
      guard t.count >= 2, line[t.upperBound - 1] == UInt8(ascii: ":") else {
        throw Failure(column: t.lowerBound + 1, expected: "an event name ending in ':'")
      }
      header.event = t.lowerBound..<(t.upperBound - 1)
    } else {
      let t = token()!
      header.event = t.lowerBound..<(t.upperBound - 1)
    }
    while i < n && isSpace(line[i]) { i += 1 }
    if i < n { header.rest = i..<n }
    return header
  }

  @inline(__always) static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }

  @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }

  static func isDigits(_ line: Bytes, _ from: Int, _ to: Int) -> Bool {
    if from >= to { return false }
    for k in from..<to where !isDigit(line[k]) { return false }
    return true
  }

  /// `256.611042:` (µs) or `256.611042123:` (`--ns`).
  static func isTime(_ line: Bytes, _ from: Int, _ to: Int) -> Bool {
    guard to - from >= 4, line[to - 1] == UInt8(ascii: ":") else { return false }
    var k = from
    var digitsBefore = 0
    while k < to - 1 && isDigit(line[k]) {
      k += 1
      digitsBefore += 1
    }
    guard digitsBefore > 0, k < to - 1, line[k] == UInt8(ascii: ".") else { return false }
    k += 1
    return k < to - 1 && isDigits(line, k, to - 1)
  }

  /// `1234`, `-1`, `1234/1240`, `-1/-1`.
  static func isPid(_ line: Bytes, _ from: Int, _ to: Int) -> Bool {
    var k = from
    var parts = 0
    while k < to {
      if line[k] == UInt8(ascii: "-") { k += 1 }
      let digitsStart = k
      while k < to && isDigit(line[k]) { k += 1 }
      if k == digitsStart { return false }
      parts += 1
      if k == to { break }
      if line[k] != UInt8(ascii: "/") || parts == 2 { return false }
      k += 1
      if k == to { return false }
    }
    return parts > 0
  }

  /// `[003]`.
  static func isCPU(_ line: Bytes, _ from: Int, _ to: Int) -> Bool {
    to - from >= 3 && line[from] == UInt8(ascii: "[") && line[to - 1] == UInt8(ascii: "]")
      && isDigits(line, from + 1, to - 1)
  }

  /// nil when the digits do not fit in UInt64: saturating would turn 2^64 into a valid weight
  /// (`--weight period` refuses it with its column; counting samples ignores the period).
  static func number(_ line: Bytes, _ from: Int, _ to: Int) -> UInt64? {
    var v: UInt64 = 0
    for k in from..<to {
      let (m, o1) = v.multipliedReportingOverflow(by: 10)
      let (a, o2) = m.addingReportingOverflow(UInt64(line[k] &- 0x30))
      if o1 || o2 { return nil }
      v = a
    }
    return v
  }
}
