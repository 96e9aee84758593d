/// One callchain line of `perf script`, decoded into a `Frame`:
///
///     \t ffffffff821f4dab pv_native_safe_halt+0xb ([kernel.kallsyms])
///     \t           22854 strcmp+0x3b4 (/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2)
///     \t ffffffffc0a2b3ce kvm_tdp_mmu_page_fault+0x35e (inlined)
///     \t ffffffff96c8ee44 native_write_msr+0x4 (/path/elf+0x28ee44)        (-F +dsoff)
///     \t               0 [unknown] ([unknown])
///
/// The parser decodes each distinct line once and then finds repeats by their bytes.
enum PerfFrameLine {
  /// Whether `line` (leading blanks included) is a frame: blanks, a hex address, then a space
  /// or the end of the line.
  static func looksLikeFrame(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
    var i = 0
    while i < line.count && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
    let start = i
    while i < line.count && isHex(line[i]) { i += 1 }
    return i > start && (i == line.count || line[i] == 0x20)
  }

  /// Decodes a line that `looksLikeFrame`, or the frame part of a single-line sample header.
  static func decode(_ line: UnsafeBufferPointer<UInt8>) -> Frame {
    var i = 0
    while i < line.count && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
    var address: UInt64 = 0
    var overflow = false
    while i < line.count && isHex(line[i]) {
      if address >> 60 != 0 { overflow = true }
      address = address << 4 | UInt64(hexValue(line[i]))
      i += 1
    }
    while i < line.count && line[i] == 0x20 { i += 1 }
    var end = line.count
    while end > i && line[end - 1] == 0x20 { end -= 1 }
    let knownAddress: UInt64? = overflow ? nil : address

    // The DSO is the last parenthesized group, which ends the line: symbols may contain
    // parentheses and spaces (C++ signatures), DSO paths almost never do.
    var symbolEnd = end
    var module: String?
    var inlined = false
    if end > i, line[end - 1] == UInt8(ascii: ")") {
      var k = end - 2
      var open = -1
      while k >= i {
        if line[k] == UInt8(ascii: "(") && (k == i || line[k - 1] == 0x20) {
          open = k
          break
        }
        k -= 1
      }
      if open >= 0 {
        var moduleEnd = end - 1
        // `-F +dsoff`: `(/path/elf+0x28ee44)`; the DSO alone names the module.
        if let plus = hexSuffix(line, open + 1, moduleEnd) { moduleEnd = plus }
        module = String(decoding: UnsafeBufferPointer(rebasing: line[(open + 1)..<moduleEnd]), as: UTF8.self)
        symbolEnd = open > i ? open - 1 : i
        if module == "inlined" {
          inlined = true
          module = nil
        }
      }
    }

    var offset: FrameOffset?
    if let plus = hexSuffix(line, i, symbolEnd), plus > i {
      var value: UInt64 = 0
      var fits = true
      for k in (plus + 3)..<symbolEnd {
        if value >> 60 != 0 { fits = false }
        value = value << 4 | UInt64(hexValue(line[k]))
      }
      if fits {
        offset = FrameOffset(value, base: .hex)
        symbolEnd = plus
      }
    }
    var symbol = String(decoding: UnsafeBufferPointer(rebasing: line[i..<symbolEnd]), as: UTF8.self)
    if symbol.isEmpty {
      symbol = knownAddress.map { "0x" + String($0, radix: 16) } ?? "[unknown]"
    }
    let kind: FrameKind = inlined ? .inlined : kind(module: module, address: knownAddress)
    if module == "[unknown]" { module = nil }
    return Frame(symbol: symbol, offset: offset, module: module, address: knownAddress, kind: kind)
  }

  /// Where a `+0x<hex digits>` suffix of `line[from..<to]` starts, if it has one.
  static func hexSuffix(_ line: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Int? {
    var k = to
    while k > from && isHex(line[k - 1]) { k -= 1 }
    guard k < to, k - from >= 3, line[k - 1] == UInt8(ascii: "x"), line[k - 2] == UInt8(ascii: "0"),
      line[k - 3] == UInt8(ascii: "+")
    else { return nil }
    return k - 3
  }

  /// The kind of code a DSO holds.
  static func kind(module: String?, address: UInt64?) -> FrameKind {
    guard let module else {
      // No DSO printed (`-F ip,sym`): fall back to the x86-64 kernel half of the address space.
      if let address, address >= 0xffff_8000_0000_0000 { return .kernel }
      return .unknown
    }
    let base = module.split(separator: "/").last.map(String.init) ?? module
    if module == "[unknown]" { return .unknown }
    if module.hasPrefix("[kernel.kallsyms]") || base.hasPrefix("vmlinux") { return .kernel }
    if module.hasPrefix("[") {
      switch module {
      case "[vdso]", "[vsyscall]", "[vectors]", "[heap]", "[stack]", "[uprobes]", "[anon]": return .user
      default: break
      }
      if module.hasPrefix("[anon") { return .user }
      return .module
    }
    if base.hasSuffix(".ko") || base.contains(".ko.") { return .module }
    if base.hasPrefix("perf-") && base.hasSuffix(".map") { return .jit }
    if module.contains("/jitted-") || base.hasPrefix("bpf_prog_") { return .jit }
    // A DSO path with a kernel-half address is a kernel image under another name (a build-id
    // cache `elf`, `--symfs`), never user code.
    if let address, address >= 0xffff_8000_0000_0000 { return .kernel }
    return .user
  }

  @inline(__always) static func isHex(_ c: UInt8) -> Bool {
    (c &- 0x30) < 10 || ((c | 0x20) &- 0x61) < 6
  }

  @inline(__always) static func hexValue(_ c: UInt8) -> UInt8 {
    (c &- 0x30) < 10 ? c &- 0x30 : (c | 0x20) &- 0x61 &+ 10
  }
}
