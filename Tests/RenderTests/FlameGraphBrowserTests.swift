import Foundation
import StackFold
import TestSupport
import Testing
import TraceParse

@testable import Render

/// Drives the flame graph and HTML report in headless Chromium through
/// `scripts/browser-test.py`: frames render, clicking zooms, Reset Zoom restores, search
/// highlights and reports the matched weight, hostile names stay text, and a screenshot is
/// taken. Skipped when chromium is missing, except under CI (`CI` set), where that fails.
@Suite(.serialized) struct FlameGraphBrowserTests {
  static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
    FileManager.default.isExecutableFile(atPath: $0)
  }
  static let inCI = ProcessInfo.processInfo.environment["CI"] != nil
  static let runnable = chromium != nil || inCI

  static func run(_ arguments: [String]) throws -> (Int32, String) {
    try TDPFixture.run(
      "/usr/bin/env", ["python3", GraphFixtures.path("scripts/browser-test.py")] + arguments)
  }

  static func tempDir(_ name: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tdptrace-browser-\(name)-\(ProcessInfo.processInfo.processIdentifier)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  @Test(.enabled(if: runnable, "chromium is not installed (apt-get install chromium); skipped outside CI"))
  func seedFlameGraphZoomsAndSearches() throws {
    let dir = try Self.tempDir("seed")
    let profile = try GraphFixtures.profile(file: "fixtures/graphs/seed.folded")
    let svg = dir.appendingPathComponent("seed.svg")
    try FlameGraphSVG().render(profile).write(to: svg)
    let icicle = dir.appendingPathComponent("seed-icicle.svg")
    try FlameGraphSVG(options: FlameGraphOptions(inverted: true)).render(profile).write(to: icicle)
    let (status, output) = try Self.run([
      "--out", dir.path, "--svg", svg.path, "--svg", icicle.path, "--search", "^__handle",
      "--zoom", "kvm_tdp_mmu_map", "--expect-matched", "1062662", "--min-frames", "15",
    ])
    #expect(status == 0, "\(output)")
  }

  @Test(.enabled(if: runnable, "chromium is not installed (apt-get install chromium); skipped outside CI"))
  func htmlReportRendersGraphAndLinks() throws {
    let dir = try Self.tempDir("html")
    let profile = try GraphFixtures.profile(file: "fixtures/graphs/seed.folded")
    let html = dir.appendingPathComponent("seed.html")
    try HTMLReport().render(profile).write(to: html)
    let (status, output) = try Self.run([
      "--out", dir.path, "--html", html.path, "--search", "tdp_mmu_init_sp", "--zoom", "kvm_tdp_mmu_map",
      "--expect-matched", "2192", "--min-frames", "15",
    ])
    #expect(status == 0, "\(output)")
  }

  @Test(.enabled(if: runnable, "chromium is not installed (apt-get install chromium); skipped outside CI"))
  func diffPageRendersGraphAndLinks() throws {
    let dir = try Self.tempDir("diff")
    let (before, after) = try DiffFlameGraphTests.pair()
    let html = dir.appendingPathComponent("diff.html")
    try Array(
      DiffHTMLReport(inputs: ["before", "after"]).document(ProfileDiff(before: before, after: after)).utf8
    )
    .write(to: html)
    let (status, output) = try Self.run([
      "--out", dir.path, "--html", html.path, "--search", "kvm_tdp_mmu_map", "--zoom", "kvm_vcpu_ioctl",
      "--expect-matched", "452680", "--min-tables", "2",
    ])
    #expect(status == 0, "\(output)")
  }

  @Test(.enabled(if: runnable, "chromium is not installed (apt-get install chromium); skipped outside CI"))
  func hostileNamesStayText() throws {
    let dir = try Self.tempDir("hostile")
    let profile = try GraphFixtures.profile(file: "fixtures/hostile/hostile.folded")
    let svg = dir.appendingPathComponent("hostile.svg")
    try FlameGraphSVG().render(profile).write(to: svg)
    let html = dir.appendingPathComponent("hostile.html")
    try HTMLReport().render(profile).write(to: html)
    let (status, output) = try Self.run([
      "--out", dir.path, "--svg", svg.path, "--html", html.path, "--search", "<script>", "--zoom",
      "entry_SYSCALL_64",
      "--expect-matched", "8",
      "--expect-name", "<script>alert(1)</script>",
      "--expect-name", "]]><x/>&amp",
      "--expect-name", "</svg><img src=x onerror=alert(2)>",
      "--expect-name", "\"quoted\" & 'single'",
      "--expect-name", "<T as core::fmt::Trait>::fmt",
    ])
    #expect(status == 0, "\(output)")
  }

  /// An interval capture's page: blocks 1–3 selected by mouse events on the chart lay the
  /// graph out for them (root and title show their total, which the fixture's text and
  /// `--from 1 --to 3` both give) and recompute the summary; "Whole capture" restores the
  /// profile's total. Every stack of host-cleared.txt fires in every block, so no frame goes.
  @Test(.enabled(if: runnable, "chromium is not installed (apt-get install chromium); skipped outside CI"))
  func intervalRangeSelectionRecomputesThePage() throws {
    let dir = try Self.tempDir("intervals")
    let (profile, html) = try IntervalHTMLTests.page(IntervalHTMLTests.cleared)
    let file = dir.appendingPathComponent("host-cleared.html")
    try Array(html.utf8).write(to: file)
    let blocks = try IntervalHTMLTests.textBlockTotals(IntervalHTMLTests.cleared)
    let range = blocks[1...3].reduce(0, +)
    let ranged = try IntervalRange(from: "1", to: "3").apply(to: profile, source: IntervalHTMLTests.cleared)
    #expect(ranged.totalWeight == range)
    #expect(range == 7440)
    let (status, output) = try Self.run([
      "--out", dir.path, "--html", file.path, "--search", "kvm_mmu_load", "--zoom", "kvm_mmu_load",
      "--min-frames", "15", "--range", "1:3", "--expect-range-total", String(range),
      "--expect-whole-total", String(profile.totalWeight), "--expect-shown", "kvm_mmu_load",
      "--expect-shown", "__kvm_mmu_prepare_zap_page",
    ])
    #expect(status == 0, "\(output)")

    // An icicle graph of `--from 1 --to 4`: chart positions 0–1 are blocks 1–2.
    let cut = try IntervalRange(from: "1", to: "4").apply(to: profile, source: IntervalHTMLTests.cleared)
    var request = ReportRequest(
      report: ReportOptions(inputs: [IntervalHTMLTests.cleared]), graph: FlameGraphOptions(inverted: true),
      html: "out.html")
    request.given = [.inverted]
    let icicle = dir.appendingPathComponent("host-cleared-icicle.html")
    try #require(try request.run(on: cut).outputs.first { $0.destination != .stdout }).bytes.write(to: icicle)
    let (icicleStatus, icicleOutput) = try Self.run([
      "--out", dir.path, "--html", icicle.path, "--search", "kvm_mmu_load", "--zoom", "kvm_mmu_load",
      "--min-frames", "15", "--range", "0:1", "--expect-range-total", String(blocks[1] + blocks[2]),
      "--expect-whole-total", String(blocks[1...4].reduce(0, +)),
    ])
    #expect(icicleStatus == 0, "\(icicleOutput)")
  }

  /// A hostile-named interval capture: no name runs as script or becomes an element, and the
  /// stack absent from block 1 (every frame of it) is hidden when block 1 alone is selected.
  @Test(.enabled(if: runnable, "chromium is not installed (apt-get install chromium); skipped outside CI"))
  func hostileIntervalPageRunsNoScript() throws {
    let dir = try Self.tempDir("hostile-intervals")
    let (profile, html) = try IntervalHTMLTests.page(IntervalHTMLTests.hostile)
    let file = dir.appendingPathComponent("hostile-intervals.html")
    try Array(html.utf8).write(to: file)
    let range = try IntervalHTMLTests.textBlockTotals(IntervalHTMLTests.hostile)[1]
    let (status, output) = try Self.run([
      "--out", dir.path, "--html", file.path, "--search", "<script>", "--zoom", "entry_SYSCALL_64",
      "--expect-matched", "12", "--min-frames", "6",
      "--expect-name", "<img src=x onerror=alert(2)>", "--expect-name", "]]><!--",
      "--expect-name", "\"quoted\" & 'single'",
      "--range", "1:1", "--expect-range-total", String(range),
      "--expect-whole-total", String(profile.totalWeight),
      "--expect-hidden", "<img src=x onerror=alert(2)>", "--expect-hidden", "]]><!--",
      "--expect-hidden", "entry_SYSCALL_64", "--expect-hidden", "kprobe:</script><script>alert(1)</script>",
      "--expect-shown", "kvm_tdp_mmu_map",
    ])
    #expect(status == 0, "\(output)")
  }
}

extension [UInt8] {
  func write(to url: URL) throws { try Data(self).write(to: url) }
}
