import TraceParse

/// Names perf frames the way FlameGraph's `stackcollapse-perf.pl` does, so that `tdptrace fold`
/// of `perf script` output is byte for byte what the perl collapser writes
/// (`Tests/CLITests/FlameGraphConformanceTests.swift` runs FlameGraph's own test inputs):
///
/// - an `[unknown]` symbol becomes `[<dso basename>]` when the DSO is known, else `[unknown]`;
///   with `addresses` the address goes inside: `[libc.so.6 <7f3a1c>]` (perl `--addrs`);
/// - `;` becomes `:`; anything from the first `(` on is dropped unless the name looks like a
///   Go method (`net/http.(*Client).Do`) or the `(` opens `(anonymous namespace)`; quotes go;
/// - under a `java*` comm, a leading `L` of a name with a `/` goes (`Ljava/lang/Thread;::run`);
/// - a perf-map-agent chain `A->B->C` (inlined callees, outermost first) becomes three frames,
///   the inner ones always marked `_[i]`, as perl marks them whatever its options;
/// - a symbol that starts with `(` is not a frame (perl skips it) and gives no name.
///
/// Annotations follow perl's rules, which read the DSO text rather than tdptrace's `FrameKind`:
/// `_[k]` for a DSO starting with `[` or ending in `vmlinux` (not `[unknown]`, so `[vdso]` too),
/// `_[j]` for `/tmp/perf-<pid>.map`.
public enum PerfCollapseNaming {
  /// The folded frames `frame` becomes, root first: one name, one per element of an `A->B`
  /// chain, or none for a frame perl skips.
  /// - Parameter java: the sample's comm starts with `java` (perl's `$pname =~ m/^java/`).
  public static func names(
    _ frame: Frame, java: Bool, annotations: FrameAnnotations = [], addresses: Bool = false
  ) -> [String] {
    var raw = frame.symbol
    // perf prints no symbol as `addr  (dso)`; tdptrace names that frame by its address, perl
    // reads the one space between them as the symbol.
    if let address = frame.address, raw.hasPrefix("0x"), raw == "0x" + String(address, radix: 16) {
      raw = " "
    }
    if raw.utf8.first == UInt8(ascii: "(") { return [] }
    let elements = raw.utf8.contains(UInt8(ascii: "-")) ? split(raw, on: "->") : [raw]
    var out: [String] = []
    out.reserveCapacity(elements.count)
    for (position, element) in elements.enumerated() {
      var name = element
      if name == "[unknown]" {
        var known = "unknown"
        if let module = frame.module, module != "[unknown]" {
          known =
            module.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? module
        }
        name = addresses ? "[\(known) <\(frame.address.map { String($0, radix: 16) } ?? "?")>]" : "[\(known)]"
      }
      name = tidy(name)
      if java && name.utf8.first == UInt8(ascii: "L") && name.utf8.contains(UInt8(ascii: "/")) {
        name.removeFirst()
      }
      if position > 0 {
        if !name.contains("_[i]") { name += "_[i]" }
      } else if frame.kind == .inlined && annotations.contains(.inline) {
        name += "_[i]"
      } else if annotations.contains(.kernel), let module = frame.module, isKernel(module) {
        name += "_[k]"
      } else if annotations.contains(.jit), let module = frame.module, isPerfMap(module) {
        if !name.contains("_[j]") { name += "_[j]" }
      }
      out.append(name)
    }
    return out
  }

  /// perl's `$tidy_generic`: `;` to `:`, the parenthesized tail dropped, quotes removed.
  static func tidy(_ name: String) -> String {
    var bytes = Array(name.utf8)
    for i in bytes.indices where bytes[i] == UInt8(ascii: ";") { bytes[i] = UInt8(ascii: ":") }
    if !looksLikeGoMethod(bytes) { dropParenthesized(&bytes) }
    bytes.removeAll { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// perl: `$mod =~ m/(^\[|vmlinux$)/ && $mod !~ /unknown/`.
  static func isKernel(_ module: String) -> Bool {
    (module.hasPrefix("[") || module.hasSuffix("vmlinux")) && !module.contains("unknown")
  }

  /// perl: `$mod =~ m:/tmp/perf-\d+\.map:`.
  static func isPerfMap(_ module: String) -> Bool {
    let bytes = Array(module.utf8)
    let prefix = Array("/tmp/perf-".utf8)
    var from = 0
    while let start = firstIndex(of: prefix, in: bytes, from: from) {
      var k = start + prefix.count
      let digits = k
      while k < bytes.count && bytes[k] &- 0x30 < 10 { k += 1 }
      if k > digits && bytes[k...].starts(with: Array(".map".utf8)) { return true }
      from = start + 1
    }
    return false
  }

  /// perl: `$func =~ m/\.\(.*\)\./` (`net/http.(*Client).Do`).
  private static func looksLikeGoMethod(_ chars: [UInt8]) -> Bool {
    guard let open = firstIndex(of: Array(".(".utf8), in: chars, from: 0) else { return false }
    return firstIndex(of: Array(").".utf8), in: chars, from: open + 2) != nil
  }

  /// perl: `s/\((?!anonymous namespace\)).*//`.
  private static func dropParenthesized(_ chars: inout [UInt8]) {
    let anon = Array("(anonymous namespace)".utf8)
    for i in chars.indices where chars[i] == UInt8(ascii: "(") && !chars[i...].starts(with: anon) {
      chars.removeSubrange(i...)
      return
    }
  }

  /// perl's `split /\->/`: empty trailing fields are dropped (all of them when every field is
  /// empty), leading ones kept.
  private static func split(_ text: String, on separator: String) -> [String] {
    let bytes = Array(text.utf8)
    let sep = Array(separator.utf8)
    var parts: [String] = []
    var start = 0
    while let at = firstIndex(of: sep, in: bytes, from: start) {
      parts.append(String(decoding: bytes[start..<at], as: UTF8.self))
      start = at + sep.count
    }
    parts.append(String(decoding: bytes[start...], as: UTF8.self))
    while parts.last?.isEmpty == true { parts.removeLast() }
    return parts
  }

  private static func firstIndex(of needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
    guard needle.count <= hay.count else { return nil }
    var i = from
    while i + needle.count <= hay.count {
      if hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
      i += 1
    }
    return nil
  }
}
