/// Builds a `Profile` while a parser streams: interns frames and label sets and sums the
/// weights of identical (stack, labels) pairs as they arrive.
public struct ProfileBuilder: Sendable {
  public private(set) var profile = Profile()
  /// The sum of every weight added so far. Kept so that a total beyond UInt64 is refused at
  /// the record that causes it, where the parser knows the file and line, rather than when a
  /// report sums the samples later.
  public private(set) var totalWeight: UInt64 = 0
  /// The sum of the baseline (first-column) weights of a differential input, checked the same way.
  public private(set) var baselineTotal: UInt64 = 0
  /// Frames by value, hashed with `hashBytes` over the frame's fields.
  private var frameIndex = HashIndex()
  private var labelIndex: [Labels: LabelSetID] = [:]
  /// Samples by (stack id, labels).
  private var sampleIndex = HashIndex()
  /// Distinct stacks, each stored once at its exact size; samples that differ only by labels
  /// (the same stack under another comm or pid) share the array's storage.
  private(set) var stacks: [[FrameID]] = []
  private var stackIndex = HashIndex()
  /// The `stacks` index of each sample's stack.
  private var sampleStacks: [UInt32] = []
  /// Where the blocks of an interval capture begin (see `IntervalTracker`).
  package private(set) var intervals = IntervalTracker()

  public init(unit: WeightUnit = .count) { profile.unit = unit }

  /// A builder for a profile derived from `profile` (filtered, trimmed, expanded, a range of
  /// blocks): no samples yet, and what is not a sample carried over: the unit and weight scale,
  /// so the weights copied over keep meaning the same numbers, and the map values, interval
  /// blocks, skips and notes, so no derivation loses them.
  public init(like profile: Profile) {
    self.profile.unit = profile.unit
    self.profile.weightScale = profile.weightScale
    self.profile.values = profile.values
    self.profile.intervals = profile.intervals
    self.profile.intervalMode = profile.intervalMode
    self.profile.declaredIntervalMode = profile.declaredIntervalMode
    self.profile.skipped = profile.skipped
    self.profile.notes = profile.notes
  }

  /// A builder that goes on adding to `profile`, a profile a builder built (its frames, label
  /// sets and (stack, labels) pairs are unique). Cheaper than merging it into an empty builder:
  /// no stack is copied or remapped.
  public init(continuing profile: Profile) {
    self.profile = profile
    totalWeight = profile.totalWeight
    baselineTotal = profile.baselineWeights?.reduce(0, &+) ?? 0
    frameIndex = HashIndex(hashes: profile.frames.map(Self.hash))
    for (i, labels) in profile.labelSets.enumerated() { labelIndex[labels] = LabelSetID(i) }
    sampleStacks = internStacks(of: profile.samples, adopt: true) { $0 }
    sampleIndex = HashIndex(
      hashes: zip(sampleStacks, profile.samples).map { Self.hash(stackID: $0, $1.labels) })
  }

  /// Each sample's stack id, `transform` applied first (a merge's frame ids). Samples a builder
  /// made share the storage of equal stacks, so each stored stack is hashed and mapped once.
  private mutating func internStacks(
    of samples: [Sample], adopt: Bool, transform: ([FrameID]) -> [FrameID]
  ) -> [UInt32] {
    var ids: [UInt32] = []
    ids.reserveCapacity(samples.count)
    var known = StackStorageMemo()
    for sample in samples {
      ids.append(known.value(for: sample.stack) { internStack(transform(sample.stack), adopt: adopt) })
    }
    return ids
  }

  @inline(__always)
  private static func hash(_ stack: [FrameID]) -> UInt64 {
    stack.withUnsafeBytes { raw in hashBytes(raw.bindMemory(to: UInt8.self)) }
  }

  @inline(__always)
  private static func hash(stackID: UInt32, _ labels: LabelSetID) -> UInt64 {
    let h = (UInt64(stackID) &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(labels) &* 0xC2B2_AE3D_27D4_EB4F)
    return (h ^ (h >> 29)) &* 0x5851_F42D_4C95_7F2D
  }

  /// The id of `stack` among the distinct stacks, storing an exact-size copy on first sight
  /// (or, with `adopt`, the array itself: a stack a builder already stored).
  @inline(__always)
  private mutating func internStack(_ stack: [FrameID], adopt: Bool = false) -> UInt32 {
    let hash = Self.hash(stack)
    if let found = stackIndex.find(hash, matches: { stacks[$0] == stack }) { return UInt32(found) }
    stackIndex.append(hash)
    if adopt || stack.capacity == stack.count {
      stacks.append(stack)  // already exact-size: share its storage
    } else {
      stacks.append(
        Array(unsafeUninitializedCapacity: stack.count) { buffer, count in
          _ = buffer.initialize(from: stack)
          count = stack.count
        })
    }
    return UInt32(stacks.count - 1)
  }

