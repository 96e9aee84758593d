extension ProfileBuilder {
  /// `profile` with the last `counts[i]` frames of sample `i`'s stack dropped: the profile a
  /// new builder makes when given every sample in order with its shortened stack (frames and
  /// label sets in order of first use, samples that now agree on stack and labels summed into
  /// the first of them), made without hashing every sample.
  ///
  /// Only a shortened stack that several distinct stacks of `profile` became can bring two
  /// samples together (in a builder's profile the samples of one stored stack differ by
  /// labels), so only the samples of such stacks are looked up; the rest are appended as
  /// they come. On a capture of 300 000 samples with 40 stacks to trim, hashing every sample
  /// again cost as much as half the parse.
  ///
  /// `profile` must be a builder's (unique frames, label sets and (stack, labels) pairs) whose
  /// total fits in UInt64 (`Profile.checkedTotalWeight`), so no sum here can overflow.
  package static func droppingLeafFrames(of profile: Profile, counts: [Int]) -> Profile {
    precondition(counts.count == profile.samples.count, "one count per sample")
    var builder = ProfileBuilder(like: profile)
    var frameMap = [FrameID?](repeating: nil, count: profile.frames.count)
    // Samples sharing a stored stack and the number of frames it loses share the result.
    var shortened = StackStorageMemo()
    var origins: [UInt32] = []  // per new stack id: the distinct (stack, count) that became it
    var sampleStacks: [UInt32] = []
    sampleStacks.reserveCapacity(profile.samples.count)
    for (i, sample) in profile.samples.enumerated() {
      let id = shortened.value(for: sample.stack, tag: counts[i]) {
        var stack: [FrameID] = []
        stack.reserveCapacity(sample.stack.count - counts[i])
        for id in sample.stack.dropLast(counts[i]) {
          if let mapped = frameMap[Int(id)] {
            stack.append(mapped)
          } else {
            let mapped = builder.intern(profile.frames[Int(id)])
            frameMap[Int(id)] = mapped
            stack.append(mapped)
          }
        }
        let id = builder.stackID(stack)
        if Int(id) == origins.count { origins.append(0) }
        origins[Int(id)] += 1
        return id
      }
      sampleStacks.append(id)
    }

    var labelMap = [LabelSetID?](repeating: nil, count: profile.labelSets.count)
    struct Pair: Hashable {
      var stack: UInt32
      var labels: LabelSetID
    }
    var merged: [Pair: Int] = [:]
    var samples: [Sample] = []
    samples.reserveCapacity(profile.samples.count)
    for (i, sample) in profile.samples.enumerated() {
      let labels = labelMap[Int(sample.labels)] ?? builder.intern(profile.labelSets[Int(sample.labels)])
      labelMap[Int(sample.labels)] = labels
      let id = sampleStacks[i]
      if origins[Int(id)] > 1 {
        let pair = Pair(stack: id, labels: labels)
        if let first = merged[pair] {
          samples[first].weight += sample.weight
          continue
        }
        merged[pair] = samples.count
      }
      samples.append(Sample(stack: builder.stacks[Int(id)], labels: labels, weight: sample.weight))
    }
    var out = builder.profile
    out.samples = samples
    return out
  }
}
