extension Profile {
  /// A profile of some of this one's samples, each at the weight `weigh` gives it (nil leaves
  /// the sample out), in the same order. Frames and label sets are interned again, so
  /// the result holds only what its samples use; the rest is carried over as
  /// `ProfileBuilder(like:)` does, for the caller to change.
  ///
  /// `weigh` must not give a sample more than its weight: a part of a profile whose total fit
  /// in UInt64 then fits too, and nothing can overflow.
  public func subset(weighing weigh: (_ index: Int, _ sample: Sample) -> UInt64?) -> Profile {
    var builder = ProfileBuilder(like: self)
    for (i, sample) in samples.enumerated() {
      guard let weight = weigh(i, sample) else { continue }
      let labels = builder.intern(labelSets[Int(sample.labels)])
      let stack = sample.stack.map { builder.intern(frames[Int($0)]) }
      // Cannot throw: the weights are at most the samples' own (see above).
      try? builder.add(stack: stack, labels: labels, weight: weight)
    }
    return builder.build()
  }

  /// The interval block (`IntervalMark.index`) of each label set, by `LabelSetID`; nil for a
  /// label set without the `interval` label.
  public var blockOfLabelSets: [Int?] {
    labelSets.map { $0[Labels.Name.interval].flatMap { Int($0) } }
  }
}
