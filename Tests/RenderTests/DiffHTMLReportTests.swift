import Foundation
import StackFold
import TestSupport
import Testing
import TraceParse

@testable import Render

@Suite struct DiffHTMLReportTests {
  @Test func pageMatchesGolden() throws {
    let (before, after) = try DiffFlameGraphTests.pair()
    let diff = ProfileDiff(before: before, after: after)
    let html = DiffHTMLReport(
      table: DiffTable(limit: 8),
      inputs: ["fixtures/graphs/diff-before.folded", "fixtures/graphs/diff-after.folded"]
    ).document(diff)
    try TDPFixture.expectGolden(html, "fixtures/expected/graphs/diff.html")
    // The table holds the same rows as the text table, the graph is the differential one.
    for (_, cells) in DiffTable(limit: 8).rows(diff) {
      for cell in cells.dropLast() { #expect(html.contains("<td class=\"n\">\(Escaping.html(cell))</td>")) }
    }
    #expect(html.contains(DiffFlameGraph().document(diff, standalone: false)))
    #expect(html.contains("<td class=\"n\">1,065,373</td>") || html.contains("<td>1,065,373</td>"))
  }

  @Test func hostileNamesAreEscaped() throws {
    let after = try GraphFixtures.profile(file: "fixtures/hostile/hostile.folded")
    let before = try GraphFixtures.profile(file: "fixtures/graphs/seed.folded")
    let diff = ProfileDiff(before: before, after: after)
    let html = DiffHTMLReport(title: "<b>diff</b>", inputs: ["<i>before</i>", "after\"&"]).document(diff)
    #expect(!html.contains("<script>alert"))
    #expect(!html.contains("<img"))
    #expect(!html.contains("<b>diff"))
    #expect(!html.contains("<i>before"))
    #expect(html.contains("after&quot;&amp;"))
    // Only the page's two scripts: the flame graph's and the link handler.
    #expect(html.components(separatedBy: "<script").count - 1 == 2)
    #expect(html.components(separatedBy: "</script>").count - 1 == 2)
    for match in html.matches(of: /href="#([^"]+)"/) {
      #expect(html.contains("id=\"\(match.1)\""), "dangling link #\(match.1)")
    }
  }
}
