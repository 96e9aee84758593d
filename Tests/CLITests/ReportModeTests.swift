import Foundation
import TestSupport
import Testing

/// Every pair of report modes either works together or fails with one message naming both,
/// before any input is read; nothing asked for is dropped silently.
@Suite struct ReportModeTests {
  static let input = "fixtures/seed/tdp_mmu-notes.txt"

  @Test(arguments: [
    (["--tdp", "--callers", "tdp_mmu_init_sp"], "--callers has no effect with --tdp"),
    (["--tdp", "--callees", "kvm_*"], "--callees has no effect with --tdp"),
    (["--tdp", "--top", "5"], "--top has no effect with --tdp"),
    (["--tdp", "--svg", "-"], "--svg - and --tdp all write to stdout"),
    (["--json", "--svg", "-"], "--svg - and --json all write to stdout"),
    (["--tdp", "--html", "-"], "--html - and --tdp all write to stdout"),
    (["--svg", "-", "--html", "-"], "--svg - and --html - all write to stdout"),
    (["--svg", "-", "--callers", "x"], "--callers has no effect when --svg - writes the page to stdout"),
    (["--title", "t"], "--title has no effect without --svg or --html"),
    (["--width", "900"], "--width has no effect without --svg or --html"),
    (["--preset", "shadow-mmu"], "--preset has no effect without --svg or --html"),
    (["--pprof", "-"], "--pprof needs a file name"),
    (["--latency", "--callers", "x"], "--callers has no effect with --latency"),
    (["--latency", "--tdp"], "--tdp and --latency all write to stdout"),
    (["--slowest", "3"], "--slowest has no effect without --svg or --html"),
    (["--weight", "time"], "--weight time has no effect without --svg or --html"),
  ])
  func conflictsFailWithOneMessage(flags: [String], message: String) throws {
    let r = try CLIHarness.run(["report"] + flags + [Self.input])
    #expect(r.status == 64 || r.status == 1, "\(r.status)")
    #expect(r.stdout.isEmpty)
    #expect(r.stderr.contains(message), "\(r.stderr)")
  }

  @Test func diffLatencyRefusesGraphs() throws {
    let r = try CLIHarness.run(["diff", "--latency", "--svg", "-", Self.input, Self.input])
    #expect(r.status != 0)
    #expect(r.stderr.contains("--svg has no effect with --latency"), "\(r.stderr)")
  }

  @Test func diffRefusesGraphFlagsWithoutAGraph() throws {
    let r = try CLIHarness.run(["diff", "--title", "t", Self.input, Self.input])
    #expect(r.status != 0)
    #expect(r.stdout.isEmpty)
    #expect(r.stderr.contains("--title has no effect without --svg or --html"), "\(r.stderr)")
  }

  @Test(arguments: [
    ["--tdp", "--json"], ["--tdp", "--preset", "shadow-mmu"], ["--callers", "tdp_mmu_init_sp", "--json"],
    ["--svg", "-", "--title", "t"], ["--top", "3"], ["--latency", "--json", "--slowest", "2"],
    ["--weight", "time", "--svg", "-"],
  ])
  func compatibleModesRun(flags: [String]) throws {
    let r = try CLIHarness.run(["report"] + flags + [Self.input])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(!r.stdout.isEmpty)
  }

  /// `--tdp` with a file output: the summary on stdout and the page on disk, from one summary.
  @Test func tdpSummaryBesideTheHTMLFile() throws {
    let html = NSTemporaryDirectory() + "tdptrace-mode-\(UUID().uuidString).html"
    defer { try? FileManager.default.removeItem(atPath: html) }
    let r = try CLIHarness.run(["report", "--tdp", "--html", html, "--top", "3", Self.input])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.out.hasPrefix("TDP MMU summary"))
    #expect(try String(contentsOfFile: html, encoding: .utf8).contains("TDP MMU paths"))
  }

  /// Every file output of report and diff, pointed at /dev/null, writes through it: the device
  /// stays a device.
  @Test(arguments: [
    ["report", "--svg", "/dev/null"], ["report", "--html", "/dev/null"], ["report", "--pprof", "/dev/null"],
    ["report", "--speedscope", "/dev/null"], ["diff", "--svg", "/dev/null", Self.input],
    ["diff", "--html", "/dev/null", Self.input],
  ])
  func devNullStaysADevice(args: [String]) throws {
    let r = try CLIHarness.run(args + [Self.input])
    #expect(r.status == 0, "\(r.stderr)")
    var st = stat()
    #expect(stat("/dev/null", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR, "/dev/null was replaced")
  }

  /// `tdptrace fold big | head -c 100`: the closed pipe ends tdptrace quietly, status 0.
  @Test func closedPipeEndsQuietly() throws {
    var lines = ""
    for i in 0..<40_000 { lines += "root;function_number_\(i);leaf \(i + 1)\n" }
    let input = try CLIHarness.temporaryFile(Array(lines.utf8), suffix: ".folded")
    defer { try? FileManager.default.removeItem(atPath: input) }
    let script =
      "set -o pipefail; '\(CLIHarness.binary.path)' fold '\(input)' 2>\"$0.err\" | head -c 100 >/dev/null; echo \"${PIPESTATUS[0]}\"; cat \"$0.err\""
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-c", script, input]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    process.waitUntilExit()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    try? FileManager.default.removeItem(atPath: input + ".err")
    #expect(text == "0\n", "status and stderr of tdptrace: \(text)")
  }
}
