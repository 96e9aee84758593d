import Foundation
import TestSupport
import Testing

/// `tdptrace fold` and `report` on perf script and folded input, end to end.
@Suite(.serialized) struct PerfCLITests {
  static let fixtures = RecordSupport.repo.appendingPathComponent("fixtures").path + "/"
  static let sample = fixtures + "perf/perf-script-sample.txt"

  static func weightSum(_ folded: String) -> UInt64 {
    folded.split(separator: "\n").reduce(0) { $0 + (UInt64($1.split(separator: " ").last ?? "") ?? 0) }
  }

  @Test func foldsTheRealCaptureDetectingTheFormat() throws {
    let r = try RecordSupport.tdptrace(["fold", Self.sample])
    #expect(r.status == 0, "\(r.stderr)")
    try TDPFixture.expectGolden(r.stdout, "fixtures/perf/perf-script-sample.tdptrace.folded")
    // fold weighs periods by default, as stackcollapse-perf.pl does.
    #expect(Self.weightSum(r.stdout) == 3257 * 1_001_001)
    let bySamples = try RecordSupport.tdptrace([
      "fold", "--weight", "samples", "--input-format", "perf-script", Self.sample,
    ])
    #expect(Self.weightSum(bySamples.stdout) == 3257)
  }

  /// With `--raw-names`: perl's tidying can leave a trailing space (`[unknown] (/memfd:x
  /// (deleted))` becomes `[unknown] `), which the folded parser, splitting at the last blank,
  /// does not keep.
  @Test func foldedOutputFoldsBackToTheSameBytes() throws {
    for flags in [
      ["--raw-names"], ["--raw-names", "--annotate", "all"],
      ["--raw-names", "--annotate", "all", "--keep-offsets"],
    ] {
      let first = try RecordSupport.tdptrace(["fold"] + flags + [Self.sample])
      let path = NSTemporaryDirectory() + "tdptrace-perf-cli-\(getpid())-\(UUID().uuidString).folded"
      try first.stdout.write(toFile: path, atomically: true, encoding: .utf8)
      defer { try? FileManager.default.removeItem(atPath: path) }
      let again = try RecordSupport.tdptrace(["fold", "--input-format", "folded"] + flags + [path])
      #expect(again.status == 0, "\(again.stderr)")
      #expect(again.stdout == first.stdout, "flags \(flags)")
    }
  }

  @Test func filtersByCommAndTid() throws {
    let text = try String(contentsOfFile: Self.sample, encoding: .utf8)
    let headers = text.split(separator: "\n").filter { !$0.hasPrefix("\t") }
    let gzip = headers.filter { $0.hasPrefix("gzip ") }.count
    let tid6259 = headers.filter { $0.split(separator: " ").dropFirst().first == "6259" }.count
    let byComm = try RecordSupport.tdptrace(["fold", "--weight", "samples", "--comm", "gzip", Self.sample])
    #expect(Self.weightSum(byComm.stdout) == UInt64(gzip))
    let byTid = try RecordSupport.tdptrace(["fold", "--weight", "samples", "--tid", "6259", Self.sample])
    #expect(byTid.status == 0, "\(byTid.stderr)")
    #expect(tid6259 > 0)
    #expect(Self.weightSum(byTid.stdout) == UInt64(tid6259))
  }

  @Test func badInputNamesFileAndLineAndLenientCounts() throws {
    let path = NSTemporaryDirectory() + "tdptrace-perf-bad-\(getpid())-\(UUID().uuidString).txt"
    try "a 1 [000] 1.5: 1 cycles:\n\tffffffff81000130 f+0x1 ([kernel.kallsyms])\n\nnot a header\n\n"
      .write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let strict = try RecordSupport.tdptrace(["fold", "--input-format", "perf-script", path])
    #expect(strict.status == 1)
    #expect(strict.stderr.contains("\(path):4:1: expected a perf script sample header"))
    // Counting samples, a bad header is known to weigh 1 (its period would be unknown).
    let lenient = try RecordSupport.tdptrace([
      "fold", "--input-format", "perf-script", "--lenient", "--weight", "samples", path,
    ])
    #expect(lenient.status == 0)
    #expect(lenient.stdout == "a;f 1\n")
    #expect(lenient.stderr.contains("skipped 1 bad record (weight 1)"))
  }
}