  /// Nothing added yet: no sample, frame or map value.
  package var isEmpty: Bool { profile.samples.isEmpty && profile.frames.isEmpty && profile.values.isEmpty }

  public var unit: WeightUnit {
    get { profile.unit }
    set { profile.unit = newValue }
  }

  /// The scale weights are held at (see `WeightScale`).
  public var weightScale: WeightScale { profile.weightScale }

  /// Holds every weight at `finer` from now on, when it has more decimals than the current
  /// scale: multiplies what was added so far (samples, baseline, skipped weight), so `1` read
  /// before `0.25` becomes `1.00`.
  /// - Throws: `AggregationError.weightOverflow` when a rescaled total no longer fits in UInt64;
  ///   nothing is changed then.
  public mutating func raiseScale(to finer: WeightScale) throws(AggregationError) {
    let current = profile.weightScale
    guard finer > current else { return }
    // The totals bound every sample and skip, so checking them first means nothing below wraps.
    guard let total = current.rescale(totalWeight, to: finer) else {
      throw .scaleOverflow(weight: totalWeight, decimals: finer.decimals)
    }
    guard let baseline = current.rescale(baselineTotal, to: finer) else {
      throw .scaleOverflow(weight: baselineTotal, decimals: finer.decimals)
    }
    let factor = WeightScale.powerOfTen(finer.decimals - current.decimals)
    for i in profile.samples.indices { profile.samples[i].weight &*= factor }
    if profile.baselineWeights != nil {
      for i in profile.baselineWeights!.indices { profile.baselineWeights![i] &*= factor }
    }
    let (skipped, skipOverflow) = profile.skipped.weight.multipliedReportingOverflow(by: factor)
    profile.skipped.weight = skipOverflow ? UInt64.max : skipped
    totalWeight = total
    baselineTotal = baseline
    profile.weightScale = finer
  }

  /// Adds one line of a differential input: `before` to the sample's baseline, `after` to its
  /// weight. The first call makes the profile differential, with every sample added before it
  /// unchanged (its baseline equal to its weight).
  /// - Throws: `AggregationError.weightOverflow` when either side's total would exceed UInt64.
  public mutating func addDifferential(stack: [FrameID], labels: LabelSetID, before: UInt64, after: UInt64)
    throws(AggregationError)
  {
    if totalWeight.addingReportingOverflow(after).overflow {
      throw .weightOverflow(existing: totalWeight, adding: after)
    }
    try addDifferential(stackID: internStack(stack), labels: labels, before: before, after: after)
  }

  /// `addDifferential(stack:labels:before:after:)` for a stack already interned.
  private mutating func addDifferential(stackID: UInt32, labels: LabelSetID, before: UInt64, after: UInt64)
    throws(AggregationError)
  {
    if profile.baselineWeights == nil {
      profile.baselineWeights = profile.samples.map(\.weight)
      baselineTotal = totalWeight
    }
    let (baseline, overflow) = baselineTotal.addingReportingOverflow(before)
    if overflow { throw .weightOverflow(existing: baselineTotal, adding: before) }
    let index = try addReturningIndex(stackID: stackID, labels: labels, weight: after)
    baselineTotal = baseline
    profile.baselineWeights![index] += before
  }

  public mutating func intern(_ frame: Frame) -> FrameID {
    let hash = Self.hash(frame)
    if let index = frameIndex.find(hash, matches: { profile.frames[$0] == frame }) { return FrameID(index) }
    frameIndex.append(hash)
    profile.frames.append(frame)
    return FrameID(profile.frames.count - 1)
  }

  /// A hash of every field of `frame` (those `==` compares).
  private static func hash(_ frame: Frame) -> UInt64 {
    var h = hash(frame.symbol, seed: 0x9E37_79B9_7F4A_7C15)
    if let offset = frame.offset {
      h = (h ^ offset.value ^ (offset.base == .hex ? 0x5555 : 0xAAAA)) &* 0x5851_F42D_4C95_7F2D
    }
    if let module = frame.module { h = hash(module, seed: h ^ 1) }
    if let address = frame.address { h = (h ^ address ^ 0x1234_5678) &* 0x5851_F42D_4C95_7F2D }
    if let srcline = frame.srcline { h = hash(srcline, seed: h ^ 2) }
    let kind = FrameKind.allCases.firstIndex(of: frame.kind) ?? 0
    h = (h ^ UInt64(kind)) &* 0xD6E8_FEB8_6659_FD93
    return h ^ (h >> 32)
  }

