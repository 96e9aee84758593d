import Foundation
import TestSupport
import Testing

/// Totals past UInt64: every command fails with exit 1 and a message naming the file (and the
/// line where the total overflowed), never traps (`Double value cannot be converted to Int64`,
/// exit 132) and never reads the input as empty.
@Suite struct WeightOverflowCLITests {
  /// Each count fits; their sum does not.
  static let overflowing = try! CLIHarness.temporaryFile(
    Array("a;x 18446744073709551615\nb;x 2\n".utf8), suffix: ".folded")
  static let largest = try! CLIHarness.temporaryFile(
    Array("a;x 18446744073709551615\n".utf8), suffix: ".folded")
  static let small = try! CLIHarness.temporaryFile(Array("b;x 2\n".utf8), suffix: ".folded")

  static let commands: [[String]] = [
    ["fold"], ["report"], ["report", "--json"], ["report", "--svg", "-"], ["report", "--html", "-"],
    ["diff", "SMALL"], ["diff", "--svg", "-", "SMALL"], ["diff", "--html", "-", "SMALL"],
  ]

  @Test(arguments: commands)
  func overflowingTotalIsAnErrorAtItsLine(command: [String]) throws {
    let args = command.map { $0 == "SMALL" ? Self.small : $0 }
    // As BEFORE and as AFTER of a diff.
    for order in command[0] == "diff" ? [true, false] : [true] {
      var full = args + [Self.overflowing]
      if !order { full = Array(args.dropLast()) + [Self.overflowing, Self.small] }
      let result = try CLIHarness.run(full)
      #expect(!result.crashed, "\(full)")
      #expect(result.status == 1, "\(full): \(result.stderr)")
      #expect(result.stderr.contains("\(Self.overflowing):2:"), "\(full): \(result.stderr)")
      #expect(result.stderr.contains("overflows UInt64"), "\(result.stderr)")
      #expect(result.stdout.isEmpty)
    }
  }

  /// A single weight of UInt64.max is valid: every output draws it.
  @Test(arguments: [
    ["report"], ["report", "--svg", "-"], ["report", "--html", "-"], ["diff", "LARGEST"],
    ["diff", "--svg", "-", "LARGEST"], ["diff", "--html", "-", "--normalize", "SMALL"],
  ])
  func largestWeightRenders(command: [String]) throws {
    let args = command.map { $0 == "SMALL" ? Self.small : $0 == "LARGEST" ? Self.largest : $0 }
    let result = try CLIHarness.run(args + [Self.largest])
    #expect(!result.crashed, "\(result.stderr.prefix(300))")
    #expect(result.status == 0, "\(result.stderr)")
  }

  /// Two files that fit alone but not together: the file that tipped the sum is named.
  @Test func overflowAcrossFilesNamesTheFile() throws {
    let result = try CLIHarness.run(["report", Self.largest, Self.small])
    #expect(result.status == 1)
    #expect(result.stderr.hasPrefix("tdptrace: \(Self.small): "), "\(result.stderr)")
  }
}
