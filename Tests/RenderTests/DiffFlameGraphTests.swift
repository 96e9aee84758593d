import Foundation
import StackFold
import TestSupport
import Testing
import TraceParse

@testable import Render

@Suite struct DiffFlameGraphTests {
  static func pair() throws -> (Profile, Profile) {
    (
      try GraphFixtures.profile(file: "fixtures/graphs/diff-before.folded"),
      try GraphFixtures.profile(file: "fixtures/graphs/diff-after.folded")
    )
  }

  @Test func stacksAndFunctionsAreExact() throws {
    let (before, after) = try Self.pair()
    let diff = ProfileDiff(before: before, after: after)
    #expect(diff.beforeTotal == 1_065_373)
    #expect(diff.afterTotal == 753_934)
    #expect(diff.stacks.count == 6)
    #expect(diff.stacks.reduce(0) { $0 + $1.before } == diff.beforeTotal)
    #expect(diff.stacks.reduce(0) { $0 + $1.after } == diff.afterTotal)
    #expect(diff.vanished.isEmpty)
    let map = try #require(diff.functions.first { $0.name == "kvm_tdp_mmu_map" })
    #expect(map.beforeTotal == 465 + 2192 + 447_750)
    #expect(map.afterTotal == 930 + 4000 + 447_750)
    #expect(map.beforeSelf == 465 && map.afterSelf == 930)
    // Recursion: __handle_changed_spte appears three times in the zap stack, counted once.
    let spte = try #require(diff.functions.first { $0.name == "__handle_changed_spte" })
    #expect(spte.beforeTotal == 447_750 + 614_912)
    let new = try #require(diff.functions.first { $0.name == "kvm_tdp_mmu_zap_invalidated_roots" })
    #expect(new.beforeTotal == 0 && new.afterTotal == 1200)
    // Largest share change first.
    #expect(abs(diff.functions[0].shareChange) >= abs(diff.functions[1].shareChange))
  }

  @Test func normalizationScalesBeforeOnly() throws {
    let (before, after) = try Self.pair()
    let diff = ProfileDiff(before: before, after: after, normalize: true)
    #expect(diff.beforeTotal == 1_065_373)
    #expect(abs(diff.scaledBefore(1_065_373) - 753_934) < 1e-6)
    #expect(abs(diff.delta(before: 1_065_373, after: 753_934)) < 1e-6)
  }

  @Test func graphAndTableMatchGoldens() throws {
    let (before, after) = try Self.pair()
    let diff = ProfileDiff(before: before, after: after)
    let svg = DiffFlameGraph().document(diff, standalone: true)
    try TDPFixture.expectGolden(svg, "fixtures/expected/graphs/diff.svg")
    #expect(xmlError(svg) == nil)
    try TDPFixture.expectGolden(DiffTable().render(diff), "fixtures/expected/graphs/diff-table.txt")
    let normalized = ProfileDiff(before: before, after: after, normalize: true)
    try TDPFixture.expectGolden(
      DiffTable(limit: 5).render(normalized), "fixtures/expected/graphs/diff-table-normalized.txt")
    let nsvg = DiffFlameGraph().document(normalized, standalone: true)
    try TDPFixture.expectGolden(nsvg, "fixtures/expected/graphs/diff-normalized.svg")
  }

  @Test func colorsFollowTheSignOfTheChange() throws {
    let (before, after) = try Self.pair()
    let svg = DiffFlameGraph().document(ProfileDiff(before: before, after: after), standalone: true)
    // The zap worker halved: blue at full intensity (largest change). The fault path grew: red.
    #expect(
      svg.contains(
        "<title>tdp_mmu_zap_root_work (300,000 samples, 39.79%; before 614,912, 57.72%; change -314,912, share -17.93 pp)</title><rect"
      ))
    let line = try #require(svg.split(separator: "\n").first { $0.contains("<title>tdp_mmu_zap_root_work") })
    #expect(line.contains("fill=\"rgb(0,0,255)\""))
    let grew = try #require(
      svg.split(separator: "\n").first { $0.contains("<title>kvm_tdp_mmu_zap_invalidated_roots") })
    #expect(grew.contains("fill=\"rgb(255,"))
  }

  @Test func vanishedStacksAreCountedNotDropped() throws {
    let before = try GraphFixtures.profile(folded: "a;b 10\na;c 5\n")
    let after = try GraphFixtures.profile(folded: "a;b 12\n")
    let diff = ProfileDiff(before: before, after: after)
    #expect(diff.vanished.map(\.path) == [["a", "c"]])
    let svg = DiffFlameGraph().document(diff, standalone: true)
    #expect(svg.contains("1 stacks only in before, not drawn (5 samples before)"))
    #expect(DiffTable().render(diff).contains("c  [gone]"))
  }
}
