import Foundation
import TestSupport
import Testing
import TraceParse

/// Helpers for the graph tests: fixture paths, a tiny folded reader (so these tests do not
/// depend on the folded parser's branch); goldens go through `TDPFixture.expectGolden`.
enum GraphFixtures {
  static let root = TDPFixture.root

  static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

  static func text(_ relative: String) throws -> String {
    try String(contentsOfFile: path(relative), encoding: .utf8)
  }

  /// Folded lines (`a;b;c 12`, root first) into a profile, frames of unknown kind.
  static func profile(folded: String) throws -> Profile {
    var builder = ProfileBuilder()
    for line in folded.split(separator: "\n") where !line.isEmpty {
      let space = try #require(line.lastIndex(of: " "))
      let weight = try #require(UInt64(line[line.index(after: space)...]))
      let frames = line[..<space].split(separator: ";", omittingEmptySubsequences: false).map {
        Frame(symbol: String($0))
      }
      try builder.add(frames: frames, labels: Labels([.init("map", "@")]), weight: weight)
    }
    return builder.build()
  }

  static func profile(file relative: String) throws -> Profile {
    try profile(folded: text(relative))
  }
}
