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
}

extension [UInt8] {
  func write(to url: URL) throws { try Data(self).write(to: url) }
}
