import Foundation
import StackFold
import TestSupport
import Testing
import TraceParse

/// Checks the perf script parser against FlameGraph's `stackcollapse-perf.pl` on a real
/// capture (`fixtures/perf/perf-script-sample.txt`, 3,257 samples).
@Suite struct PerfCollapseOracleTests {
  static let fixtures = TDPFixture.url("fixtures/perf").path + "/"

  @Test func foldedMatchesStackcollapsePerl() throws {
    let profile = try ProfileLoader(format: .perfScript, weight: .period)
      .load(path: Self.fixtures + "perf-script-sample.txt")
    let ours = try Folder.fold(profile).map(\.text)  // perf's defaults are perl's
    var expected = try String(contentsOfFile: Self.fixtures + "perf-script-sample.folded", encoding: .utf8)
      .split(separator: "\n").map(String.init)
    // Deliberate difference: for the header `:-1    -1 [000]   256.611042: ...` (pid -1) the
    // perl header regex needs whitespace before a digit, so it takes the whole header up to the
    // period as the comm. tdptrace reads comm `:-1`, tid `-1`.
    expected = expected.map {
      $0.hasPrefix(":-1____-1_[000]___256.611042:;")
        ? ":-1;" + $0.dropFirst(":-1____-1_[000]___256.611042:;".count) : $0
    }
    expected.sort { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }
    #expect(ours.count == expected.count)
    for (a, b) in zip(ours, expected) where a != b {
      Issue.record("first difference:\n ours: \(a)\n perl: \(b)")
      break
    }
    #expect(ours == expected)
    #expect(profile.totalWeight == 3257 * 1_001_001)
  }

  @Test func sampleCountsWhenWeighingSamples() throws {
    let profile = try ProfileLoader(format: .perfScript).load(path: Self.fixtures + "perf-script-sample.txt")
    #expect(profile.totalWeight == 3257)
    #expect(profile.unit == .count)
    #expect(Set(profile.labelSets.compactMap(\.event)) == ["cpu-clock"])  // modifiers dropped
  }
}
