import Foundation
import TraceParse

/// Fixture access for the TDP and export tests: paths under the package root, loaded with the
/// real parsers.
enum TDPFixture {
  static let root: URL = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
      url.deleteLastPathComponent()
      if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
        return url
      }
    }
    fatalError("no Package.swift above \(#filePath)")
  }()

  static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

  struct BadFixture: Error, CustomStringConvertible {
    var description: String
  }

  /// Loads a fixture with tdptrace's own parsers (format detected as the CLI does).
  static func load(_ relative: String) throws -> Profile {
    do { return try ProfileLoader().load(path: url(relative).path) } catch {
      throw BadFixture(description: "\(relative): \(error)")
    }
  }

}
