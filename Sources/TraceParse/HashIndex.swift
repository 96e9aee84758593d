/// An open-addressing index from 64-bit hashes to the dense indices `0..<count` of a table kept
/// elsewhere (frames, samples, frame lines). A slot holds the hash's high 32 bits and index + 1
/// (0 = empty), so most probes touch only the slot array; the caller's `matches` compares an
/// entry only when the tag agrees. Linear probing; the slot array doubles at 50% load and is
/// rebuilt from the stored hashes.
///
/// Dictionaries keyed by the entries themselves (a `[FrameID]` stack, a `Frame`) hashed every
/// element with SipHash on every lookup, which dominated parsing large captures.
struct HashIndex: Sendable {
  private var slots: [UInt64]
  private var hashes: [UInt64] = []
  private static let tagMask: UInt64 = 0xFFFF_FFFF_0000_0000

  init() { slots = Array(repeating: 0, count: 1024) }

  /// An index of entries `0..<hashes.count` with these hashes.
  init(hashes: [UInt64]) {
    var size = 1024
    while size < hashes.count * 2 + 2 { size *= 2 }
    self.hashes = hashes
    slots = Self.slots(for: hashes, size: size)
  }

  /// Entries indexed.
  var count: Int { hashes.count }

  /// The index of the entry with `hash` for which `matches` is true, or nil.
  @inline(__always)
  func find(_ hash: UInt64, matches: (Int) -> Bool) -> Int? {
    let mask = slots.count - 1
    let tag = hash & Self.tagMask
    var slot = Int(truncatingIfNeeded: hash) & mask
    while true {
      let entry = slots[slot]
      if entry == 0 { return nil }
      let index = Int(entry & 0xFFFF_FFFF) - 1
      if entry & Self.tagMask == tag && matches(index) { return index }
      slot = (slot + 1) & mask
    }
  }

  /// Indexes the next entry (index `count`) under `hash`; for an entry `find` did not find.
  @inline(__always)
  mutating func append(_ hash: UInt64) {
    precondition(hashes.count < Int(UInt32.max) - 1, "more than 2^32 entries")
    let mask = slots.count - 1
    var slot = Int(truncatingIfNeeded: hash) & mask
    while slots[slot] != 0 { slot = (slot + 1) & mask }
    slots[slot] = (hash & Self.tagMask) | UInt64(hashes.count + 1)
    hashes.append(hash)
    if hashes.count * 2 > slots.count { slots = Self.slots(for: hashes, size: slots.count * 2) }
  }

  private static func slots(for hashes: [UInt64], size: Int) -> [UInt64] {
    var slots = [UInt64](repeating: 0, count: size)
    let mask = size - 1
    for (index, hash) in hashes.enumerated() {
      var slot = Int(truncatingIfNeeded: hash) & mask
      while slots[slot] != 0 { slot = (slot + 1) & mask }
      slots[slot] = (hash & tagMask) | UInt64(index + 1)
    }
    return slots
  }
}
