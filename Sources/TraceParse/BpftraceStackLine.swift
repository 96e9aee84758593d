/// One frame line of a bpftrace `kstack`/`ustack`, in any of the modes bpftrace prints:
///
/// - default (`bpftrace`) mode: `direct_page_fault+862`, `[unknown]`, or an unresolved
///   `0xffffffffc0a2b3ce`; with blazesym (≥0.24) `[inlined] name@dir/file.c:12` and
///   `sym+4@file.c:9`;
/// - `perf` mode: `ffffffffb4019501 do_mmap+1`, user frames with ` (/path/to/dso)` or
///   ` ([unknown])`, inlined frames `name (inlined)`;
/// - `raw` mode: a bare hex address `ffffffffb4019501`;
/// - bpftrace ≥0.24 JSON, which strips every space, so a perf-mode line arrives glued:
///   `ffffffffb4019501do_mmap+1`.
///
/// Leading and trailing whitespace (4 or 8 spaces, or a TAB) is ignored. The frame's kind is
/// left `.unknown` here: whether a line belongs to a kernel or a user stack is decided for the
/// whole stack (`BpftraceMapKey.isKernel`).
enum BpftraceStackLine {
  /// Kernel addresses on x86-64 (and arm64) start at the top half of the address space.
  static let kernelAddressFloor: UInt64 = 0xffff_8000_0000_0000

  /// Parses one frame line. `glued` is set for ≥0.24 JSON keys, where the perf-mode space
  /// between address and symbol was removed.
  static func parse(_ line: UnsafeBufferPointer<UInt8>, glued: Bool = false) -> Frame {
    var lo = 0
    var hi = line.count
    while lo < hi, isSpace(line[lo]) { lo += 1 }
    while hi > lo, isSpace(line[hi - 1]) { hi -= 1 }
    if lo == hi { return Frame(symbol: "") }

    // Bare hex (raw mode) or `0x...` (unresolved address in default mode).
    if let address = hexValue(line, lo, hi), looksLikeAddress(line, lo, hi) {
      return Frame(symbol: string(line, lo, hi), address: address)
    }
    if hi - lo > 2, line[lo] == 0x30, line[lo + 1] == 0x78, let address = hexValue(line, lo + 2, hi) {
      return Frame(symbol: string(line, lo, hi), address: address)
    }

    // perf mode: `<hex address> <symbol part>`.
    var address: UInt64?
    var symLo = lo
    var tokenEnd = lo
    while tokenEnd < hi, !isSpace(line[tokenEnd]) { tokenEnd += 1 }
    if tokenEnd < hi, looksLikeAddress(line, lo, tokenEnd), let value = hexValue(line, lo, tokenEnd) {
      address = value
      symLo = tokenEnd
      while symLo < hi, isSpace(line[symLo]) { symLo += 1 }
    } else if glued {
      // `ffffffffb4019501do_mmap+1`: a kernel address is exactly 16 hex digits; a user address
      // (below 0x800000000000) at most 12. A symbol starting with a hex letter is ambiguous
      // for user addresses; we take the longest hex run up to 12 digits.
      var run = lo
      while run < hi, hexDigit(line[run]) != nil { run += 1 }
      let digits = run - lo
      if digits >= 16, line[lo] == 0x66, line[lo + 1] == 0x66 {  // "ff"
        address = hexValue(line, lo, lo + 16)
        symLo = lo + 16
      } else if digits >= 4, digits < hi - lo, looksLikeAddress(line, lo, lo + min(digits, 12)) {
        let take = min(digits, 12)
        address = hexValue(line, lo, lo + take)
        symLo = lo + take
      }
    }

    var kind = FrameKind.unknown
    var module: String?
    var srcline: String?
    var symHi = hi

    if address != nil, symHi > symLo, line[symHi - 1] == 0x29 {  // ")"
      // perf-mode suffix: ` (/path/dso)`, ` ([unknown])`, ` (inlined)`.
      var open = symHi - 1
      while open > symLo, line[open] != 0x28 { open -= 1 }
      if line[open] == 0x28 {
        let inside = string(line, open + 1, symHi - 1)
        if inside == "inlined" { kind = .inlined } else { module = inside }
        symHi = open
        while symHi > symLo, isSpace(line[symHi - 1]) { symHi -= 1 }
      }
    }
    // blazesym `[inlined] name@file:line`.
    let inlinedPrefix: [UInt8] = Array("[inlined]".utf8)
    if symHi - symLo > inlinedPrefix.count, hasPrefix(line, symLo, inlinedPrefix) {
      kind = .inlined
      symLo += inlinedPrefix.count
      while symLo < symHi, isSpace(line[symLo]) { symLo += 1 }
    }
    // `...@file:line` source location (blazesym). Versioned symbols (`memcpy@@GLIBC_2.14`)
    // have no `:<digits>` and are left alone.
    if let at = lastIndex(of: 0x40, in: line, symLo, symHi), at > symLo,
      endsWithColonDigits(line, at + 1, symHi)
    {
      srcline = string(line, at + 1, symHi)
      symHi = at
    }
    // Offset: `+862` (decimal, bpftrace) or `+0x35e` (hex).
    var offset: FrameOffset?
    if let plus = lastIndex(of: 0x2B, in: line, symLo, symHi), plus > symLo, plus + 1 < symHi {
      if symHi - plus > 3, line[plus + 1] == 0x30, line[plus + 2] == 0x78,
        let v = hexValue(line, plus + 3, symHi)
      {
        offset = FrameOffset(v, base: .hex)
        symHi = plus
      } else if let v = decimalValue(line, plus + 1, symHi) {
        offset = FrameOffset(v, base: .decimal)
        symHi = plus
      }
    }
    return Frame(
      symbol: string(line, symLo, symHi), offset: offset, module: module, address: address, kind: kind,
      srcline: srcline)
  }

