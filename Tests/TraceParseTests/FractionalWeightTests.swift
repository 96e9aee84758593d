import Foundation
import Testing

@testable import TraceParse

/// Fractional folded counts (`31.23`, `31.0`, `6.`) held exactly as fixed point
/// (`WeightScale`), `#` comments, and differential two-count lines.
@Suite struct FractionalWeightTests {
  typealias S = PerfTestSupport

  static func folded(_ text: String, lenient: Bool = false) throws -> Profile {
    try S.parse(text, parser: FoldedParser(), lenient: lenient)
  }

  @Test func sumsAreExact() throws {
    // 0.1 + 0.2 is not 0.3 in floating point; here it is.
    let profile = try Self.folded("a 0.1\na 0.2\nb 31.23\nc 6.\nd 31.0\n")
    #expect(profile.weightScale == WeightScale(decimals: 2))
    #expect(profile.totalWeight == 30 + 3123 + 600 + 3100)
    #expect(profile.weightScale.format(profile.samples[0].weight) == "0.30")
    #expect(profile.weightScale.format(profile.totalWeight) == "68.53")
    #expect(profile.weightScale.format(123_456_789, grouped: true) == "1,234,567.89")
  }

  @Test func earlierWeightsAreRescaledWhenAFinerCountAppears() throws {
    let profile = try Self.folded("a 1\nb 2.5\nc 0.125\na 1\n")
    #expect(profile.weightScale.decimals == 3)
    #expect(profile.samples.map(\.weight) == [2000, 2500, 125])
  }

  @Test func integerInputsKeepScaleZero() throws {
    let profile = try Self.folded("a;b 3\nc 4\n")
    #expect(profile.weightScale == .integer)
    #expect(profile.weightScale.format(7) == "7")
  }

  @Test func rescalingPastUInt64IsAnErrorWithItsLine() throws {
    #expect(throws: ParseError.self) { try Self.folded("a 18446744073709551615\nb 0.5\n") }
    do {
      _ = try Self.folded("a 18446744073709551615\nb 0.5\n")
    } catch let error as ParseError {
      #expect(error.position.line == 2)
      #expect(error.expected.contains("decimal"))
    } catch {
      Issue.record("unexpected \(error)")
    }
  }

  @Test func mergingProfilesOfDifferentScalesHoldsTheFinerOne() throws {
    var builder = ProfileBuilder()
    try builder.merge(try Self.folded("a 1.5\n"))
    try builder.merge(try Self.folded("a 0.125\nb 2\n"))
    try builder.merge(try Self.folded("b 1\n"))
    let profile = builder.build()
    #expect(profile.weightScale.decimals == 3)
    #expect(profile.samples.map(\.weight) == [1625, 3000])
    #expect(profile.weightScale.format(profile.totalWeight) == "4.625")
  }

  /// The parts of a large file parsed on several cores may see different precisions; the
  /// merged result equals a single-threaded parse.
  @Test func parallelPartsOfDifferentScalesMergeExactly() throws {
    var text = ""
    for i in 0..<3000 { text += "f\(i % 7);g\(i % 11) \(i % 5)\n" }
    text += "f1;g1 0.001\n"
    for i in 0..<3000 { text += "f\(i % 7);g\(i % 13) \(i % 3).5\n" }
    let path = NSTemporaryDirectory() + "tdptrace-fractional-\(getpid())-\(UUID().uuidString).folded"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let options = ParseOptions(sourceName: path)
    let parallel = try #require(
      try ParallelLoader.load(
        path: path, size: Int64(text.utf8.count), format: .folded, options: options, parts: 4))
    var serialLoader = ProfileLoader(format: .folded)
    serialLoader.parallel = false
    let serial = try serialLoader.load(path: path)
    #expect(parallel.weightScale == serial.weightScale)
    #expect(serial.weightScale.decimals == 3)
    #expect(parallel.totalWeight == serial.totalWeight)
    #expect(parallel.samples.map(\.weight) == serial.samples.map(\.weight))
  }

  @Test func commentLinesAreNeitherSamplesNorErrors() throws {
    let profile = try Self.folded("# from austin\na;b 2\n  # indented comment\n#c 3\nc 1\n")
    #expect(profile.samples.count == 2)
    #expect(profile.totalWeight == 3)
    #expect(profile.skipped.records == 0)
  }

  @Test func differentialLinesKeepBothCounts() throws {
    let profile = try Self.folded("a;b 3 5\nc 2 0\na;b;c 1.5 1\nd 4\n")
    #expect(profile.isDifferential)
    #expect(profile.weightScale.decimals == 1)
    // The counts are never read as a frame named "3".
    #expect(profile.frames(of: profile.samples[0]).map(\.symbol) == ["a", "b"])
    #expect(profile.samples.map(\.weight) == [50, 0, 10, 40])
    #expect(profile.baselineWeights == [30, 20, 15, 40])
    let sides = try #require(profile.differentialSides())
    #expect(sides.before.totalWeight == 105)
    #expect(sides.after.totalWeight == 100)
    #expect(sides.after.samples.count == 3)  // c had 0 after
  }

  @Test func plainLinesBeforeTheFirstDifferentialOneCountOnBothSides() throws {
    let profile = try Self.folded("x 2\na 1 3\n")
    #expect(profile.baselineWeights == [2, 1])
    #expect(profile.samples.map(\.weight) == [2, 3])
  }

  @Test func oneBlankSeparatesTheCountAsInFlamegraphPl() throws {
    // perf writes a frame without a symbol as " "; flamegraph.pl keeps it.
    let profile = try Self.folded("a;  3\n")
    #expect(profile.frames(of: profile.samples[0]).map(\.symbol) == ["a", " "])
  }

  @Test func countsThatAreNotNumbersAreErrors() throws {
    for bad in ["a 1.2.3\n", "a .5\n", "a 1e3\n", "a -1\n"] {
      #expect(throws: ParseError.self) { try Self.folded(bad) }
    }
  }

  @Test func weightScaleParse() {
    func parse(_ s: String) -> (UInt64, Int)? {
      Array(s.utf8).withUnsafeBufferPointer { WeightScale.parse($0, 0, $0.count) }.map {
        ($0.value, $0.decimals)
      }
    }
    #expect(parse("31.23")! == (3123, 2))
    #expect(parse("6.")! == (6, 0))
    #expect(parse("31.0")! == (310, 1))
    #expect(parse("0.0000000000000000001")! == (1, 19))
    #expect(parse("0.00000000000000000001") == nil)
    #expect(parse("") == nil)
    #expect(parse(".") == nil)
  }
}
