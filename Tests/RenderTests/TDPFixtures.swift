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

  /// Folded stacks (`a;b;c 12`, root first), as the graphs fixtures are written.
  static func loadFolded(_ relative: String) throws -> Profile {
    let text = try String(contentsOf: url(relative), encoding: .utf8)
    var builder = ProfileBuilder()
    for line in text.split(separator: "\n") where !line.isEmpty {
      guard let space = line.lastIndex(of: " "), let count = UInt64(line[line.index(after: space)...]) else {
        throw BadFixture(description: "\(relative): bad folded line \(line)")
      }
      let frames = line[..<space].split(separator: ";").map { Frame(symbol: String($0)) }
      try builder.add(frames: frames, labels: Labels(), weight: count)
    }
    return builder.build()
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

extension TDPFixture {
  /// Compares `actual` with the golden file at `relative` (under the package root); with
  /// TDPTRACE_UPDATE_GOLDEN set, rewrites the golden first (then review the diff by hand).
  static func golden(_ relative: String, _ actual: [UInt8]) throws -> Bool {
    let golden = url(relative)
    if ProcessInfo.processInfo.environment["TDPTRACE_UPDATE_GOLDEN"] != nil {
      try FileManager.default.createDirectory(
        at: golden.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(actual).write(to: golden)
    }
    return Array(try Data(contentsOf: golden)) == actual
  }

  /// A profile whose names try to break out of SVG, HTML and JSON: tags, quotes, ampersands,
  /// C++ and Rust templates, a line separator, a control character.
  static func hostile() throws -> Profile {
    var builder = ProfileBuilder()
    let names = [
      "<script>alert(1)</script>", "\"quoted\" & 'single'", "std::vector<std::pair<int, char>>::push_back",
      "<alloc::vec::Vec<T> as core::ops::Drop>::drop", "a\u{2028}b\u{2029}c", "tab\there\u{7}bell", "]]><!--",
      "</script><img src=x onerror=alert(2)>",
    ]
    let frames = names.map { Frame(symbol: $0, module: "m<&>\"", kind: .kernel) }
    try builder.add(
      frames: frames, labels: Labels([.init("probe", "kprobe:<b>\"x\"&y"), .init("comm", "</script>")]),
      weight: 7)
    try builder.add(
      frames: Array(frames.prefix(3)), labels: Labels([.init("probe", "kprobe:<b>\"x\"&y")]), weight: 5)
    return builder.build()
  }
}
