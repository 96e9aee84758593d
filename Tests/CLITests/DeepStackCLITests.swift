import Foundation
import TestSupport
import Testing

/// One stack of 100,000 frames through every output of `report`, `fold` and `diff`. Any
/// recursion once per call-tree level overflowed the thread's stack at about 29,000 frames
/// (SIGSEGV in `ReportModel.prune`).
@Suite struct DeepStackCLITests {
  static let depth = 100_000

  /// `f0;f1;...;f99999 5`, written once for the suite.
  static let input: String = {
    let line = (0..<depth).map { "f\($0)" }.joined(separator: ";") + " 5\n"
    return try! CLIHarness.temporaryFile(Array(line.utf8), suffix: ".folded")
  }()

  static let reportOutputs: [[String]] = [
    [], ["--json"], ["--svg", "SVG"], ["--html", "HTML"], ["--pprof", "PPROF"],
    ["--speedscope", "SPEEDSCOPE"],
    ["--svg", "-"], ["--html", "-"],
  ]

  static func outputFile(_ flag: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent(
      "tdptrace-deep-\(UUID().uuidString)-\(flag)"
    )
    .path
  }

  @Test(arguments: reportOutputs)
  func reportWritesEveryOutput(flags: [String]) throws {
    let files = flags.filter { $0.uppercased() == $0 && $0 != "-" && !$0.hasPrefix("--") }
    var args = ["report"]
    var written: [String] = []
    for flag in flags {
      if files.contains(flag) {
        let path = Self.outputFile(flag)
        written.append(path)
        args.append(path)
      } else {
        args.append(flag)
      }
    }
    defer { for path in written { try? FileManager.default.removeItem(atPath: path) } }
    let result = try CLIHarness.run(args + [Self.input])
    #expect(!result.crashed, "\(result.stderr.prefix(500))")
    #expect(result.status == 0, "\(result.stderr.prefix(500))")
    for path in written {
      let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
      #expect(size > 0, "\(path)")
    }
    if flags.isEmpty {
      #expect(result.out.contains("call tree shown to depth 250 of 100000"))
      #expect(result.out.contains("[1 more]"))
    }
    if flags == ["--json"] {
      let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
      #expect((object["totalWeight"] as? NSNumber)?.uint64Value == 5)
    }
  }

  @Test func foldKeepsEveryFrame() throws {
    let result = try CLIHarness.run(["fold", Self.input])
    #expect(!result.crashed)
    #expect(result.status == 0, "\(result.stderr.prefix(500))")
    #expect(result.out == (try String(contentsOfFile: Self.input, encoding: .utf8)))
  }

  @Test(arguments: [[], ["--svg", "-"], ["--html", "-"]])
  func diffOfTwoDeepStacks(flags: [String]) throws {
    let result = try CLIHarness.run(["diff"] + flags + [Self.input, Self.input])
    #expect(!result.crashed)
    #expect(result.status == 0, "\(result.stderr.prefix(500))")
    #expect(!result.stdout.isEmpty)
  }
}
