/// Builds a `Profile` while a parser streams: interns frames and label sets and sums the
/// weights of identical (stack, labels) pairs as they arrive.
public struct ProfileBuilder: Sendable {
  public private(set) var profile = Profile()
  /// Frames by value: open addressing like `slots`, hashed with `hashBytes` over the frame's
  /// fields. A `[Frame: FrameID]` Dictionary (SipHash over every String field) dominated
  /// parsing captures with a million distinct frames.
  private var frameSlots: [UInt64] = Array(repeating: 0, count: 1024)
  private var frameHashes: [UInt64] = []
  private var labelIndex: [Labels: LabelSetID] = [:]
  /// Samples by (stack, labels): open addressing; a slot holds the high 32 bits of the hash
  /// and sample index + 1 (0 = empty), so most probes need no other memory. A Dictionary keyed
  /// by the stack array hashed every frame id with SipHash, which dominated folding captures of
  /// a few hundred thousand unique stacks.
  private var slots: [UInt64] = Array(repeating: 0, count: 1024)
  private var sampleHashes: [UInt64] = []

  public init(unit: WeightUnit = .count) { profile.unit = unit }

  /// A builder that goes on adding to `profile`, a profile a builder built (its frames, label
  /// sets and (stack, labels) pairs are unique). Cheaper than merging it into an empty builder:
  /// no stack is copied or remapped.
  public init(continuing profile: Profile) {
    self.profile = profile
    frameHashes = profile.frames.map(Self.hash)
    var frameSize = frameSlots.count
    while frameSize < frameHashes.count * 2 + 2 { frameSize *= 2 }
    frameSlots = Self.index(frameHashes, size: frameSize)
    for (i, labels) in profile.labelSets.enumerated() { labelIndex[labels] = LabelSetID(i) }
    var size = slots.count
    while size < profile.samples.count * 2 + 2 { size *= 2 }
    sampleHashes = profile.samples.map { Self.hash($0.stack, $0.labels) }
    slots = Self.index(sampleHashes, size: size)
  }

  @inline(__always)
  private static func hash(_ stack: [FrameID], _ labels: LabelSetID) -> UInt64 {
    stack.withUnsafeBytes { raw in
      hashBytes(raw.bindMemory(to: UInt8.self)) ^ (UInt64(labels) &* 0x9E37_79B9_7F4A_7C15)
    }
  }

  public var unit: WeightUnit {
    get { profile.unit }
    set { profile.unit = newValue }
  }

  public mutating func intern(_ frame: Frame) -> FrameID {
    let hash = Self.hash(frame)
    let mask = frameSlots.count - 1
    let tag = hash & 0xFFFF_FFFF_0000_0000
    var slot = Int(truncatingIfNeeded: hash) & mask
    while true {
      let entry = frameSlots[slot]
      if entry == 0 { break }
      let index = Int(entry & 0xFFFF_FFFF) - 1
      if entry & 0xFFFF_FFFF_0000_0000 == tag, profile.frames[index] == frame {
        return FrameID(index)
      }
      slot = (slot + 1) & mask
    }
    let index = profile.frames.count
    precondition(index < Int(UInt32.max) - 1, "more than 2^32 distinct frames")
    profile.frames.append(frame)
    frameHashes.append(hash)
    frameSlots[slot] = tag | UInt64(index + 1)
    if frameHashes.count * 2 > frameSlots.count {
      frameSlots = Self.index(frameHashes, size: frameSlots.count * 2)
    }
    return FrameID(index)
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
    _ = try addReturningIndex(stack: stack, labels: labels, weight: weight)
  }

  /// `add`, returning the index of the sample in `profile.samples`, so a parser that sees the
  /// same record again can add to it with `add(weight:toSample:)` without hashing the stack.
  public mutating func addReturningIndex(stack: [FrameID], labels: LabelSetID, weight: UInt64)
    throws(AggregationError) -> Int
  {
    let hash = Self.hash(stack, labels)
    let mask = slots.count - 1
    let tag = hash & 0xFFFF_FFFF_0000_0000
    var slot = Int(truncatingIfNeeded: hash) & mask
    while true {
      let entry = slots[slot]
      if entry == 0 { break }
      let index = Int(entry & 0xFFFF_FFFF) - 1
      // The slot's tag filters nearly all other samples; a full-hash check would cost one
      // more cache miss on every hit.
      if entry & 0xFFFF_FFFF_0000_0000 == tag, profile.samples[index].labels == labels,
        profile.samples[index].stack == stack
      {
        try add(weight: weight, toSample: index)
        return index
      }
      slot = (slot + 1) & mask
    }
    let index = profile.samples.count
    precondition(index < Int(Int32.max), "more than 2^31 unique samples")
    profile.samples.append(Sample(stack: stack, labels: labels, weight: weight))
    sampleHashes.append(hash)
    slots[slot] = tag | UInt64(index + 1)
    if sampleHashes.count * 2 > slots.count { slots = Self.index(sampleHashes, size: slots.count * 2) }
    return index
  }

  /// Adds `weight` to sample `index` (from `addReturningIndex`).
  /// - Throws: `AggregationError.weightOverflow` if the summed weight would exceed UInt64.
  public mutating func add(weight: UInt64, toSample index: Int) throws(AggregationError) {
    let (sum, overflow) = profile.samples[index].weight.addingReportingOverflow(weight)
    if overflow { throw .weightOverflow(existing: profile.samples[index].weight, adding: weight) }
    profile.samples[index].weight = sum
  }

  /// A slot table of `size` (a power of two) for samples with these hashes.
  private static func index(_ hashes: [UInt64], size: Int) -> [UInt64] {
    var slots = [UInt64](repeating: 0, count: size)
    let mask = size - 1
    for (index, hash) in hashes.enumerated() {
      var slot = Int(truncatingIfNeeded: hash) & mask
      while slots[slot] != 0 { slot = (slot + 1) & mask }
      slots[slot] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(index + 1)
    }
    return slots
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
