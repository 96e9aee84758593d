import Foundation
import StackFold
import TestSupport
import Testing
import TraceParse

@testable import Render

@Suite struct HTMLReportTests {
  @Test func seedReportMatchesGolden() throws {
    let profile = try GraphFixtures.profile(file: "fixtures/graphs/seed.folded")
    let html = try HTMLReport(report: ReportOptions(inputs: ["seed.folded"])).document(profile)
    try TDPFixture.expectGolden(html, "fixtures/expected/graphs/seed.html")
    #expect(html.contains("<a href=\"#fn-tdp_mmu_init_sp\">tdp_mmu_init_sp</a>"))
    #expect(html.contains("<div class=\"fn\" id=\"fn-tdp_mmu_init_sp\">"))
    // Every link target exists.
    for match in html.matches(of: /href="#([^"]+)"/) {
      #expect(html.contains("id=\"\(match.1)\""), "dangling link #\(match.1)")
    }
  }

  @Test func callersOfInitSPAreTheSeedNumbers() throws {
    let profile = try GraphFixtures.profile(file: "fixtures/graphs/seed.folded")
    let html = try HTMLReport().document(profile)
    let section = try #require(
      html.split(separator: "<div class=\"fn\"").first { $0.hasPrefix(" id=\"fn-tdp_mmu_init_sp\"") })
    #expect(
      section.contains(
        "<td class=\"n\">2,192</td><td class=\"n\">97.60%</td><td><a href=\"#fn-kvm_tdp_mmu_map\">kvm_tdp_mmu_map</a></td>"
      ))
    #expect(section.contains("<td class=\"n\">54</td><td class=\"n\">2.40%</td>"))
  }

  @Test func hostileNamesAreEscaped() throws {
    let profile = try GraphFixtures.profile(file: "fixtures/hostile/hostile.folded")
    let html = try HTMLReport(title: "<b>report</b>").document(profile)
    try TDPFixture.expectGolden(html, "fixtures/expected/graphs/hostile.html")
    #expect(!html.contains("<script>alert"))
    #expect(!html.contains("<img"))
    #expect(!html.contains("<b>report"))
    #expect(html.components(separatedBy: "<script").count - 1 == 2)
    #expect(html.components(separatedBy: "</script>").count - 1 == 2)
    for match in html.matches(of: /href="#([^"]+)"/) {
      #expect(html.contains("id=\"\(match.1)\""), "dangling link #\(match.1)")
    }
  }

  @Test func tdpTablesAreShownWhenGiven() throws {
    let profile = try GraphFixtures.profile(file: "fixtures/graphs/seed.folded")
    let table = HTMLReport.Table(
      title: "map", columns: ["path", "count"],
      rows: [
        [.init("vCPU page fault"), .init("2,657", numeric: true)], [.init("kvm_tdp_mmu_map", function: true)],
      ])
    let html = try HTMLReport(tdpTables: [table]).document(profile)
    #expect(html.contains("<caption>map</caption>"))
    #expect(html.contains("<td class=\"n\">2,657</td>"))
    #expect(html.contains("<td><a href=\"#fn-kvm_tdp_mmu_map\">kvm_tdp_mmu_map</a></td>"))
    #expect(!html.contains("No TDP MMU summary"))
  }
}
