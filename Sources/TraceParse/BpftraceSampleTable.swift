#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Sums the weights of identical (stack, labels) pairs while a bpftrace file is read, then
/// hands the unique samples to the `ProfileBuilder` in order of first appearance. A bpftrace
/// capture repeats the same few thousand stacks (one `print(@)` per interval), so this keeps
/// the per-entry cost to one cheap hash and one memcmp of the FrameID array instead of a
/// Dictionary lookup with SipHash.
struct BpftraceSampleTable {
  private var stacks: [FrameID] = []
  private var start: [Int] = []
  private var length: [Int32] = []
  private var labels: [LabelSetID] = []
  private var hashes: [UInt64] = []
  private(set) var weights: [UInt64] = []
  /// Open addressing: entry index + 1, 0 = empty.
  private var table: [Int32] = Array(repeating: 0, count: 1024)

  var isEmpty: Bool { weights.isEmpty }

  /// Adds `weight` to the pair; on overflow returns the existing weight and changes nothing.
  mutating func add(stack: [FrameID], labels labelID: LabelSetID, weight: UInt64) -> UInt64? {
    let hash = stack.withUnsafeBytes { raw in
      hashBytes(raw.bindMemory(to: UInt8.self)) ^ (UInt64(labelID) &* 0x9E37_79B9_7F4A_7C15)
    }
    let mask = table.count - 1
    var slot = Int(truncatingIfNeeded: hash) & mask
    while true {
      let entry = table[slot]
      if entry == 0 { break }
      let index = Int(entry - 1)
      if hashes[index] == hash, labels[index] == labelID, Int(length[index]) == stack.count,
        stacks.withUnsafeBufferPointer({ all in
          stack.withUnsafeBufferPointer { s in
            s.isEmpty || memcmp(all.baseAddress! + start[index], s.baseAddress!, s.count * 4) == 0
          }
        })
      {
        let (sum, overflow) = weights[index].addingReportingOverflow(weight)
        if overflow { return weights[index] }
        weights[index] = sum
        return nil
      }
      slot = (slot + 1) & mask
    }
    let index = weights.count
    start.append(stacks.count)
    length.append(Int32(stack.count))
    stacks.append(contentsOf: stack)
    labels.append(labelID)
    hashes.append(hash)
    weights.append(weight)
    table[slot] = Int32(index + 1)
    if weights.count * 2 > table.count { grow() }
    return nil
  }

  /// Moves every sample into `builder`, in order of first appearance.
  mutating func flush(into builder: inout ProfileBuilder) throws(AggregationError) {
    for index in weights.indices {
      let stack = Array(stacks[start[index]..<(start[index] + Int(length[index]))])
      try builder.add(stack: stack, labels: labels[index], weight: weights[index])
    }
    self = BpftraceSampleTable()
  }

  private mutating func grow() {
    let size = table.count * 2
    var newTable = [Int32](repeating: 0, count: size)
    let mask = size - 1
    for index in weights.indices {
      var slot = Int(truncatingIfNeeded: hashes[index]) & mask
      while newTable[slot] != 0 { slot = (slot + 1) & mask }
      newTable[slot] = Int32(index + 1)
    }
    table = newTable
  }
}
