import Foundation
import TestSupport
import Testing

/// A line longer than the cap (16 MiB by default, `TDPTRACE_MAX_LINE` to change it) is an error
/// naming file and line, found before the whole line is buffered: `/dev/zero` used to be read
/// for 256 MB (545 MB RSS) first.
@Suite struct LineLengthLimitCLITests {
  /// 200 KB of NUL bytes, as `head -c 200000 /dev/zero` gives, under a 64 KiB cap.
  @Test func zerosFailAtTheCapWithHowToRaiseIt() throws {
    let input = try CLIHarness.temporaryFile([UInt8](repeating: 0, count: 200_000))
    defer { try? FileManager.default.removeItem(atPath: input) }
    let result = try CLIHarness.run(
      ["fold", "--input-format", "folded", input], environment: ["TDPTRACE_MAX_LINE": "64K"])
    #expect(result.status == 1)
    #expect(result.stderr.hasPrefix("tdptrace: \(input):1:"), "\(result.stderr)")
    #expect(result.stderr.contains("at most 65536 bytes"))
    #expect(result.stderr.contains("TDPTRACE_MAX_LINE"))
  }

  /// Raised, the same line is read (and then refused for what it is, not for its length).
  @Test func theCapCanBeRaised() throws {
    let line = (0..<20_000).map { "f\($0)" }.joined(separator: ";") + " 3\n"
    let input = try CLIHarness.temporaryFile(Array(line.utf8), suffix: ".folded")
    defer { try? FileManager.default.removeItem(atPath: input) }
    let low = try CLIHarness.run(["fold", input], environment: ["TDPTRACE_MAX_LINE": "64K"])
    #expect(low.status == 1)
    #expect(low.stderr.contains("TDPTRACE_MAX_LINE"), "\(low.stderr)")
    let raised = try CLIHarness.run(["fold", input], environment: ["TDPTRACE_MAX_LINE": "1M"])
    #expect(raised.status == 0, "\(raised.stderr)")
    #expect(raised.out == line)
  }
}
