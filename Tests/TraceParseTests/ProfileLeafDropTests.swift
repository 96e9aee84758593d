import TestSupport
import Testing

@testable import TraceParse

/// `ProfileBuilder.droppingLeafFrames` is the profile a fresh builder makes from the shortened
/// samples in order (what trimming did before it looked up only the stacks that can merge):
/// the same frames, label sets and samples, in the same order, on seeded random profiles whose
/// stacks are shared across labels and become equal when shortened.
@Suite struct ProfileLeafDropTests {
  /// What a builder makes of `profile` with `counts[i]` frames dropped from sample `i`.
  static func reference(_ profile: Profile, counts: [Int]) throws -> Profile {
    var builder = ProfileBuilder(like: profile)
    for (i, sample) in profile.samples.enumerated() {
      let stack = sample.stack.dropLast(counts[i]).map { builder.intern(profile.frames[Int($0)]) }
      try builder.add(
        stack: stack, labels: builder.intern(profile.labelSets[Int(sample.labels)]), weight: sample.weight)
    }
    return builder.build()
  }

  static func randomProfile(_ rng: inout SplitMix64) throws -> Profile {
    var builder = ProfileBuilder()
    let names = (0..<Int.random(in: 2...12, using: &rng)).map { "f\($0)" }
    // Few distinct stacks, many label sets: samples share stored stacks, and stacks that
    // differ only at the leaf end meet when shortened.
    let pool = (0..<Int.random(in: 1...10, using: &rng)).map { _ in
      (0..<Int.random(in: 0...6, using: &rng)).map { _ in Frame(symbol: names.randomElement(using: &rng)!) }
    }
    let comms = (0..<Int.random(in: 1...5, using: &rng)).map { Labels([.init("comm", "c\($0)")]) }
    for _ in 0..<Int.random(in: 0...60, using: &rng) {
      try builder.add(
        frames: pool.randomElement(using: &rng)!, labels: comms.randomElement(using: &rng)!,
        weight: UInt64.random(in: 1...1000, using: &rng))
    }
    return builder.build()
  }

  @Test func equalsAFreshBuilderOnRandomProfiles() throws {
    var rng = SplitMix64(seed: 0x7D9_1EAF)
    var merged = 0
    for round in 0..<500 {
      let profile = try Self.randomProfile(&rng)
      let counts = profile.samples.map { Int.random(in: 0...$0.stack.count, using: &rng) }
      let fast = ProfileBuilder.droppingLeafFrames(of: profile, counts: counts)
      let slow = try Self.reference(profile, counts: counts)
      #expect(fast.frames == slow.frames, "round \(round)")
      #expect(fast.labelSets == slow.labelSets, "round \(round)")
      #expect(fast.samples == slow.samples, "round \(round)")
      #expect(fast.totalWeight == profile.totalWeight, "round \(round)")
      merged += profile.samples.count - fast.samples.count
    }
    #expect(merged > 100)  // the rounds did make samples meet
  }

  @Test func keepsWhatIsNotASample() throws {
    var builder = ProfileBuilder()
    try builder.add(frames: [Frame(symbol: "a"), Frame(symbol: "b")], labels: Labels(), weight: 3)
    builder.note("a note")
    builder.addValue(MapValue(map: "@n", key: [], kind: .scalar, numbers: [1]))
    let profile = builder.build()
    let out = ProfileBuilder.droppingLeafFrames(of: profile, counts: [1])
    #expect(out.frames == [Frame(symbol: "a")])
    #expect(out.notes == ["a note"])
    #expect(out.values == profile.values)
  }
}

/// `ProfileBuilder.absorb` (the parallel parse's merge of its parts) gives what
/// `merge(other.build())` gives, and a builder that absorbed goes on adding exactly: the
/// samples it appended without indexing are found by the next add.
@Suite struct ProfileAbsorbTests {
  static func randomBuilder(_ rng: inout SplitMix64, comms: Int) throws -> ProfileBuilder {
    var builder = ProfileBuilder()
    let pool = (0..<Int.random(in: 1...8, using: &rng)).map { _ in
      (0..<Int.random(in: 0...5, using: &rng)).map { _ in
        Frame(symbol: "f\(Int.random(in: 0..<8, using: &rng))")
      }
    }
    for _ in 0..<Int.random(in: 0...40, using: &rng) {
      try builder.add(
        frames: pool.randomElement(using: &rng)!,
        labels: Labels([.init("comm", "c\(Int.random(in: 0..<comms, using: &rng))")]),
        weight: UInt64.random(in: 1...1000, using: &rng))
    }
    return builder
  }

  static func same(_ a: Profile, _ b: Profile) -> Bool {
    a.frames == b.frames && a.labelSets == b.labelSets && a.samples == b.samples && a.unit == b.unit
      && a.values == b.values && a.notes == b.notes && a.skipped == b.skipped
  }

  @Test func equalsMergeAndKeepsAdding() throws {
    var rng = SplitMix64(seed: 0xAB_50B)
    for round in 0..<400 {
      var a = try Self.randomBuilder(&rng, comms: 6)
      let b = try Self.randomBuilder(&rng, comms: 6)
      var reference = a
      try reference.merge(b.build())
      try a.absorb(b)
      #expect(Self.same(a.build(), reference.build()), "round \(round)")
      #expect(a.totalWeight == reference.totalWeight, "round \(round)")
      // Then more of the same samples: each must land on the sample already there.
      let c = try Self.randomBuilder(&rng, comms: 6).build()
      try a.merge(c)
      try reference.merge(c)
      #expect(Self.same(a.build(), reference.build()), "round \(round) after more adds")
    }
  }

  @Test func overflowAndScalesFallBackToMerge() throws {
    var a = ProfileBuilder()
    try a.add(frames: [Frame(symbol: "x")], labels: Labels(), weight: UInt64.max - 1)
    var b = ProfileBuilder()
    try b.add(frames: [Frame(symbol: "x")], labels: Labels(), weight: 2)
    var reference = a
    #expect(throws: AggregationError.weightOverflow(existing: UInt64.max - 1, adding: 2)) {
      try reference.merge(b.build())
    }
    #expect(throws: AggregationError.weightOverflow(existing: UInt64.max - 1, adding: 2)) { try a.absorb(b) }
  }
}
