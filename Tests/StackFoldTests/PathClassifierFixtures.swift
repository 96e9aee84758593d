import Foundation
import TraceParse

/// Reads the `@[probe, kstack] = count()` and `@[kstack] = count()` bpftrace text fixtures into
/// a profile, for the TDP tests. A deliberately small reader so these tests do not depend on the
/// full bpftrace parser; it fails loudly on anything it does not expect.
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

  static func load(_ relative: String) throws -> Profile {
    let text = try String(contentsOf: url(relative), encoding: .utf8)
    var builder = ProfileBuilder()
    var frames: [Frame]? = nil
    var probe: String? = nil
    for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.hasPrefix("@[") {
        frames = []
        let rest = line.dropFirst(2).trimmingCharacters(in: .whitespaces)
        probe = rest.isEmpty ? nil : String(rest.dropLast(rest.hasSuffix(",") ? 1 : 0))
      } else if line.hasPrefix("]: "), var stack = frames {
        guard let count = UInt64(line.dropFirst(3)) else {
          throw BadFixture(description: "\(relative):\(number + 1): bad count")
        }
        stack.reverse()
        var labels = Labels([.init(Labels.Name.map, "@")])
        if let probe { labels[Labels.Name.probe] = probe }
        try builder.add(frames: stack, labels: labels, weight: count)
        frames = nil
      } else if frames != nil, !line.isEmpty {
        if let plus = line.lastIndex(of: "+"), let offset = UInt64(line[line.index(after: plus)...]) {
          frames!.append(Frame(symbol: String(line[..<plus]), offset: FrameOffset(offset, base: .decimal)))
        } else {
          frames!.append(Frame(symbol: line))
        }
      }
    }
    return builder.build()
  }
}
