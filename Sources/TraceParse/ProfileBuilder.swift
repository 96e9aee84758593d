/// Builds a `Profile` while a parser streams: interns frames and label sets and sums the
/// weights of identical (stack, labels) pairs as they arrive.
public struct ProfileBuilder: Sendable {
  public private(set) var profile = Profile()
  private var frameIndex: [Frame: FrameID] = [:]
  private var labelIndex: [Labels: LabelSetID] = [:]
  private var sampleIndex: [SampleKey: Int] = [:]

  private struct SampleKey: Hashable {
    var stack: [FrameID]
    var labels: LabelSetID
  }

  public init(unit: WeightUnit = .count) { profile.unit = unit }

  public var unit: WeightUnit {
    get { profile.unit }
    set { profile.unit = newValue }
  }

  public mutating func intern(_ frame: Frame) -> FrameID {
    if let id = frameIndex[frame] { return id }
    let id = FrameID(profile.frames.count)
    profile.frames.append(frame)
    frameIndex[frame] = id
    return id
  }

  public mutating func intern(_ labels: Labels) -> LabelSetID {
    if let id = labelIndex[labels] { return id }
    let id = LabelSetID(profile.labelSets.count)
    profile.labelSets.append(labels)
    labelIndex[labels] = id
    return id
  }

  /// Adds `weight` to the sample with this stack (root first) and label set.
  /// - Throws: `AggregationError.weightOverflow` if the summed weight would exceed UInt64.
  public mutating func add(stack: [FrameID], labels: LabelSetID, weight: UInt64) throws(AggregationError) {
    let key = SampleKey(stack: stack, labels: labels)
    if let index = sampleIndex[key] {
      let (sum, overflow) = profile.samples[index].weight.addingReportingOverflow(weight)
      if overflow { throw .weightOverflow(existing: profile.samples[index].weight, adding: weight) }
      profile.samples[index].weight = sum
    } else {
      sampleIndex[key] = profile.samples.count
      profile.samples.append(Sample(stack: stack, labels: labels, weight: weight))
    }
  }

  /// Convenience: interns `frames` (root first) and `labels`, then adds.
  public mutating func add(frames: [Frame], labels: Labels, weight: UInt64) throws(AggregationError) {
    let stack = frames.map { intern($0) }
    try add(stack: stack, labels: intern(labels), weight: weight)
  }

  public mutating func addValue(_ value: MapValue) { profile.values.append(value) }
  public mutating func recordSkip(_ error: ParseError, weight: UInt64 = 0) {
    profile.skipped.record(error, weight: weight)
  }
  public mutating func note(_ text: String) { profile.notes.append(text) }

  /// Adds everything in `other` (samples, values, skips, notes), remapping its frame and label
  /// ids. Used to combine files, and the per-core parts of one large file.
  public mutating func merge(_ other: Profile) throws(AggregationError) {
    let wasEmpty = profile.samples.isEmpty
    let frameMap = other.frames.map { intern($0) }
    let labelMap = other.labelSets.map { intern($0) }
    for sample in other.samples {
      try add(
        stack: sample.stack.map { frameMap[Int($0)] }, labels: labelMap[Int(sample.labels)],
        weight: sample.weight)
    }
    if wasEmpty {
      profile.unit = other.unit
    } else if profile.unit != other.unit && !other.samples.isEmpty {
      profile.unit = .mixed
    }
    profile.values += other.values
    profile.skipped.merge(other.skipped)
    profile.notes += other.notes
  }

  public func build() -> Profile { profile }
}

/// A summed weight that does not fit in UInt64.
public enum AggregationError: Error, Equatable, CustomStringConvertible {
  case weightOverflow(existing: UInt64, adding: UInt64)

  public var description: String {
    switch self {
    case .weightOverflow(let existing, let adding):
      return "summed weight overflows UInt64 (\(existing) + \(adding))"
    }
  }
}
