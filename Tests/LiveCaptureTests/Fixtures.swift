import Foundation
import TestSupport

/// Paths into the repository.
enum Fixtures {
  static let root = TDPFixture.root

  static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

  static func text(_ relative: String) throws -> String {
    try String(contentsOfFile: path(relative), encoding: .utf8)
  }

  /// Root with CAP_BPF etc.: the live tests need it; elsewhere they skip and say why.
  static var privileged: Bool { geteuid() == 0 }
}
