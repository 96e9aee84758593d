/// Sums the weights of identical (label set, stack) pairs while a parser streams, hashing each
/// stack once as raw `UInt32` ids instead of building an `Array` key per sample. The unique
/// stacks go to a `ProfileBuilder` at the end, in order of first appearance.
struct StackAccumulator: ~Copyable {
  private var table = ByteKeyTable()
  /// Unique stacks, flattened: `[label, frame, frame, ...]` from `starts[i]` to `starts[i + 1]`.
  private var store: [UInt32] = []
  private var starts: [Int] = []
  private var weights: [UInt64] = []
  /// The stack being read: `current[0]` is the label set id, then frames in input order.
  private var current: UnsafeMutablePointer<UInt32>
  private var capacity = 256
  private(set) var depth = 0

  init() {
    current = .allocate(capacity: capacity)
  }

  deinit { current.deallocate() }

  var uniqueCount: Int { weights.count }
  /// The sum of every committed weight: a total beyond UInt64 is refused at the sample that
  /// causes it, while its line is known, as `ProfileBuilder` does.
  private(set) var total: UInt64 = 0

  mutating func begin(labels: LabelSetID) {
    current[0] = labels
    depth = 0
  }

  @inline(__always)
  mutating func push(_ frame: FrameID) {
    if depth + 1 == capacity { growCurrent() }
    depth += 1
    current[depth] = frame
  }

  var last: FrameID? { depth > 0 ? current[depth] : nil }

  /// The label set id of the stack being read.
  var labels: LabelSetID { current[0] }

  mutating func replaceLast(_ frame: FrameID) {
    if depth > 0 { current[depth] = frame }
  }

  /// Adds `weight` to the current stack. Returns false, changing nothing, if the total would
  /// overflow UInt64 (which bounds the stack's sum too).
  mutating func commit(weight: UInt64) -> Bool {
    let (newTotal, totalOverflow) = total.addingReportingOverflow(weight)
    if totalOverflow { return false }
    total = newTotal
    let length = (depth + 1) * MemoryLayout<UInt32>.stride
    return current.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
      let hash = hashBytes(bytes, length)
      if let index = table.find(bytes, length, hash: hash) {
        weights[Int(index)] += weight
        return true
      }
      table.insert(bytes, length, hash: hash, value: UInt32(weights.count))
      starts.append(store.count)
      store.append(contentsOf: UnsafeBufferPointer(start: current, count: depth + 1))
      weights.append(weight)
      return true
    }
  }

  /// Hands every unique stack to `builder`. `leafFirst` says the parser pushed frames leaf
  /// first (perf, bpftrace) so they are reversed into the model's root-first order.
  func flush(into builder: inout ProfileBuilder, leafFirst: Bool) throws(AggregationError) {
    var stack: [FrameID] = []
    for i in 0..<weights.count {
      let from = starts[i]
      let to = i + 1 < starts.count ? starts[i + 1] : store.count
      stack.removeAll(keepingCapacity: true)
      if leafFirst {
        var j = to - 1
        while j > from {
          stack.append(store[j])
          j -= 1
        }
      } else {
        stack.append(contentsOf: store[(from + 1)..<to])
      }
      try builder.add(stack: stack, labels: store[from], weight: weights[i])
    }
  }

  private mutating func growCurrent() {
    let grown = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity * 2)
    grown.update(from: current, count: depth + 1)
    current.deallocate()
    current = grown
    capacity *= 2
  }
}
