import Foundation
import TestSupport
import Testing

/// `tdptrace report --tdp / --pprof / --speedscope` end to end on the built binary.
@Suite struct ExportCLITests {
  static let repo = TDPFixture.root

  static func expected(_ name: String) throws -> [UInt8] {
    Array(try Data(contentsOf: repo.appendingPathComponent("fixtures/expected/exports/\(name)")))
  }

  static func temporary(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent(
      "tdptrace-cli-\(getpid())-\(UUID().uuidString)-\(name)"
    ).path
  }

  @Test func pprofAndSpeedscopeFilesBesideTheReport() throws {
    let pprof = Self.temporary("seed.pb.gz")
    let speedscope = Self.temporary("seed.json")
    defer {
      try? FileManager.default.removeItem(atPath: pprof)
      try? FileManager.default.removeItem(atPath: speedscope)
    }
    let result = try CLIHarness.run([
      "report", "--pprof", pprof, "--speedscope", speedscope, "fixtures/seed/tdp_mmu-notes.txt",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(String(decoding: result.stdout, as: UTF8.self).contains("total: 1065373"))
    let gz = Array(try Data(contentsOf: URL(fileURLWithPath: pprof)))
    #expect(gz.starts(with: [0x1f, 0x8b]))
    let written = Array(try Data(contentsOf: URL(fileURLWithPath: speedscope)))
    #expect(written == (try Self.expected("seed.speedscope.json")))
  }

  @Test func speedscopeSaysWhichMapValuesItLeavesOut() throws {
    let speedscope = Self.temporary("hist.json")
    defer { try? FileManager.default.removeItem(atPath: speedscope) }
    let result = try CLIHarness.run([
      "report", "--speedscope", speedscope, "fixtures/bpftrace/shape-hist-new.txt",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(
      result.stderr.contains(
        "\(speedscope): 4 non-stack map values (hist, lhist, stats, scalars) not exported"))
    let quiet = try CLIHarness.run(["report", "--speedscope", speedscope, "fixtures/seed/tdp_mmu-notes.txt"])
    #expect(!quiet.stderr.contains("not exported"))
  }

  @Test func unwritableExportFailsWithThePathAndNoPartialFile() throws {
    let result = try CLIHarness.run([
      "report", "--pprof", "/nonexistent-dir/x.pb.gz", "fixtures/seed/tdp_mmu-notes.txt",
    ])
    #expect(result.status == 1)
    #expect(result.stderr.contains("cannot write /nonexistent-dir/x.pb.gz: No such file or directory"))
  }

  @Test func stdoutIsNotAnExportTarget() throws {
    let result = try CLIHarness.run(["report", "--speedscope", "-", "fixtures/seed/tdp_mmu-notes.txt"])
    #expect(result.status == 64)
    #expect(result.stderr.contains("--speedscope needs a file name"))
  }
}
