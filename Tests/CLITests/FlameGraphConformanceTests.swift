import Foundation
import TestSupport
import Testing

@testable import tdptrace

/// FlameGraph's own stackcollapse-perf.pl test suite, run against `tdptrace fold`: each of its 13
/// inputs (`fixtures/flamegraph/*.txt`) with each option its `test.sh` checks, compared byte for
/// byte with what the perl script writes (`fixtures/flamegraph/expected/`, made by
/// `scripts/flamegraph-oracle.sh`; only committed files are read, so a clean clone runs it).
@Suite struct FlameGraphConformanceTests {
  static let inputs = [
    "perf-cycles-instructions-01", "perf-dd-stacks-01", "perf-funcab-cmd-01", "perf-funcab-pid-01",
    "perf-iperf-stacks-pidtid-01", "perf-java-faults-01", "perf-java-stacks-01", "perf-java-stacks-02",
    "perf-js-stacks-01", "perf-mirageos-stacks-01", "perf-numa-stacks-01", "perf-rust-Yamakaky-dcpu",
    "perf-vertx-stacks-01",
  ]

  /// perl's option (the expected file's name) → tdptrace's flags for it.
  static let options: [(String, [String])] = [
    ("none", []), ("pid", ["--root", "comm,pid"]), ("tid", ["--root", "comm,pid,tid"]),
    ("kernel", ["--annotate", "kernel"]), ("jit", ["--annotate", "jit"]), ("all", ["--annotate", "all"]),
    ("addrs", ["--addrs"]),
  ]

  /// perl keeps only the first event of a file; tdptrace keeps every event, so the test selects
  /// perl's.
  static let firstEvent = ["perf-cycles-instructions-01": "instructions"]

  struct Case: CustomTestStringConvertible, Sendable {
    var input: String
    var option: String
    var flags: [String]
    var testDescription: String { "\(input) --\(option)" }
  }

  static let cases: [Case] = inputs.flatMap { input in
    options.map { Case(input: input, option: $0.0, flags: $0.1) }
  }

  /// Runs a command line in-process, as GoldenCLITests does, but on absolute paths and without
  /// changing the working directory, which is the whole process's: suites run in parallel.
  static func stdout(_ args: [String]) throws -> [UInt8] {
    let command = try TDPTrace.parseAsRoot(args)
    let producer = try #require(command as? any ProducesOutputs)
    return try producer.outputs().filter { $0.destination == .stdout }.flatMap(\.bytes)
  }

  /// The deliberate difference: without `--event` every event is kept, each stack rooted at its
  /// event; the instructions lines are then perl's lines under an `instructions` root.
  @Test func severalEventsAreAllKeptUnderTheirEvent() throws {
    let input = TDPFixture.url("fixtures/flamegraph/perf-cycles-instructions-01.txt").path
    let lines = String(decoding: try Self.stdout(["fold", input]), as: UTF8.self).split(separator: "\n")
    let perl = try String(
      contentsOf: TDPFixture.url("fixtures/flamegraph/expected/perf-cycles-instructions-01.none.folded"),
      encoding: .utf8
    ).split(separator: "\n")
    #expect(
      lines.filter { $0.hasPrefix("instructions;") }.map { $0.dropFirst("instructions;".count) } == perl)
    let cycles = lines.filter { $0.hasPrefix("cycles;") }
    #expect(cycles.count + perl.count == lines.count)
    // 111 cycles samples and 333 instructions samples, each of period 1.
    #expect(cycles.reduce(0) { $0 + Int($1.split(separator: " ").last!)! } == 111)
  }

  @Test func everyInputAndOptionIsCovered() throws {
    #expect(Self.cases.count == 91)
    let expected = try FileManager.default.contentsOfDirectory(
      atPath: TDPFixture.url("fixtures/flamegraph/expected").path)
    #expect(Set(expected) == Set(Self.cases.map { "\($0.input).\($0.option).folded" }))
  }

  @Test(.serialized, arguments: cases)
  func foldMatchesStackcollapsePerf(_ c: Case) throws {
    var args = ["fold"] + c.flags
    if let event = Self.firstEvent[c.input] { args += ["--event", event] }
    args.append(TDPFixture.url("fixtures/flamegraph/\(c.input).txt").path)
    let ours = try Self.stdout(args)
    let perl = Array(
      try Data(contentsOf: TDPFixture.url("fixtures/flamegraph/expected/\(c.input).\(c.option).folded")))
    guard ours != perl else { return }
    let a = String(decoding: ours, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    let b = String(decoding: perl, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    let line = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
    Issue.record(
      """
      \(args.dropLast().joined(separator: " ")) \(c.input).txt differs from stackcollapse-perf.pl at line \(line + 1):
       tdptrace: \(line < a.count ? String(a[line]) : "<end of output>")
       perl:     \(line < b.count ? String(b[line]) : "<end of output>")
      """)
  }
}
