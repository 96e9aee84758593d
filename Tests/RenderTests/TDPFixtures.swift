import Foundation
import TestSupport
import TraceParse

extension TDPFixture {
  /// Folded stacks (`a;b;c 12`, root first), as the graphs fixtures are written.
  static func loadFolded(_ relative: String) throws -> Profile {
    do { return try ProfileLoader(format: .folded).load(path: url(relative).path) } catch {
      throw BadFixture(description: "\(relative): \(error)")
    }
  }
}

extension TDPFixture {
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
