import TestSupport
import Testing

@testable import StackFold
@testable import TraceParse

/// `StackGroups` remembers each stored stack's group, so it must give the groups that comparing
/// the frames gives: also when equal stacks sit in separate storage (a profile a builder did
/// not make), and with and without label classes.
@Suite struct StackGroupsStorageTests {
  /// Groups by (class, frames), in order of first sample: what StackGroups promises.
  static func reference(_ profile: Profile, labelClass: [UInt32]?) -> (first: [Int], weight: [UInt64]) {
    struct Key: Hashable {
      var labels: UInt32
      var stack: [FrameID]
    }
    var index: [Key: Int] = [:]
    var first: [Int] = []
    var weight: [UInt64] = []
    for (i, sample) in profile.samples.enumerated() {
      let key = Key(labels: labelClass.map { $0[Int(sample.labels)] } ?? 0, stack: sample.stack)
      if let g = index[key] {
        weight[g] += sample.weight
      } else {
        index[key] = first.count
        first.append(i)
        weight.append(sample.weight)
      }
    }
    return (first, weight)
  }

  @Test func equalsGroupingByFrames() {
    var rng = SplitMix64(seed: 0x5_7AC6)
    for round in 0..<300 {
      var profile = Profile()
      profile.frames = (0..<5).map { Frame(symbol: "f\($0)") }
      profile.labelSets = (0..<4).map { Labels([.init("comm", "c\($0)")]) }
      let shared = (0..<4).map { _ in
        (0..<Int.random(in: 0...3, using: &rng)).map { _ in FrameID.random(in: 0..<5, using: &rng) }
      }
      for _ in 0..<Int.random(in: 0...40, using: &rng) {
        var stack = shared.randomElement(using: &rng)!
        // Half the time a copy of its own: equal frames, separate storage.
        if Bool.random(using: &rng) {
          stack = Array(unsafeUninitializedCapacity: stack.count + 1) { b, n in
            n = b.initialize(fromContentsOf: stack)
          }
        }
        profile.samples.append(
          Sample(
            stack: stack, labels: LabelSetID.random(in: 0..<4, using: &rng),
            weight: UInt64.random(in: 1...99, using: &rng)))
      }
      let classes: [UInt32]? = Bool.random(using: &rng) ? [0, 1, 0, 2] : nil
      let groups = StackGroups(profile, labelClass: classes)
      let expected = Self.reference(profile, labelClass: classes)
      #expect(groups.first == expected.first, "round \(round)")
      #expect(groups.weight == expected.weight, "round \(round)")
    }
  }
}
