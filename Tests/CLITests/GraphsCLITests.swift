import Foundation
import TestSupport
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// End to end: `tdptrace report --svg/--html` and `tdptrace diff` on committed fixtures.
@Suite struct GraphsCLITests {
  struct Run {
    var status: Int32
    var out: String
    var err: String
  }

  static let root = TDPFixture.root

  static let binary: String = {
    let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates = [
      bundleDir.appendingPathComponent("tdptrace").path,
      bundleDir.deletingLastPathComponent().appendingPathComponent("tdptrace").path,
      root.appendingPathComponent(".build/debug/tdptrace").path,
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
  }()

  static func run(_ args: [String]) throws -> Run {
    let id = UUID().uuidString
    let tmp = FileManager.default.temporaryDirectory
    let outURL = tmp.appendingPathComponent("tdptrace-graphs-out-\(id)")
    let errURL = tmp.appendingPathComponent("tdptrace-graphs-err-\(id)")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer {
      try? FileManager.default.removeItem(at: outURL)
      try? FileManager.default.removeItem(at: errURL)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = args
    process.currentDirectoryURL = root
    process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    try process.run()
    process.waitUntilExit()
    return Run(
      status: process.terminationStatus, out: try String(contentsOf: outURL, encoding: .utf8),
      err: try String(contentsOf: errURL, encoding: .utf8))
  }

  static func temp(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent(
      "tdptrace-graphs-\(UUID().uuidString)-\(name)"
    ).path
  }

  static func wellFormed(_ xml: String) -> Bool { XMLParser(data: Data(xml.utf8)).parse() }

  @Test func reportWritesSVGFromBpftraceSeedNotes() throws {
    let svg = Self.temp("seed.svg")
    let r = try Self.run(["report", "--svg", svg, "fixtures/seed/tdp_mmu-notes.txt"])
    #expect(r.status == 0, "\(r.err)")
    #expect(r.out.contains("tdptrace report"))  // the text report still goes to stdout
    let text = try String(contentsOfFile: svg, encoding: .utf8)
    #expect(Self.wellFormed(text))
    try TDPFixture.expectGolden(text, "fixtures/expected/graphs/cli-seed-notes.svg")
    #expect(text.contains("<title>all (1,065,373 samples, 100.00%)</title>"))
  }

  @Test func svgToStdoutWithAppearanceOptions() throws {
    let r = try Self.run([
      "report", "--svg", "-", "--title", "zap & map", "--width", "800", "--minwidth", "1%", "--inverted",
      "fixtures/graphs/seed.folded",
    ])
    #expect(r.status == 0, "\(r.err)")
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
    let r = try Self.run(["report", "--html", html, "--title", "seed", "fixtures/seed/tdp_mmu-notes.txt"])
    #expect(r.status == 0, "\(r.err)")
    let text = try String(contentsOfFile: html, encoding: .utf8)
    #expect(text.contains("<caption>init-sp: 2,246</caption>"))
    #expect(text.contains("<td>root load/reload</td><td class=\"n\">54</td><td class=\"n\">2.40%</td>"))
    #expect(text.contains("<svg version=\"1.1\" class=\"fg-root\""))
    #expect(text.contains("<a href=\"#fn-kvm_tdp_mmu_map\">kvm_tdp_mmu_map</a>"))
    #expect(!text.contains("http://") || text.contains("xmlns=\"http://www.w3.org/2000/svg\""))
  }

  @Test func hostileNamesThroughTheCLI() throws {
    let r = try Self.run([
      "report", "--svg", "-", "--input-format", "folded", "fixtures/hostile/hostile.folded",
    ])
    #expect(r.status == 0, "\(r.err)")
    #expect(Self.wellFormed(r.out))
    #expect(!r.out.contains("<script>alert"))
    #expect(!r.out.contains("<img"))
    let h = try Self.run([
      "report", "--html", "-", "--input-format", "folded", "fixtures/hostile/hostile.folded",
    ])
    #expect(h.status == 0, "\(h.err)")
    #expect(!h.out.contains("<script>alert"))
    #expect(!h.out.contains("<img"))
  }

  @Test func diffPrintsTableAndWritesSVG() throws {
    let svg = Self.temp("diff.svg")
    let r = try Self.run([
      "diff", "--top", "8", "--svg", svg, "fixtures/graphs/diff-before.folded",
      "fixtures/graphs/diff-after.folded",
    ])
    #expect(r.status == 0, "\(r.err)")
    try TDPFixture.expectGolden(r.out, "fixtures/expected/graphs/cli-diff-table.txt")
    let text = try String(contentsOfFile: svg, encoding: .utf8)
    #expect(Self.wellFormed(text))
    #expect(text.contains("Differential Flame Graph"))
    let n = try Self.run([
      "diff", "--normalize", "--svg", "-", "fixtures/graphs/diff-before.folded",
      "fixtures/graphs/diff-after.folded",
    ])
    #expect(n.status == 0)
    #expect(n.out.contains("before normalized to after&#39;s total"))
  }

  @Test func diffWritesHTML() throws {
    let html = Self.temp("diff.html")
    let args = ["fixtures/graphs/diff-before.folded", "fixtures/graphs/diff-after.folded"]
    let r = try Self.run(["diff", "--top", "8", "--html", html] + args)
    #expect(r.status == 0, "\(r.err)")
    // The table is still printed beside the page.
    try TDPFixture.expectGolden(r.out, "fixtures/expected/graphs/cli-diff-table.txt")
    let page = try String(contentsOfFile: html, encoding: .utf8)
    try TDPFixture.expectGolden(page, "fixtures/expected/graphs/diff.html")
    let stdout = try Self.run(["diff", "--top", "8", "--html", "-"] + args)
    #expect(stdout.status == 0)
    #expect(stdout.out == page.replacingOccurrences(of: html, with: "-"))
    let titled = try Self.run(
      ["diff", "--svg", "-", "--title", "<b>T</b>", "--subtitle", "kernel 6.1 & 6.12"] + args)
    #expect(titled.status == 0)
    #expect(titled.out.contains(">&lt;b&gt;T&lt;/b&gt;</text>"))
    #expect(titled.out.contains(">kernel 6.1 &amp; 6.12</text>"))
    let both = try Self.run(["diff", "--svg", "-", "--html", "-"] + args)
    #expect(both.status != 0)
    #expect(both.err.contains("Only one of --svg and --html"))
  }

  @Test func diffAcrossFormats() throws {
    // BEFORE as bpftrace text, AFTER as folded: both name the same stacks.
    let r = try Self.run(["diff", "fixtures/seed/tdp_mmu-notes.txt", "fixtures/graphs/seed.folded"])
    #expect(r.status == 0, "\(r.err)")
    #expect(r.out.contains("before: 1,065,373  after: 1,065,373"))
    #expect(r.out.contains("+0.00 pp"))
  }

  @Test func badGraphOptionsFailClearly() throws {
    let r = try Self.run(["report", "--svg", "-", "--minwidth", "wide", "fixtures/graphs/seed.folded"])
    #expect(r.status != 0)
    #expect(r.err.contains("--minwidth"))
    let w = try Self.run(["report", "--svg", "-", "--width", "5", "fixtures/graphs/seed.folded"])
    #expect(w.status != 0)
    #expect(w.err.contains("--width"))
    let d = try Self.run(["diff", "fixtures/graphs/seed.folded", "fixtures/graphs/missing.folded"])
    #expect(d.status != 0)
    #expect(d.err.contains("missing.folded"))
    let u = try Self.run(["report", "--svg", "/nonexistent-dir/x.svg", "fixtures/graphs/seed.folded"])
    #expect(u.status != 0)
    #expect(u.err.contains("cannot write /nonexistent-dir/x.svg"))
  }
}
