import Foundation
import TestSupport
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// End to end: `tdptrace report --svg/--html` and `tdptrace diff` on committed fixtures.
@Suite struct GraphsCLITests {
  static let root = TDPFixture.root

  static func temp(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent(
      "tdptrace-graphs-\(UUID().uuidString)-\(name)"
    ).path
  }

  static func wellFormed(_ xml: String) -> Bool { XMLParser(data: Data(xml.utf8)).parse() }

  @Test func reportWritesSVGFromBpftraceSeedNotes() throws {
    let svg = Self.temp("seed.svg")
    let r = try CLIHarness.run(["report", "--svg", svg, "fixtures/seed/tdp_mmu-notes.txt"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.out.contains("tdptrace report"))  // the text report still goes to stdout
    let text = try String(contentsOfFile: svg, encoding: .utf8)
    #expect(Self.wellFormed(text))
    try TDPFixture.expectGolden(text, "fixtures/seed/tdp_mmu-notes.txt.report.svg=-.golden")
    #expect(text.contains("<title>all (1,065,373 samples, 100.00%)</title>"))
  }

  @Test func svgToStdoutWithAppearanceOptions() throws {
    let r = try CLIHarness.run([
      "report", "--svg", "-", "--title", "zap & map", "--width", "800", "--minwidth", "1%", "--inverted",
      "fixtures/graphs/seed.folded",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.out.hasPrefix("<?xml"))
    #expect(!r.out.contains("tdptrace report"))
    #expect(r.out.contains(">zap &amp; map</text>"))
    #expect(r.out.contains("width=\"800\""))
    #expect(r.out.contains("&quot;inverted&quot;:true"))
    #expect(r.out.contains("not shown (2,246 samples, 0.21%)"))
    #expect(Self.wellFormed(r.out))
  }

  @Test func reportWritesHTMLWithTDPTableAndLinks() throws {
    let html = Self.temp("seed.html")
    let r = try CLIHarness.run([
      "report", "--html", html, "--title", "seed", "fixtures/seed/tdp_mmu-notes.txt",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let text = try String(contentsOfFile: html, encoding: .utf8)
    #expect(text.contains("<caption>init-sp: 2,246</caption>"))
    #expect(text.contains("<td>root load/reload</td><td class=\"n\">54</td><td class=\"n\">2.40%</td>"))
    #expect(text.contains("<svg version=\"1.1\" class=\"fg-root\""))
    #expect(text.contains("<a href=\"#fn-kvm_tdp_mmu_map\">kvm_tdp_mmu_map</a>"))
    #expect(!text.contains("http://") || text.contains("xmlns=\"http://www.w3.org/2000/svg\""))
  }

  @Test func hostileNamesThroughTheCLI() throws {
    let r = try CLIHarness.run([
      "report", "--svg", "-", "--input-format", "folded", "fixtures/hostile/hostile.folded",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(Self.wellFormed(r.out))
    #expect(!r.out.contains("<script>alert"))
    #expect(!r.out.contains("<img"))
    let h = try CLIHarness.run([
      "report", "--html", "-", "--input-format", "folded", "fixtures/hostile/hostile.folded",
    ])
    #expect(h.status == 0, "\(h.stderr)")
    #expect(!h.out.contains("<script>alert"))
    #expect(!h.out.contains("<img"))
  }

  @Test func diffPrintsTableAndWritesSVG() throws {
    let svg = Self.temp("diff.svg")
    let r = try CLIHarness.run([
      "diff", "--top", "8", "--svg", svg, "fixtures/graphs/diff-before.folded",
      "fixtures/graphs/diff-after.folded",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    try TDPFixture.expectGolden(r.out, "fixtures/graphs/diff-before.folded.diff.top=8.golden")
    let text = try String(contentsOfFile: svg, encoding: .utf8)
    #expect(Self.wellFormed(text))
    #expect(text.contains("Differential Flame Graph"))
    let n = try CLIHarness.run([
      "diff", "--normalize", "--svg", "-", "fixtures/graphs/diff-before.folded",
      "fixtures/graphs/diff-after.folded",
    ])
    #expect(n.status == 0)
    #expect(n.out.contains("before normalized to after&#39;s total"))
  }

  @Test func diffWritesHTML() throws {
    let html = Self.temp("diff.html")
    let args = ["fixtures/graphs/diff-before.folded", "fixtures/graphs/diff-after.folded"]
    let r = try CLIHarness.run(["diff", "--top", "8", "--html", html] + args)
    #expect(r.status == 0, "\(r.stderr)")
    // The table is still printed beside the page.
    try TDPFixture.expectGolden(r.out, "fixtures/graphs/diff-before.folded.diff.top=8.golden")
    let page = try String(contentsOfFile: html, encoding: .utf8)
    try TDPFixture.expectGolden(page, "fixtures/expected/graphs/diff.html")
    let stdout = try CLIHarness.run(["diff", "--top", "8", "--html", "-"] + args)
    #expect(stdout.status == 0)
    #expect(stdout.out == page.replacingOccurrences(of: html, with: "-"))
    let titled = try CLIHarness.run(
      ["diff", "--svg", "-", "--title", "<b>T</b>", "--subtitle", "kernel 6.1 & 6.12"] + args)
    #expect(titled.status == 0)
    #expect(titled.out.contains(">&lt;b&gt;T&lt;/b&gt;</text>"))
    #expect(titled.out.contains(">kernel 6.1 &amp; 6.12</text>"))
    let both = try CLIHarness.run(["diff", "--svg", "-", "--html", "-"] + args)
    #expect(both.status != 0)
    #expect(both.stderr.contains("--svg - and --html - both write to stdout"))
  }

  @Test func diffAcrossFormats() throws {
    // BEFORE as bpftrace text, AFTER as folded: both name the same stacks.
    let r = try CLIHarness.run(["diff", "fixtures/seed/tdp_mmu-notes.txt", "fixtures/graphs/seed.folded"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.out.contains("before: 1,065,373  after: 1,065,373"))
    #expect(r.out.contains("+0.00 pp"))
  }

  @Test func badGraphOptionsFailClearly() throws {
    let r = try CLIHarness.run(["report", "--svg", "-", "--minwidth", "wide", "fixtures/graphs/seed.folded"])
    #expect(r.status != 0)
    #expect(r.stderr.contains("--minwidth"))
    let w = try CLIHarness.run(["report", "--svg", "-", "--width", "5", "fixtures/graphs/seed.folded"])
    #expect(w.status != 0)
    #expect(w.stderr.contains("--width"))
    let d = try CLIHarness.run(["diff", "fixtures/graphs/seed.folded", "fixtures/graphs/missing.folded"])
    #expect(d.status != 0)
    #expect(d.stderr.contains("missing.folded"))
    let u = try CLIHarness.run(["report", "--svg", "/nonexistent-dir/x.svg", "fixtures/graphs/seed.folded"])
    #expect(u.status != 0)
    #expect(u.stderr.contains("cannot write /nonexistent-dir/x.svg"))
  }
}
