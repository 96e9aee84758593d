import Foundation
import Testing

@testable import TraceParse

/// When no format fits, the error names the file and says for each format why; `--lenient`
/// works with detection; a skipped record is counted once.
@Suite struct DetectionFailureTests {
  static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

  @Test func eachFormatSaysWhy() {
    let input = Self.bytes("a;b 3\nc;d 4\nno count here\n")
    #expect(FormatDetector.detect(input) == nil)
    let failure = DetectionFailure(prefix: input, inputEnded: true)
    #expect(failure.reasons.map(\.format) == [.bpftraceJSON, .bpftrace, .perfScript, .folded])
    let text = failure.description
    #expect(text.contains("folded: line 3: no count"))
    #expect(text.contains("perf script: line 1: no sample header"))
    #expect(text.contains("bpftrace JSON: line 1: not a JSON object"))
    #expect(text.contains("bpftrace: no 'Attaching N probes' line"))
  }

  @Test func loaderErrorNamesTheFileAndTheReasons() throws {
    let path = NSTemporaryDirectory() + "tdptrace-detect-\(getpid())-\(UUID().uuidString).txt"
    try "a;b 3\nc;d x\n".write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    do {
      _ = try ProfileLoader().load(path: path)
      Issue.record("expected a detection error")
    } catch {
      let text = error.description
      #expect(text.hasPrefix("\(path):1:"))
      #expect(text.contains("folded: line 2: no count"))
    }
  }

  @Test func lenientDetectionTakesMostlyFoldedInput() throws {
    let input = Self.bytes("a;b 3\nc;d 4\nbroken line\ne 1\n")
    #expect(FormatDetector.detect(input) == nil)
    #expect(FormatDetector.detect(input, lenient: true) == .folded)
    // Mostly not folded: still nothing.
    #expect(FormatDetector.detect(Self.bytes("x y\nz w\na 1\n"), lenient: true) == nil)

    let path = NSTemporaryDirectory() + "tdptrace-lenient-\(getpid())-\(UUID().uuidString).txt"
    try "a;b 3\nc;d 4\nbroken line\ne 1\n".write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let profile = try ProfileLoader(lenient: true).load(path: path)
    #expect(profile.totalWeight == 8)
    #expect(profile.skipped.records == 1)
  }

  /// A perf script record read as folded under --lenient is one bad record, not one per frame
  /// line.
  @Test func aRecordIsSkippedOnce() throws {
    var text = ""
    for i in 0..<2 {
      text += "swapper 0 [000] \(i).000000: cpu-clock:\n"
      for k in 0..<24 { text += "\tffffffff8105fd0\(k % 10) frame\(k) ([kernel.kallsyms])\n" }
      text += "\n"
    }
    let profile = try PerfTestSupport.parse(text, parser: FoldedParser(), lenient: true)
    #expect(profile.skipped.records == 2)
    #expect(profile.samples.isEmpty)
  }

  @Test func aSkippedLineKeepsItsWeightWhenItHasOne() throws {
    let profile = try PerfTestSupport.parse(
      "a 18446744073709551615\nb 7\nc 1\n", parser: FoldedParser(), lenient: true)
    // Both lines after the first overflow the total: each is one skip with its own weight.
    #expect(profile.skipped.records == 2)
    #expect(profile.skipped.weight == 8)
    #expect(profile.totalWeight == 18_446_744_073_709_551_615)
  }
}
