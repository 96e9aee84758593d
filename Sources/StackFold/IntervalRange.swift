import TraceParse

/// `--from`/`--to`: the blocks of an interval capture between two bounds, both included, so
/// "before" and "after" can be two ranges of one capture. A bound is a block index (`3`) or a
/// `time()` header as printed (`07:59:43`; a header with a date also matches its time of day).
/// `--from` takes the first block with that time, `--to` the last.
public struct IntervalRange: Sendable, Hashable {
  public var from: String?
  public var to: String?

  public init(from: String? = nil, to: String? = nil) {
    self.from = from
    self.to = to
  }

  public var isEmpty: Bool { from == nil && to == nil }

  /// The blocks `profile.intervals` holds between the bounds, as (first, last) indices.
  /// - Throws: when the profile has no blocks, a bound names none, or `from` comes after `to`.
  public func bounds(in profile: Profile, source: String) throws(IntervalRangeError) -> ClosedRange<Int> {
    let marks = profile.intervals
    guard let first = marks.first, let last = marks.last else {
      throw IntervalRangeError(
        "\(source): --from/--to need an interval capture (time() headers or repeated print() blocks); this one is one total"
      )
    }
    let lo =
      try from.map { (b: String) throws(IntervalRangeError) in
        try Self.index(b, in: marks, first: true, source: source)
      } ?? first.index
    let hi =
      try to.map { (b: String) throws(IntervalRangeError) in
        try Self.index(b, in: marks, first: false, source: source)
      } ?? last.index
    guard lo <= hi else {
      throw IntervalRangeError(
        "\(source): --from \(from ?? "") (block \(lo)) comes after --to \(to ?? "") (block \(hi))")
    }
    return lo...hi
  }

  static func index(_ bound: String, in marks: [IntervalMark], first: Bool, source: String)
    throws(IntervalRangeError) -> Int
  {
    let range = "blocks \(marks.first!.index)–\(marks.last!.index)"
    if let n = Int(bound) {
      guard marks.contains(where: { $0.index == n }) else {
        throw IntervalRangeError("\(source): no interval block \(n); the capture has \(range)")
      }
      return n
    }
    let matching = marks.filter { $0.time == bound || ($0.time?.hasSuffix(" " + bound) ?? false) }
    guard let mark = first ? matching.first : matching.last else {
      let times = marks.compactMap(\.time)
      let span = times.isEmpty ? "no time() headers" : "times \(times.first!) to \(times.last!)"
      throw IntervalRangeError(
        "\(source): no interval block at '\(bound)': expected a block index or a time() header as printed; the capture has \(range), \(span)"
      )
    }
    return mark.index
  }

  /// `profile` with only the samples and values of the blocks in range, and a note saying
  /// which blocks and how much weight was kept.
  public func apply(to profile: Profile, source: String) throws(IntervalRangeError) -> Profile {
    if isEmpty { return profile }
    let kept = try bounds(in: profile, source: source)
    let blocks = profile.blockOfLabelSets
    var keptWeight: UInt64 = 0
    var out = profile.subset { _, sample in
      guard let block = blocks[Int(sample.labels)], kept.contains(block) else { return nil }
      keptWeight &+= sample.weight
      return sample.weight
    }
    out.intervals = profile.intervals.filter { kept.contains($0.index) }
    out.values = profile.values.filter { $0.interval.map(kept.contains) ?? false }
    let times = out.intervals.compactMap(\.time)
    let span = times.isEmpty ? "" : " (\(times.first!) to \(times.last!))"
    out.notes += [
      "\(source): --from/--to: blocks \(kept.lowerBound)–\(kept.upperBound) of \(profile.intervals.count)\(span), weight \(profile.weightScale.format(keptWeight)) of \(profile.weightScale.format(profile.totalWeight))"
    ]
    return out
  }
}

/// A `--from`/`--to` bound that names no block, or a capture without blocks.
public struct IntervalRangeError: Error, CustomStringConvertible, Equatable {
  public var description: String
  init(_ description: String) { self.description = description }
}
