import StackFold
import TestSupport
import Testing
import TraceParse

/// Property: every weight that goes in comes out, through folding, the call tree, the function
/// table and every filter (kept + removed = total), for generated profiles.
@Suite struct WeightConservationTests {
  static func randomProfile(seed: UInt64) throws -> Profile {
    var g = SplitMix64(seed: seed)
    let names = [
      "a", "b", "kvm_tdp_mmu_map", "tdp_mmu_init_sp", "__handle_changed_spte", "x;y", "", "[unknown]",
    ]
    let sources = [
      Labels([.init("map", "@")]), Labels([.init("map", "@b"), .init("probe", "kprobe:x")]),
      Labels([.init("event", "cpu-clock"), .init("comm", "qemu")]), Labels(),
    ]
    var builder = ProfileBuilder()
    let sourceCount = 1 + g.below(sources.count)
    for _ in 0..<(1 + g.below(60)) {
      var frames: [Frame] = []
      for _ in 0..<g.below(8) {
        let offset =
          g.below(3) == 0 ? nil : FrameOffset(UInt64(g.below(4)), base: g.below(2) == 0 ? .hex : .decimal)
        frames.append(Frame(symbol: names[g.below(names.count)], offset: offset))
      }
      try builder.add(
        frames: frames, labels: sources[g.below(sourceCount)], weight: g.next() >> (20 + g.below(44)))
    }
    return builder.build()
  }

  @Test(arguments: 0..<200 as Range<UInt64>)
  func weightsAreConserved(seed: UInt64) throws {
    let profile = try Self.randomProfile(seed: seed)
    let total = try profile.checkedTotalWeight()
    for naming in [FrameNaming(), FrameNaming(keepOffsets: true)] {
      let folded = try Folder.fold(profile, options: FoldOptions(naming: naming))
      #expect(folded.reduce(0) { $0 + $1.weight } == total)
      #expect(Set(folded.map(\.stack)).count == folded.count)
      let tree = CallTree(profile: profile, naming: naming)
      #expect(tree.totalWeight == total)
      #expect(tree.nodes.reduce(0) { $0 + $1.selfWeight } == total)
      let table = try FunctionTable(profile: profile, naming: naming)
      let emptyStacks = profile.samples.filter { $0.stack.isEmpty }.reduce(0) { $0 + $1.weight }
      #expect(table.functions.reduce(0) { $0 + $1.selfWeight } + emptyStacks == total)

      let filter = StackFilter(
        selectors: seed % 3 == 0 ? [LabelSelector(name: "map", value: "@*")] : [],
        focus: seed % 2 == 0 ? [NamePattern("a"), NamePattern("kvm_*")] : [],
        ignore: seed % 5 == 0 ? [NamePattern("b")] : [], minCount: seed % 4 == 0 ? 1 << 30 : nil,
        naming: naming)
      let result = try filter.apply(to: profile)
      let kept = try result.profile.checkedTotalWeight()
      #expect(kept + result.removals.reduce(0) { $0 + $1.weight } == total)
      #expect(
        result.profile.samples.count + result.removals.reduce(0) { $0 + $1.samples } == profile.samples.count)
    }
  }
}
