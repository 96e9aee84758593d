import Foundation
import StackFold
import Testing
import TraceParse

@testable import Render

/// Bidi controls in frame names (U+202E and the other overrides, embeddings, isolates and marks)
/// would reorder what a report shows, so `evil\u{202E}cba` displayed as `evilabc`. Every output
/// shows them as escapes; JSON escapes them as `\uXXXX` and stays valid.
@Suite struct BidiEscapingTests {
  static let controls: [Unicode.Scalar] = [
    "\u{202E}", "\u{202A}", "\u{202B}", "\u{202C}", "\u{202D}", "\u{2066}", "\u{2067}", "\u{2068}",
    "\u{2069}",
    "\u{200E}", "\u{200F}", "\u{061C}",
  ]
  static let names = controls.map { "f\(String($0))gnp" }

  static func profile() throws -> Profile {
    var builder = ProfileBuilder()
    for (i, name) in names.enumerated() {
      try builder.add(
        frames: [Frame(symbol: "root"), Frame(symbol: name)], labels: Labels(), weight: UInt64(i + 1))
    }
    return builder.build()
  }

  static func expectNoRawControl(_ text: String, _ what: String) {
    #expect(!text.unicodeScalars.contains(where: Escaping.isBidiControl), "\(what)")
  }

  @Test func escapingRules() {
    #expect(Escaping.xml("a\u{202E}b") == "a\\u{202e}b")
    #expect(Escaping.json("a\u{202E}b\u{61C}") == "\"a\\u202eb\\u061c\"")
    #expect(TextReport.safe("a\u{2066}b\u{1}") == "a\\u{2066}b\\x01")
    // Neighbours that are not controls stay as they are.
    #expect(Escaping.xml("a\u{2010}b\u{2070}c\u{202F}") == "a\u{2010}b\u{2070}c\u{202F}")
  }

  @Test func everyRendererShowsThemEscaped() throws {
    let profile = try Self.profile()
    let options = ReportOptions(treeMinPercent: 0)
    let text = String(decoding: try TextReport(options: options).render(profile), as: UTF8.self)
    Self.expectNoRawControl(text, "text")
    #expect(text.contains("f\\u{202e}gnp"))
    let svg = FlameGraphSVG().document(profile, standalone: true)
    Self.expectNoRawControl(svg, "svg")
    #expect(svg.contains("f\\u{202e}gnp"))
    let html = try HTMLReport(report: options).document(profile)
    Self.expectNoRawControl(html, "html")
    let diff = ProfileDiff(before: profile, after: profile)
    Self.expectNoRawControl(DiffTable().render(diff), "diff table")
    Self.expectNoRawControl(DiffFlameGraph().document(diff, standalone: true), "diff svg")
    Self.expectNoRawControl(DiffHTMLReport().document(diff), "diff html")
    let speedscope = String(decoding: try SpeedscopeExport().render(profile), as: UTF8.self)
    Self.expectNoRawControl(speedscope, "speedscope")
    _ = try JSONSerialization.jsonObject(with: Data(speedscope.utf8))
  }

  /// JSON keeps the exact name for a reader, escaped in the file.
  @Test func jsonRoundTrips() throws {
    let json = try JSONReport(options: ReportOptions(treeMinPercent: 0)).render(try Self.profile())
    Self.expectNoRawControl(String(decoding: json, as: UTF8.self), "json")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
    let top = try #require(object["topByTotal"] as? [[String: Any]])
    #expect(Set(top.compactMap { $0["function"] as? String }).isSuperset(of: Set(Self.names)))
  }
}
