import Foundation
import TestSupport
import Testing

/// End-to-end tests of `tdptrace fold` and `tdptrace report` on the real fixtures.
@Suite struct FoldReportCLITests {
  /// The fixtures that GoldenCLITests folds and reports, end to end here.
  static let foldFixtures = GoldenCLITests.foldInputs
  static let reportFixtures = GoldenCLITests.reportInputs

  static func foldedSum(_ text: String) -> UInt64 {
    text.split(separator: "\n").reduce(0) { $0 + UInt64($1[$1.index(after: $1.lastIndex(of: " ")!)...])! }
  }

  /// Folding the fold output again, through the folded parser, gives the same bytes.
  @Test(arguments: foldFixtures)
  func foldIsIdempotent(fixture: String) throws {
    // `--raw-names`: perl's tidying of perf names can leave a trailing space, which the
    // folded parser does not keep (PerfCLITests.foldedOutputFoldsBackToTheSameBytes).
    for flags in [["--raw-names"], ["--raw-names", "--keep-offsets", "--annotate", "all"]] {
      let first = try CLIHarness.run(["fold"] + flags + ["fixtures/" + fixture])
      let again = try CLIHarness.run(
        ["fold", "--input-format", "folded"] + flags + ["-"], stdin: first.stdout)
      #expect(again.status == 0, "\(again.stderr)")
      #expect(again.out == first.out, "\(flags)")
    }
  }

  /// The JSON report of every fixture is JSON (its bytes are GoldenCLITests' business).
  @Test(arguments: reportFixtures)
  func reportJSONParses(fixture: String) throws {
    let json = try CLIHarness.run(["report", "--json", "fixtures/" + fixture])
    #expect(json.status == 0, "\(json.stderr)")
    #expect(try JSONSerialization.jsonObject(with: Data(json.stdout)) is [String: Any])
  }

  /// Sum in = sum out: the folded total equals the report's total, for every fixture.
  @Test(arguments: foldFixtures)
  func foldAndReportAgreeOnTotals(fixture: String) throws {
    let fold = try CLIHarness.run(["fold", "fixtures/" + fixture])
    // fold weighs perf samples by period by default; report counts them unless asked.
    let json = try CLIHarness.run(["report", "--json", "--weight", "period", "fixtures/" + fixture])
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any])
    let total = try #require(object["totalWeight"] as? NSNumber).uint64Value
    #expect(Self.foldedSum(fold.out) == total)
  }

  @Test func seedTotalsAreTheNotesCounts() throws {
    let fold = try CLIHarness.run(["fold", "fixtures/seed/tdp_mmu-notes.txt"])
    #expect(Self.foldedSum(fold.out) == 465 + 54 + 2192 + 447750 + 614912)
  }

  @Test func seedCallersOfInitSp() throws {
    let result = try CLIHarness.run([
      "report", "--callers", "tdp_mmu_init_sp", "fixtures/seed/tdp_mmu-notes.txt",
    ])
    #expect(result.status == 0)
    #expect(result.out.contains("tdp_mmu_init_sp: total 2246 (0.21% of all), self 2246\n"))
    #expect(result.out.contains("     2192   97.60%  kvm_tdp_mmu_map\n"))
    #expect(result.out.contains("       54    2.40%  kvm_tdp_mmu_get_vcpu_root_hpa\n"))
  }

  @Test func filtersAreReported() throws {
    let seed = "fixtures/seed/tdp_mmu-notes.txt"
    let fold = try CLIHarness.run(["fold", "--focus", "tdp_mmu_init_sp", seed])
    #expect(fold.status == 0)
    #expect(Self.foldedSum(fold.out) == 2246)
    #expect(fold.stderr.contains("--focus tdp_mmu_init_sp filtered out 3 stacks (weight 1063127)"))
    let report = try CLIHarness.run(["report", "--ignore", "kvm_tdp_mmu_*", "--min-count", "1000", seed])
    #expect(report.out.contains("filtered out by --ignore kvm_tdp_mmu_*: 4 stacks, weight 450461\n"))
    #expect(report.out.contains("filtered out by --min-count 1000: 0 stacks, weight 0\n"))
    #expect(report.out.contains("total: 614912 (count) in 1 unique stacks\n"))
  }

  @Test func probeSelectorAndSourceRoots() throws {
    let file = "fixtures/bpftrace/bpftrace-kvm-mmu-tracepoints-kstack.txt"
    let all = try CLIHarness.run(["fold", file])
    let roots = Set(
      all.out.split(separator: "\n").map { $0.split(separator: ";").first.map(String.init) ?? "" })
    #expect(roots.count > 1, "several probes: each stack starts with its probe")
    let one = try #require(roots.sorted().first)
    let selected = try CLIHarness.run(["fold", "--probe", one, file])
    #expect(selected.status == 0)
    #expect(!selected.out.isEmpty)
    #expect(!selected.out.contains(one + ";"), "a single source gets no root frame")
  }

  @Test func stdinIsDash() throws {
    let input = try #require(
      FileManager.default.contents(atPath: CLIHarness.path("fixtures/seed/tdp_mmu-notes.txt")))
    let fromStdin = try CLIHarness.run(["fold", "-"], stdin: Array(input))
    let fromFile = try CLIHarness.run(["fold", "fixtures/seed/tdp_mmu-notes.txt"])
    #expect(fromStdin.status == 0)
    #expect(fromStdin.out == fromFile.out)
    let report = try CLIHarness.run(["report", "-"], stdin: Array(input))
    #expect(report.out.contains("inputs: <stdin>\n"))
  }

  @Test func severalFilesMerge() throws {
    let result = try CLIHarness.run([
      "fold", "fixtures/seed/tdp_mmu-notes.txt", "fixtures/seed/tdp_mmu-notes-zap_all.txt",
    ])
    #expect(result.status == 0)
    #expect(Self.foldedSum(result.out) == 1_065_373 + 1)
  }

  @Test(arguments: ["fold", "report"])
  func helpHasExamples(command: String) throws {
    let result = try CLIHarness.run([command, "--help"])
    #expect(result.status == 0)
    #expect(result.out.contains("Examples:"))
    #expect(result.out.contains("tdptrace \(command) "))
    for flag in [
      "--input-format", "--lenient", "--keep-offsets", "--focus", "--ignore", "--min-count", "--select",
      "--probe",
    ] {
      #expect(result.out.contains(flag), "\(flag)")
    }
  }
}
