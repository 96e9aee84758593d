import Foundation

/// Paths into the repository, found from this source file.
enum Fixtures {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

  static func text(_ relative: String) throws -> String {
    try String(contentsOfFile: path(relative), encoding: .utf8)
  }

  /// Compares with a golden file; TDPTRACE_UPDATE_GOLDEN=1 rewrites it instead.
  static func matchesGolden(_ text: String, _ relative: String) throws -> Bool {
    if ProcessInfo.processInfo.environment["TDPTRACE_UPDATE_GOLDEN"] == "1" {
      try text.write(toFile: path(relative), atomically: true, encoding: .utf8)
      return true
    }
    return text == (try Self.text(relative))
  }

  /// Root with CAP_BPF etc.: the live tests need it; elsewhere they skip and say why.
  static var privileged: Bool { geteuid() == 0 }
}
