import Foundation
import Testing

/// The folded-input and flamegraph.pl-option behaviour end to end: fractional weights through
/// every output, detection errors, `--lenient` with detection, option files and conflicts.
@Suite struct FoldedFlameGraphCLITests {
  static func file(_ text: String, suffix: String = ".folded") throws -> String {
    try CLIHarness.temporaryFile(Array(text.utf8), suffix: suffix)
  }

  @Test func fractionalWeightsPrintExactlyEverywhere() throws {
    let path = try Self.file("# austin\na;b 31.23\na;c 6.\nd 31.0\na;b 0.01\n")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let fold = try CLIHarness.run(["fold", path])
    #expect(fold.status == 0)
    #expect(fold.out == "a;b 31.24\na;c 6.00\nd 31.00\n")
    let report = try CLIHarness.run(["report", path])
    #expect(report.out.contains("total: 68.24 (count)"))
    let json = try CLIHarness.run(["report", "--json", path])
    #expect(json.out.contains("\"totalWeight\": 68.24"))
    let svg = try CLIHarness.run(["report", "--svg", "-", path])
    #expect(svg.out.contains("<title>b (31.24 samples, 45.78%)</title>"))
  }

  @Test func fractionalWeightsPrintExactlyInTheTDPSummary() throws {
    let path = try Self.file(
      "kvm_mmu_page_fault;direct_page_fault;kvm_tdp_mmu_map 1.5\nkvm_mmu_page_fault;kvm_tdp_mmu_map;tdp_mmu_init_sp 2.25\n"
    )
    defer { try? FileManager.default.removeItem(atPath: path) }
    let text = try CLIHarness.run(["report", "--tdp", path])
    #expect(
      text.out.hasPrefix("TDP MMU summary: total 3.75 (count), 3.75 in TDP MMU groups, 0.00 elsewhere\n"))
    #expect(text.out.contains("  kvm_tdp_mmu_map: 1.50\n    1.50  100.00%  vCPU page fault\n"))
    let json = try CLIHarness.run(["report", "--tdp", "--json", path])
    #expect(json.out.contains("\"total\": 3.75"), "\(json.out)")
  }

  @Test func differentialInputDrawsADifferentialGraphAndFoldsBack() throws {
    let path = try Self.file("a;b 3 5\na;c 4 1\nd 2 2\n")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let svg = try CLIHarness.run(["report", "--svg", "-", path])
    #expect(svg.status == 0)
    #expect(svg.out.contains("Differential Flame Graph"))
    #expect(svg.out.contains("<title>b (5 samples, 62.50%; before 3,"))
    #expect(!svg.out.contains("<title>3"))
    let fold = try CLIHarness.run(["fold", path])
    #expect(fold.out == "a;b 3 5\na;c 4 1\nd 2 2\n")
    let negated = try CLIHarness.run(["report", "--svg", "-", "--negate", path])
    // b grew: red normally, blue with --negate.
    #expect(negated.out.contains("<title>b (5 samples") && negated.out.contains("rgb(0,0,255)"))
  }

  @Test func noFormatFitsSaysWhyForEachAndNamesTheFile() throws {
    let path = try Self.file("a;b 3\nnot a sample\nc 1\n", suffix: ".txt")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let run = try CLIHarness.run(["report", path])
    #expect(run.status == 1)
    #expect(run.stderr.contains("\(path):1:"))
    #expect(run.stderr.contains("folded: line 2: no count"))
    #expect(run.stderr.contains("perf script: line 1: no sample header"))
    // --lenient works with detection (most lines are folded): the bad line is one skipped record.
    let lenient = try CLIHarness.run(["report", "--lenient", path])
    #expect(lenient.status == 0)
    #expect(lenient.out.contains("skipped (--lenient): 1 records"))
  }

  @Test func flamegraphOptionsNeedAGraph() throws {
    let path = try Self.file("a;b 3\n")
    defer { try? FileManager.default.removeItem(atPath: path) }
    for flag in [["--colors", "hot"], ["--reverse"], ["--factor", "2"], ["--negate"]] {
      let run = try CLIHarness.run(["report"] + flag + [path])
      #expect(run.status != 0)
      #expect(run.stderr.contains("\(flag[0]) has no effect without --svg or --html"))
    }
    let bad = try CLIHarness.run(["report", "--svg", "-", "--colors", "rainbow", path])
    #expect(bad.status != 0)
  }

  @Test func nameattrSetsTitlesAndLinksEscapedAndRefusesRawMarkup() throws {
    let path = try Self.file("main;f<x> 3\nmain;g 1\n")
    let attrs = try Self.file(
      "f<x>\ttitle=the \"f\" function\thref=https://example.com/?a=1&b=2\n", suffix: ".attr")
    let raw = try Self.file("g\tg_extra=onload=\"alert(1)\"\n", suffix: ".attr")
    defer { for p in [path, attrs, raw] { try? FileManager.default.removeItem(atPath: p) } }
    let run = try CLIHarness.run(["report", "--svg", "-", "--nameattr", attrs, path])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(
      run.out.contains(
        "<title>the &quot;f&quot; function</title><a href=\"https://example.com/?a=1&amp;b=2\""))
    let refused = try CLIHarness.run(["report", "--svg", "-", "--nameattr", raw, path])
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("\(raw):1: attribute 'g_extra' is not supported"))
  }

  @Test func stripHexMatchesFunctionsAtOtherAddresses() throws {
    let before = try Self.file("main;[unknown] 0x7f3a01 5\n")
    let after = try Self.file("main;[unknown] 0x55aa02 7\n")
    defer { for p in [before, after] { try? FileManager.default.removeItem(atPath: p) } }
    let plain = try CLIHarness.run(["diff", "--top", "0", before, after])
    #expect(plain.out.contains("[new]"))
    let stripped = try CLIHarness.run(["diff", "--top", "0", "--strip-hex", before, after])
    #expect(stripped.status == 0)
    #expect(stripped.out.contains("[unknown] 0x..."))
    #expect(!stripped.out.contains("[new]"))
  }

  @Test func fontAndFrameOptionsReachTheSVG() throws {
    let path = try Self.file("a;b 3\n")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let run = try CLIHarness.run([
      "report", "--svg", "-", "--fonttype", "Courier", "--fontsize", "10", "--height", "20", "--countname",
      "ms",
      "--factor", "2", "--notes", "a -- b", "--bgcolors", "blue", path,
    ])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.out.contains("font-family: \"Courier\"; font-size: 10px;"))
    #expect(run.out.contains("height=\"19\""))
    #expect(run.out.contains("<title>b (6 ms, 100.00%)</title>"))
    #expect(run.out.contains("<!-- NOTES: a - - b -->"))
    #expect(run.out.contains("stop-color=\"#e0e0ff\""))
  }
}