  private static func hash(_ text: String, seed: UInt64) -> UInt64 {
    var text = text
    return text.withUTF8 { bytes in
      bytes.baseAddress.map { hashBytes($0, bytes.count, seed: seed) } ?? seed &* 0x5851_F42D_4C95_7F2D
    }
  }

  /// Interns `labels`; while an interval capture is read, with the current block's `interval`
  /// label added.
  public mutating func intern(_ labels: Labels) -> LabelSetID {
    if intervals.isActive && labels[Labels.Name.interval] == nil {
      var labels = labels
      labels.entries.append(Labels.Entry(Labels.Name.interval, String(intervals.current)))
      return internExactly(labels)
    }
    return internExactly(labels)
  }

  private mutating func internExactly(_ labels: Labels) -> LabelSetID {
    if let id = labelIndex[labels] { return id }
    let id = LabelSetID(profile.labelSets.count)
    profile.labelSets.append(labels)
    labelIndex[labels] = id
    return id
  }

  /// Adds `weight` to the sample with this stack (root first) and label set.
  /// - Throws: `AggregationError.weightOverflow` if the profile's summed weight would exceed
  ///   UInt64 (which bounds every sample's sum too).
  public mutating func add(stack: [FrameID], labels: LabelSetID, weight: UInt64) throws(AggregationError) {
    _ = try addReturningIndex(stack: stack, labels: labels, weight: weight)
  }

  /// `add`, returning the index of the sample in `profile.samples`, so a parser that sees the
  /// same record again can add to it with `add(weight:toSample:)` without hashing the stack.
  public mutating func addReturningIndex(stack: [FrameID], labels: LabelSetID, weight: UInt64)
    throws(AggregationError) -> Int
  {
    if totalWeight.addingReportingOverflow(weight).overflow {
      throw .weightOverflow(existing: totalWeight, adding: weight)
    }
    return try addReturningIndex(stackID: internStack(stack), labels: labels, weight: weight)
  }

  /// The builder's id for `stack` (root first), for `add(stackID:labels:weight:)`: a caller
  /// adding many samples that share stacks hashes each stack once.
  package mutating func stackID(_ stack: [FrameID]) -> UInt32 { internStack(stack) }

  /// `add(stack:labels:weight:)` for a stack id from `stackID(_:)`.
  package mutating func add(stackID: UInt32, labels: LabelSetID, weight: UInt64) throws(AggregationError) {
    _ = try addReturningIndex(stackID: stackID, labels: labels, weight: weight)
  }

  /// `addReturningIndex(stack:labels:weight:)` for a stack already interned.
  private mutating func addReturningIndex(stackID: UInt32, labels: LabelSetID, weight: UInt64)
    throws(AggregationError) -> Int
  {
    indexRemainingSamples()
    let (total, overflow) = totalWeight.addingReportingOverflow(weight)
    if overflow { throw .weightOverflow(existing: totalWeight, adding: weight) }
    let hash = Self.hash(stackID: stackID, labels)
    let found = sampleIndex.find(hash) {
      sampleStacks[$0] == stackID && profile.samples[$0].labels == labels
    }
    if let index = found {
      try add(weight: weight, toSample: index)
      return index
    }
    totalWeight = total
    sampleIndex.append(hash)
    sampleStacks.append(stackID)
    profile.samples.append(Sample(stack: stacks[Int(stackID)], labels: labels, weight: weight))
    profile.baselineWeights?.append(0)
    return profile.samples.count - 1
  }

  /// Adds `weight` to sample `index` (from `addReturningIndex`).
  /// - Throws: `AggregationError.weightOverflow` if the profile's summed weight would exceed
  ///   UInt64.
  public mutating func add(weight: UInt64, toSample index: Int) throws(AggregationError) {
    let (total, overflow) = totalWeight.addingReportingOverflow(weight)
    if overflow { throw .weightOverflow(existing: totalWeight, adding: weight) }
    // A sample's sum is part of the total, so it fits once the total does.
    totalWeight = total
    profile.samples[index].weight += weight
  }

  /// Convenience: interns `frames` (root first) and `labels`, then adds.
  public mutating func add(frames: [Frame], labels: Labels, weight: UInt64) throws(AggregationError) {
    let stack = frames.map { intern($0) }
    try add(stack: stack, labels: intern(labels), weight: weight)
  }

