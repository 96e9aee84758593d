/// A value remembered per stored stack (the storage of a sample's `[FrameID]`) and a tag, so a
/// pass over samples does its work once per distinct stack instead of once per sample: a
/// builder stores each distinct stack once and its samples (other comms, pids, probes) share
/// that storage. Equal storage means equal frames; equal frames in different storage just miss.
///
/// The profile whose samples are looked up must outlive the memo (it holds no references).
package struct StackStorageMemo {
  private var index = HashIndex()
  private var storages: [UnsafeRawPointer] = []
  private var tags: [Int] = []
  private var values: [UInt32] = []

  package init() {}

  /// The value remembered for `stack` under `tag`, or `make()`'s, remembered.
  @inline(__always)
  package mutating func value(for stack: [FrameID], tag: Int = 0, orMake make: () throws -> UInt32) rethrows
    -> UInt32
  {
    guard let storage = stack.withUnsafeBufferPointer({ UnsafeRawPointer($0.baseAddress) }) else {
      return try make()  // no storage (an empty stack): nothing to share
    }
    var hash = UInt64(UInt(bitPattern: storage)) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(UInt(bitPattern: tag))
    hash = (hash ^ (hash >> 29)) &* 0xBF58_476D_1CE4_E5B9
    hash ^= hash >> 32
    if let known = index.find(hash, matches: { storages[$0] == storage && tags[$0] == tag }) {
      return values[known]
    }
    let value = try make()
    index.append(hash)
    storages.append(storage)
    tags.append(tag)
    values.append(value)
    return value
  }
}
