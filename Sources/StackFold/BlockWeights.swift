import TraceParse

/// One quantity (a flame-graph frame, a function's total, a table row) in every block of an
/// interval capture: the weight it had in each block where it had any. Sparse, because most
/// frames of a long capture appear in a few of its blocks, and a page that embeds one of these
/// per frame must stay small. `Profile.subset` parts are disjoint, so the blocks of a quantity
/// add up to its weight in the whole capture.
public struct BlockWeights: Sendable, Hashable {
  /// Positions in `Profile.intervals` (not `IntervalMark.index`, which `--from` may offset),
  /// increasing; each with a nonzero weight in `weights`.
  public private(set) var blocks: [Int] = []
  public private(set) var weights: [UInt64] = []

  public init() {}

  /// From one weight per block, in block order; zeros are left out.
  public init(dense: [UInt64]) {
    for (block, weight) in dense.enumerated() { add(weight, inBlock: block) }
  }

  /// Adds `weight` to `block`, which must not come before the last block added (parts are
  /// visited in order, so this never sorts).
  public mutating func add(_ weight: UInt64, inBlock block: Int) {
    guard weight > 0 else { return }
    if let last = blocks.last, last == block {
      weights[weights.count - 1] &+= weight
      return
    }
    precondition(blocks.last.map { $0 < block } ?? true, "blocks must be added in order")
    blocks.append(block)
    weights.append(weight)
  }

  /// The weight over every block (wrapping: a quantity of a profile whose total fits fits too).
  public var total: UInt64 { weights.reduce(0, &+) }

  /// The weight over the blocks at `positions`, both ends included.
  public func total(in positions: ClosedRange<Int>) -> UInt64 {
    var sum: UInt64 = 0
    for (block, weight) in zip(blocks, weights) where positions.contains(block) { sum &+= weight }
    return sum
  }

  /// One weight per block, zeros included, for `count` blocks.
  public func dense(count: Int) -> [UInt64] {
    var out = [UInt64](repeating: 0, count: count)
    for (block, weight) in zip(blocks, weights) where block < count { out[block] = weight }
    return out
  }

  /// Each key's weights from one table per block (`perBlock[i]` is block `i`'s).
  public static func byKey<Key: Hashable>(_ perBlock: [[Key: UInt64]]) -> [Key: BlockWeights] {
    var out: [Key: BlockWeights] = [:]
    for (block, table) in perBlock.enumerated() {
      for (key, weight) in table { out[key, default: BlockWeights()].add(weight, inBlock: block) }
    }
    return out
  }
}

extension Profile {
  /// One profile per block of `intervals`, in order, each with that block's samples: the parts
  /// every per-block view (`IntervalSeries`, the HTML page's range selection) is computed from.
  package func intervalParts() -> [Profile] {
    let blocks = blockOfLabelSets
    return intervals.map { mark in
      subset { _, sample in blocks[Int(sample.labels)] == mark.index ? sample.weight : nil }
    }
  }
}