  public mutating func addValue(_ value: MapValue) {
    var value = value
    if intervals.isActive { value.interval = intervals.current }
    profile.values.append(value)
  }

  // MARK: interval captures

  /// A `time()` header outside entries. Returns whether a block began (parsers then drop the
  /// label sets and sample indices they cached).
  package mutating func intervalHeader(_ text: String, line: Int) -> Bool {
    let wasActive = intervals.isActive
    let began = intervals.timeHeader(text, line: line)
    if began { startedBlock(wasActive: wasActive) }
    return began
  }

  /// An entry of map `map` at `line` (see `IntervalTracker.entry`).
  @inline(__always)
  package mutating func intervalEntry(_ map: UnsafeBufferPointer<UInt8>, line: Int) -> Bool {
    let wasActive = intervals.isActive
    let began = intervals.entry(map, line: line)
    if began { startedBlock(wasActive: wasActive) }
    return began
  }

  /// Printed text between entries: it ends a map's run.
  package mutating func intervalText() { intervals.text() }

  /// Blank lines between entries, `count` in a row so far (see `IntervalTracker.blank`).
  package mutating func intervalBlank(_ count: Int) { intervals.blank(count) }

  /// The capture says what its blocks are (`IntervalMode.deltaDeclaration`).
  package mutating func declareIntervals(_ mode: IntervalMode) { profile.declaredIntervalMode = mode }

  /// `Attaching N probes...`: another bpftrace run.
  package mutating func intervalRun() { intervals.newRun() }

  /// Sets up block finding for a parse (`options.intervals` given makes reprints blocks).
  package mutating func beginIntervals(_ options: ParseOptions) {
    intervals.splitsReprints = options.intervals != .auto
  }

  /// After a parse: records that maps were printed again and summed, when no block was
  /// found (`ProfileLoader` says so once per input).
  package mutating func finishIntervals(_ options: ParseOptions) {
    if intervals.reprints > 0 && !intervals.isActive { profile.mapsPrintedAgain = true }
  }

  /// At the second block, what was read so far becomes block 0: its samples and values get
  /// the label `interval=0`.
  private mutating func startedBlock(wasActive: Bool) {
    profile.intervals = intervals.marks
    guard !wasActive else { return }
    var relabelled: [LabelSetID: LabelSetID] = [:]
    for i in profile.samples.indices {
      let old = profile.samples[i].labels
      if let id = relabelled[old] {
        profile.samples[i].labels = id
        continue
      }
      var labels = profile.labelSets[Int(old)]
      labels.entries.append(Labels.Entry(Labels.Name.interval, "0"))
      let id = internExactly(labels)
      relabelled[old] = id
      profile.samples[i].labels = id
    }
    for i in profile.values.indices { profile.values[i].interval = 0 }
    sampleIndex = HashIndex(
      hashes: zip(sampleStacks, profile.samples).map { Self.hash(stackID: $0, $1.labels) })
  }
  public mutating func recordSkip(_ error: ParseError, weight: UInt64 = 0) {
    profile.skipped.record(error, weight: weight)
  }
  public mutating func note(_ text: String) { profile.notes.append(text) }

  /// Adds everything in `other` (samples, values, skips, notes), remapping its frame and label
  /// ids. Used to combine files, and the per-core parts of one large file.
  ///
  /// Profiles of different weight scales are held at the finer one; a differential profile
  /// makes the result differential, and plain samples count the same on both of its sides.
  public mutating func merge(_ other: Profile) throws(AggregationError) {
    let wasEmpty = profile.samples.isEmpty
    try raiseScale(to: other.weightScale)
    let scale = profile.weightScale
    func rescaled(_ weight: UInt64) throws(AggregationError) -> UInt64 {
      guard let w = other.weightScale.rescale(weight, to: scale) else {
        throw .scaleOverflow(weight: weight, decimals: scale.decimals)
      }
      return w
    }
    let frameMap = other.frames.map { intern($0) }
    let labelMap = other.labelSets.map { intern($0) }
    // Samples of `other` that share a stack (another comm or pid) share its storage: remap
    // each stored stack once.
    let stackIDs = internStacks(of: other.samples, adopt: false) { $0.map { frameMap[Int($0)] } }
    for (i, sample) in other.samples.enumerated() {
      let stackID = stackIDs[i]
      let labels = labelMap[Int(sample.labels)]
      let after = try rescaled(sample.weight)
      if let baseline = other.baselineWeights {
        try addDifferential(stackID: stackID, labels: labels, before: try rescaled(baseline[i]), after: after)
      } else if profile.baselineWeights != nil {
        try addDifferential(stackID: stackID, labels: labels, before: after, after: after)
      } else {
        _ = try addReturningIndex(stackID: stackID, labels: labels, weight: after)
      }
    }
    mergeRest(of: other, wasEmpty: wasEmpty)
  }

