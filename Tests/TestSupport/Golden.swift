import Foundation
import Testing

/// Golden files: every test target compares with them, and rewrites them when
/// `updateGoldens` is set (then review the diff by hand).
extension TDPFixture {
  /// Whether golden files are to be rewritten instead of compared: any of `UPDATE_GOLDEN`,
  /// `UPDATE_GOLDENS` or `TDPTRACE_UPDATE_GOLDEN` set.
  public static var updateGoldens: Bool {
    let env = ProcessInfo.processInfo.environment
    return ["UPDATE_GOLDEN", "UPDATE_GOLDENS", "TDPTRACE_UPDATE_GOLDEN"].contains { env[$0] != nil }
  }

  /// Expects `actual` to equal the golden file at `relative` (under the package root). A
  /// difference is reported at its first differing line; a missing golden is reported too.
  public static func expectGolden(
    _ actual: String, _ relative: String, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    if updateGoldens {
      try rewrite(relative, Data(actual.utf8))
      return
    }
    guard let data = FileManager.default.contents(atPath: url(relative).path) else {
      Issue.record("missing golden \(relative); run with UPDATE_GOLDEN=1", sourceLocation: sourceLocation)
      return
    }
    let expected = String(decoding: data, as: UTF8.self)
    if actual != expected {
      let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
      let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
      let line = Array(zip(a, e)).firstIndex { $0.0 != $0.1 } ?? min(a.count, e.count)
      Issue.record(
        """
        output differs from \(relative) at line \(line + 1) (UPDATE_GOLDEN=1 to accept):
          expected: \(line < e.count ? String(e[line]) : "<end>")
          actual:   \(line < a.count ? String(a[line]) : "<end>")
        """, sourceLocation: sourceLocation)
    }
  }

  /// Whether the bytes `actual` equal the golden file at `relative` (binary outputs), after
  /// rewriting it when `updateGoldens` is set.
  public static func golden(_ relative: String, _ actual: [UInt8]) throws -> Bool {
    if updateGoldens { try rewrite(relative, Data(actual)) }
    return Array(try Data(contentsOf: url(relative))) == actual
  }

  private static func rewrite(_ relative: String, _ data: Data) throws {
    let target = url(relative)
    try FileManager.default.createDirectory(
      at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
    try data.write(to: target)
  }
}