  /// The kind a parsed frame gets once its stack is known to be kernel or user.
  static func kind(of frame: Frame, inKernelStack kernel: Bool) -> FrameKind {
    if frame.kind == .inlined { return .inlined }
    if kernel { return frame.module == nil ? .kernel : .module }
    return .user
  }

  // MARK: byte helpers

  @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }

  @inline(__always) static func hexDigit(_ b: UInt8) -> UInt64? {
    switch b {
    case 0x30...0x39: return UInt64(b - 0x30)
    case 0x61...0x66: return UInt64(b - 0x61 + 10)
    case 0x41...0x46: return UInt64(b - 0x41 + 10)
    default: return nil
    }
  }

  /// A hex number of 1...16 digits in `line[lo..<hi]`, else nil.
  static func hexValue(_ line: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> UInt64? {
    guard hi > lo, hi - lo <= 16 else { return nil }
    var v: UInt64 = 0
    for i in lo..<hi {
      guard let d = hexDigit(line[i]) else { return nil }
      v = v << 4 | d
    }
    return v
  }

  /// Hex tokens that are addresses rather than symbols made of the letters a-f: at least four
  /// digits, at least one of them decimal.
  static func looksLikeAddress(_ line: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Bool {
    guard hi - lo >= 4, hi - lo <= 16 else { return false }
    var sawDecimal = false
    for i in lo..<hi {
      let b = line[i]
      if b >= 0x30 && b <= 0x39 { sawDecimal = true } else if hexDigit(b) == nil { return false }
    }
    return sawDecimal
  }

  /// An unsigned decimal in `line[lo..<hi]` that fits UInt64, else nil.
  static func decimalValue(_ line: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> UInt64? {
    guard hi > lo else { return nil }
    var v: UInt64 = 0
    for i in lo..<hi {
      let b = line[i]
      guard b >= 0x30 && b <= 0x39 else { return nil }
      let (m, o1) = v.multipliedReportingOverflow(by: 10)
      let (s, o2) = m.addingReportingOverflow(UInt64(b - 0x30))
      if o1 || o2 { return nil }
      v = s
    }
    return v
  }

  static func string(_ line: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> String {
    guard hi > lo else { return "" }
    return String(decoding: UnsafeBufferPointer(rebasing: line[lo..<hi]), as: UTF8.self)
  }

  static func hasPrefix(_ line: UnsafeBufferPointer<UInt8>, _ lo: Int, _ prefix: [UInt8]) -> Bool {
    guard line.count - lo >= prefix.count else { return false }
    for (i, b) in prefix.enumerated() where line[lo + i] != b { return false }
    return true
  }

  static func lastIndex(of byte: UInt8, in line: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Int? {
    var i = hi - 1
    while i >= lo {
      if line[i] == byte { return i }
      i -= 1
    }
    return nil
  }

  /// `path/file.c:123` — some text, a colon, then only digits.
  static func endsWithColonDigits(_ line: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Bool {
    var i = hi - 1
    var digits = 0
    while i >= lo, line[i] >= 0x30, line[i] <= 0x39 {
      digits += 1
      i -= 1
    }
    return digits > 0 && i > lo && line[i] == 0x3A
  }
}
