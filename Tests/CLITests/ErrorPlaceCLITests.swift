import Foundation
import TestSupport
import Testing

/// Errors say where: the input file (and line where there is one), or the output that could
/// not be written, in one `tdptrace:` line.
@Suite struct ErrorPlaceCLITests {
  @Test func pprofLimitNamesTheInput() throws {
    let input = try CLIHarness.temporaryFile(Array("a;x 18446744073709551615\n".utf8), suffix: ".folded")
    let out = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tdptrace-\(UUID().uuidString).pb"
    ).path
    defer { try? FileManager.default.removeItem(atPath: out) }
    let result = try CLIHarness.run(["report", "--pprof", out, input])
    #expect(result.status == 1)
    #expect(
      result.stderr.hasPrefix("tdptrace: \(input): a sample weight of 18446744073709551615"),
      "\(result.stderr)")
    #expect(result.stderr.contains("int64"))
    #expect(!FileManager.default.fileExists(atPath: out))
  }

  @Test(arguments: ["--pprof", "--speedscope"])
  func exportWriteErrorIsOneLine(flag: String) throws {
    let directory = FileManager.default.temporaryDirectory.path
    let result = try CLIHarness.run(["report", flag, directory, "fixtures/hostile/hostile.folded"])
    #expect(result.status == 1)
    #expect(result.stderr == "tdptrace: cannot write \(directory): is a directory\n", "\(result.stderr)")
    #expect(!result.stderr.contains("ExitCode"))
  }
}
