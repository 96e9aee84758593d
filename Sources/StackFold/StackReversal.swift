import TraceParse

/// flamegraph.pl's `--reverse`: every stack leaf first, so a graph merges stacks by the
/// function that was sampled and shows its callers above it.
public enum StackReversal {
  /// `profile` with every sample's stack reversed (equal reversed stacks summed), keeping unit,
  /// weight scale, values, skips and notes. A differential profile keeps both sides.
  public static func reversed(_ profile: Profile) throws(AggregationError) -> Profile {
    var builder = ProfileBuilder(like: profile)
    let baseline = profile.baselineWeights
    for (i, sample) in profile.samples.enumerated() {
      let stack = sample.stack.reversed().map { builder.intern(profile.frames[Int($0)]) }
      let labels = builder.intern(profile.labels(of: sample))
      if let baseline {
        try builder.addDifferential(stack: stack, labels: labels, before: baseline[i], after: sample.weight)
      } else {
        try builder.add(stack: stack, labels: labels, weight: sample.weight)
      }
    }
    return builder.build()
  }
}
