import TraceParse

/// Names frames the way FlameGraph's `stackcollapse-perf.pl` does, so tdptrace's reading of a
/// `perf script` capture can be checked line for line against the perl collapser's output:
/// the comm (spaces turned to `_`) is the root frame, offsets are stripped, an `[unknown]`
/// symbol becomes `[<dso basename>]` when the DSO is known, `;` becomes `:`, anything from the
/// first `(` on is dropped unless the name looks like a Go method or holds
/// `(anonymous namespace)`, and quotes are removed. (The perl script weights by period; load
/// with `--weight period` to compare counts.)
public enum PerfCollapseNaming {
  /// The frame's name as `stackcollapse-perf.pl` prints it (without `--kernel`/`--jit`).
  public static func name(_ frame: Frame) -> String {
    var name = frame.symbol
    if name == "[unknown]", let module = frame.module, !module.isEmpty {
      let base =
        module.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? module
      name = "[" + base + "]"
    }
    name = String(name.map { $0 == ";" ? ":" : $0 })
    if !looksLikeGoMethod(name) { name = dropParenthesized(name) }
    name.removeAll { $0 == "\"" || $0 == "'" }
    return name
  }

  /// Folded lines (`comm;root;...;leaf weight`), sorted bytewise as perl's `sort` does.
  public static func foldedLines(_ profile: Profile) -> [String] {
    var sums: [String: UInt64] = [:]
    for sample in profile.samples {
      let comm = profile.labels(of: sample)[Labels.Name.comm] ?? ""
      var parts = [String(comm.map { $0 == " " ? "_" : $0 })]
      for id in sample.stack { parts.append(name(profile.frame(id))) }
      sums[parts.joined(separator: ";"), default: 0] &+= sample.weight
    }
    return sums.keys.sorted { $0.utf8Precedes($1) }.map { "\($0) \(sums[$0]!)" }
  }

  /// perl: `$func !~ m/\.\(.*\)\./` (`net/http.(*Client).Do`).
  private static func looksLikeGoMethod(_ name: String) -> Bool {
    let chars = Array(name.utf8)
    guard let open = firstIndex(of: Array(".(".utf8), in: chars, from: 0) else { return false }
    return firstIndex(of: Array(").".utf8), in: chars, from: open + 2) != nil
  }

  /// perl: `s/\((?!anonymous namespace\)).*//`.
  private static func dropParenthesized(_ name: String) -> String {
    let chars = Array(name.utf8)
    let anon = Array("(anonymous namespace)".utf8)
    var i = 0
    while i < chars.count {
      if chars[i] == UInt8(ascii: "(") && !chars[i...].starts(with: anon) {
        return String(decoding: chars[..<i], as: UTF8.self)
      }
      i += 1
    }
    return name
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
