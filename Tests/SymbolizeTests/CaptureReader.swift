import Foundation
import TraceParse

/// A tiny reader for the `@[probe, kstack] = count()` capture in `fixtures/debuginfo/`, so these
/// tests do not depend on the bpftrace parser. Frames are built the way that parser builds
/// them: bare `func+off` in decimal, kind unknown, stacks root first.
enum CaptureReader {
  static func read(_ path: String) throws -> Profile {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var builder = ProfileBuilder()
    var probe: String?
    var leafFirst: [Frame] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("@[") {
        probe = line.dropFirst(2).split(separator: ",").first.map(String.init)
        leafFirst = []
      } else if probe != nil, line.hasPrefix("]: "), let count = UInt64(line.dropFirst(3)) {
        try builder.add(
          frames: leafFirst.reversed(), labels: Labels([.init("map", "@"), .init("probe", probe!)]),
          weight: count)
        probe = nil
      } else if probe != nil {
        let text = line.trimmingCharacters(in: .whitespaces)
        guard let plus = text.lastIndex(of: "+"), let offset = UInt64(text[text.index(after: plus)...]) else {
          continue
        }
        leafFirst.append(Frame(symbol: String(text[..<plus]), offset: FrameOffset(offset, base: .decimal)))
      }
    }
    return builder.build()
  }
}