  /// What `merge` adds besides samples: the unit, map values, interval blocks, skips, notes.
  private mutating func mergeRest(of other: Profile, wasEmpty: Bool) {
    if wasEmpty {
      profile.unit = other.unit
    } else if profile.unit != other.unit && !other.samples.isEmpty {
      profile.unit = .mixed
    }
    profile.values += other.values
    profile.mapsPrintedAgain = profile.mapsPrintedAgain || other.mapsPrintedAgain
    // Interval captures merged (files of one workload): block k of each is block k here.
    if other.intervals.count > profile.intervals.count {
      profile.intervals += other.intervals[profile.intervals.count...]
    }
    var skipped = other.skipped
    skipped.weight = other.weightScale.rescale(skipped.weight, to: profile.weightScale) ?? UInt64.max
    profile.skipped.merge(skipped)
    profile.notes += other.notes
  }

  /// `merge(other.build())`, the same result, for the parts of one file parsed on several
  /// cores: `other` is a builder's, so its frames, label sets and (stack, labels) pairs are
  /// unique and stay so when remapped. A sample whose label set is new here cannot meet a
  /// sample of this builder, and none of `other`'s meet each other, so only samples of label
  /// sets both have are looked up, and none is indexed until a later add needs the index
  /// (`indexRemainingSamples`): after the last part, none does. Profiles of different scales,
  /// differential ones and totals past UInt64 take `merge`.
  package mutating func absorb(_ other: ProfileBuilder) throws(AggregationError) {
    let o = other.profile
    guard o.baselineWeights == nil, profile.baselineWeights == nil, o.weightScale == profile.weightScale,
      !totalWeight.addingReportingOverflow(other.totalWeight).overflow
    else { return try merge(o) }
    indexRemainingSamples()
    let wasEmpty = profile.samples.isEmpty
    let labelsBefore = profile.labelSets.count
    let frameMap = o.frames.map { intern($0) }
    let labelMap = o.labelSets.map { intern($0) }
    let stackMap = other.stacks.map { internStack($0.map { frameMap[Int($0)] }) }
    for (i, sample) in o.samples.enumerated() {
      let stackID = stackMap[Int(other.sampleStacks[i])]
      let labels = labelMap[Int(sample.labels)]
      if labels < labelsBefore,
        let index = sampleIndex.find(
          Self.hash(stackID: stackID, labels),
          matches: { sampleStacks[$0] == stackID && profile.samples[$0].labels == labels })
      {
        profile.samples[index].weight += sample.weight  // within the total checked above
        continue
      }
      sampleStacks.append(stackID)
      profile.samples.append(Sample(stack: stacks[Int(stackID)], labels: labels, weight: sample.weight))
    }
    totalWeight += other.totalWeight
    mergeRest(of: o, wasEmpty: wasEmpty)
  }

  /// Indexes the samples `absorb` appended without indexing them, before anything looks one up.
  @inline(__always)
  private mutating func indexRemainingSamples() {
    while sampleIndex.count < profile.samples.count {
      let i = sampleIndex.count
      sampleIndex.append(Self.hash(stackID: sampleStacks[i], profile.samples[i].labels))
    }
  }

  public func build() -> Profile { profile }

  /// Moves the line of every skipped record's example by `lines` (a part of a file parsed
  /// alone, whose numbers start at its own first line).
  package mutating func shiftSkippedLines(by lines: Int) {
    for k in profile.skipped.examples.indices { profile.skipped.examples[k].position.line += lines }
  }
}

/// A summed weight that does not fit in UInt64.
public enum AggregationError: Error, Equatable, CustomStringConvertible {
  /// `existing` is the total so far (of the profile, or of the stack being summed).
  case weightOverflow(existing: UInt64, adding: UInt64)
  /// Holding `weight` with `decimals` digits after the point (to keep a finer fractional count
  /// exact) does not fit in UInt64.
  case scaleOverflow(weight: UInt64, decimals: Int)

  public var description: String {
    switch self {
    case .weightOverflow(let existing, let adding):
      return "summed weight overflows UInt64 (\(existing) + \(adding))"
    case .scaleOverflow(let weight, let decimals):
      return
        "weight \(weight) held with \(decimals) decimal\(decimals == 1 ? "" : "s") (for an exact fractional count) overflows UInt64"
    }
  }
}
