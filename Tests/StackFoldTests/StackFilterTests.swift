import StackFold
import Testing
import TraceParse

@Suite struct StackFilterTests {
  static func sum(_ profile: Profile) -> UInt64 { profile.samples.reduce(0) { $0 + $1.weight } }

  @Test func focusKeepsStacksThroughTheFunction() throws {
    let result = try StackFilter(focus: [NamePattern("tdp_mmu_init_sp")]).apply(to: SeedProfile.make())
    #expect(Self.sum(result.profile) == 2246)
    #expect(
      result.removals == [
        FilterRemoval(filter: "--focus tdp_mmu_init_sp", samples: 3, weight: 465 + 447750 + 614912)
      ])
  }

  @Test func ignoreDropsStacksThroughTheFunction() throws {
    let result = try StackFilter(ignore: [NamePattern("kvm_tdp_mmu_*")]).apply(to: SeedProfile.make())
    #expect(Self.sum(result.profile) == 614912)
    #expect(
      result.removals == [
        FilterRemoval(filter: "--ignore kvm_tdp_mmu_*", samples: 4, weight: 465 + 54 + 2192 + 447750)
      ])
  }

  @Test func filtersApplyInOrderAndCountOnce() throws {
    let filter = StackFilter(
      focus: [NamePattern("kvm_tdp_mmu_map")], ignore: [NamePattern("tdp_mmu_init_sp")], minCount: 1000)
    let result = try filter.apply(to: SeedProfile.make())
    #expect(Self.sum(result.profile) == 447750)
    #expect(
      result.removals == [
        FilterRemoval(filter: "--focus kvm_tdp_mmu_map", samples: 2, weight: 54 + 614912),
        FilterRemoval(filter: "--ignore tdp_mmu_init_sp", samples: 1, weight: 2192),
        FilterRemoval(filter: "--min-count 1000", samples: 1, weight: 465),
      ])
  }

  @Test func minCountJudgesStacksAfterOffsetsMerge() throws {
    let at = SeedProfile.labels(("map", "@"))
    let profile = try SeedProfile.profile([("a+1;b+2", 3, at), ("a+1;b+7", 4, at), ("c+1", 5, at)])
    let merged = try StackFilter(minCount: 6).apply(to: profile)
    #expect(try Folder.fold(merged.profile) == [FoldedLine(stack: "a;b", weight: 7)])
    let split = try StackFilter(minCount: 6, naming: FrameNaming(keepOffsets: true)).apply(to: profile)
    #expect(split.profile.samples.isEmpty)
    #expect(split.removals == [FilterRemoval(filter: "--min-count 6", samples: 3, weight: 12)])
  }

  @Test func labelSelectors() throws {
    var builder = ProfileBuilder()
    try builder.add(
      frames: [Frame(symbol: "a")], labels: SeedProfile.labels(("map", "@x"), ("comm", "qemu-kvm")), weight: 1
    )
    try builder.add(
      frames: [Frame(symbol: "b")], labels: SeedProfile.labels(("map", "@y"), ("comm", "qemu-kvm")), weight: 2
    )
    try builder.add(
      frames: [Frame(symbol: "c")], labels: SeedProfile.labels(("map", "@y"), ("comm", "bash")), weight: 4)
    try builder.add(
      frames: [Frame(symbol: "d")], labels: SeedProfile.labels(("event", "cpu-clock")), weight: 8)
    builder.addValue(MapValue(map: "@x", key: [], kind: .scalar, numbers: [5]))
    builder.addValue(MapValue(map: "@lat", key: [], kind: .hist, buckets: [.init(label: "[0, 1)", count: 3)]))
    let profile = builder.build()

    let byMap = try StackFilter(selectors: [LabelSelector(name: "map", value: "@y")]).apply(to: profile)
    #expect(Self.sum(byMap.profile) == 6)
    #expect(byMap.profile.values.isEmpty)
    #expect(byMap.removals == [FilterRemoval(filter: "--map @y", samples: 2, weight: 9, values: 2)])

    // Alternatives within a name, and all names must match.
    let both = try StackFilter(selectors: [
      LabelSelector(parsing: "map=@x")!, LabelSelector(parsing: "map=@y")!,
      LabelSelector(parsing: "comm=qemu*")!,
    ]).apply(to: profile)
    #expect(Self.sum(both.profile) == 3)
    #expect(both.profile.values.map(\.map) == ["@x"])

    let byEvent = try StackFilter(selectors: [LabelSelector(name: "event", value: "cpu-*")]).apply(
      to: profile)
    #expect(Self.sum(byEvent.profile) == 8)
    #expect(byEvent.profile.values.count == 2)  // only map selectors touch map values
  }

  @Test func selectorParsing() {
    #expect(LabelSelector(parsing: "pid=42")?.description == "pid=42")
    #expect(LabelSelector(parsing: "key0=a=b")?.value.pattern == "a=b")
    #expect(LabelSelector(parsing: "nokey") == nil)
    #expect(LabelSelector(parsing: "comm=qemu*")?.flag == "--comm qemu*")
    #expect(LabelSelector(parsing: "key0=3")?.flag == "--select key0=3")
    #expect(LabelSelector(parsing: "=x") == nil)
  }

  @Test func exactNamesWithBracketsMatch() {
    #expect(NamePattern("[unknown]").matches("[unknown]"))
    #expect(NamePattern("[no stack]").matches("[no stack]"))
    #expect(NamePattern("kvm_*").matches("kvm_mmu"))
    #expect(!NamePattern("kvm").matches("kvm_mmu"))
  }

  @Test func inactiveFilterReturnsTheProfile() throws {
    let result = try StackFilter().apply(to: SeedProfile.make())
    #expect(result.removals.isEmpty)
    #expect(result.profile.samples.count == 5)
  }

  @Test func skipsAndNotesSurviveFiltering() throws {
    var builder = ProfileBuilder()
    try builder.add(frames: [Frame(symbol: "a")], labels: Labels(), weight: 1)
    builder.recordSkip(ParseError(SourcePosition(file: "f", line: 3), expected: "x"), weight: 9)
    builder.note("a note")
    let result = try StackFilter(ignore: [NamePattern("a")]).apply(to: builder.build())
    #expect(result.profile.skipped.records == 1)
    #expect(result.profile.skipped.weight == 9)
    #expect(result.profile.notes == ["a note"])
  }
}
