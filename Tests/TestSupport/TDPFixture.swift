import Foundation
import TraceParse

/// Fixture access shared by the test targets: paths under the package root, loaded with the
/// real parsers.
public enum TDPFixture {
  public static let root: URL = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
      url.deleteLastPathComponent()
      if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
        return url
      }
    }
    fatalError("no Package.swift above \(#filePath)")
  }()

  public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

  /// The committed guest captures, one folder per kernel generation (`fixtures/qemu-tdp` for
  /// 6.1, `fixtures/qemu-tdp-6.12`, ...), as paths relative to the root: the folders
  /// `scripts/vm/update-fixtures.sh` wrote (they hold its CAPTURED file).
  public static let guestCaptureFolders: [String] = {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: url("fixtures").path)) ?? []
    return names.filter { $0.hasPrefix("qemu-tdp") }.sorted().map { "fixtures/" + $0 }
      .filter { FileManager.default.fileExists(atPath: url($0 + "/CAPTURED").path) }
  }()

  public struct BadFixture: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
  }

  /// Loads a fixture with tdptrace's own parsers (format detected as the CLI does).
  public static func load(_ relative: String) throws -> Profile {
    do { return try ProfileLoader().load(path: url(relative).path) } catch {
      throw BadFixture(description: "\(relative): \(error)")
    }
  }

}
