#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A hash table from byte strings to `UInt32` values, for parsers that see the same bytes
/// millions of times (a frame line, a sample header's comm and event, a stack of frame ids):
/// a lookup hashes and compares raw bytes, so a repeated line costs no `String`, no `Array`
/// and no allocation. Keys are copied into one arena; memory follows the number of unique keys.
///
/// Open addressing with linear probing; the table doubles at 50% load.
package struct ByteKeyTable: ~Copyable {
  /// 16 bytes, so a table of a few thousand keys stays in L2 cache.
  private struct Slot {
    /// The high 32 bits of the hash; 0 marks an empty slot (a real 0 is stored as 1).
    var hash: UInt32
    var value: UInt32
    var offset: UInt32
    var length: UInt32
  }

  private var slots: UnsafeMutablePointer<Slot>
  private var mask: Int
  private var arena: UnsafeMutablePointer<UInt8>
  private var arenaCapacity: Int
  private var arenaUsed = 0
  /// Arena offset of each key, in insertion order; key `i` ends where key `i + 1` starts.
  private var keyStarts: [Int] = []
  /// Keys stored.
  package var count: Int { keyStarts.count }
  /// Bytes of key text stored.
  var arenaBytes: Int { arenaUsed }

  package init(capacity: Int = 1024) {
    var size = 16
    while size < capacity * 2 { size <<= 1 }
    slots = .allocate(capacity: size)
    slots.initialize(repeating: Slot(hash: 0, value: 0, offset: 0, length: 0), count: size)
    mask = size - 1
    arenaCapacity = 64 << 10
    arena = .allocate(capacity: arenaCapacity)
  }

  deinit {
    slots.deallocate()
    arena.deallocate()
  }

  /// The value stored for the `length` bytes at `key`, or nil.
  @inline(__always)
  package func find(_ key: UnsafePointer<UInt8>, _ length: Int, hash rawHash: UInt64) -> UInt32? {
    let hash = Self.tag(rawHash)
    var i = Int(truncatingIfNeeded: rawHash) & mask
    while true {
      let slot = slots[i]
      if slot.hash == 0 { return nil }
      if slot.hash == hash && Int(slot.length) == length && memcmp(arena + Int(slot.offset), key, length) == 0
      {
        return slot.value
      }
      i = (i &+ 1) & mask
    }
  }

  /// Stores `value` for a key that `find` did not find.
  package mutating func insert(
    _ key: UnsafePointer<UInt8>, _ length: Int, hash rawHash: UInt64, value: UInt32
  ) {
    if (keyStarts.count + 1) * 2 > mask + 1 { grow() }
    if arenaUsed + length > arenaCapacity {
      var newCapacity = arenaCapacity * 2
      while arenaUsed + length > newCapacity { newCapacity *= 2 }
      let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
      grown.update(from: arena, count: arenaUsed)
      arena.deallocate()
      arena = grown
      arenaCapacity = newCapacity
    }
    precondition(arenaUsed + length < Int(UInt32.max), "more than 4 GB of distinct keys")
    (arena + arenaUsed).update(from: key, count: length)
    place(
      Slot(hash: Self.tag(rawHash), value: value, offset: UInt32(arenaUsed), length: UInt32(length)),
      home: Int(truncatingIfNeeded: rawHash))
    keyStarts.append(arenaUsed)
    arenaUsed += length
  }

  /// Whether the `index`-th key inserted equals the `length` bytes at `key`: a check without
  /// hashing, for callers that can guess which key comes next.
  @inline(__always)
  func keyEquals(_ index: Int, _ key: UnsafePointer<UInt8>, _ length: Int) -> Bool {
    let stored = self.key(index)
    return stored.count == length && memcmp(stored.baseAddress!, key, length) == 0
  }

  /// The bytes of the `index`-th key inserted, valid until the next `insert`.
  @inline(__always)
  package func key(_ index: Int) -> UnsafeBufferPointer<UInt8> {
    let start = keyStarts[index]
    let end = index + 1 < keyStarts.count ? keyStarts[index + 1] : arenaUsed
    return UnsafeBufferPointer(start: arena + start, count: end - start)
  }

  /// Whether the `a`-th key sorts before the `b`-th by bytes.
  package func keyPrecedes(_ a: Int, _ b: Int) -> Bool { bytesPrecede(key(a), key(b)) }

  @inline(__always)
  private static func tag(_ hash: UInt64) -> UInt32 {
    let high = UInt32(truncatingIfNeeded: hash >> 32)
    return high == 0 ? 1 : high
  }

  /// `home` is the low bits of the full hash, where probing starts.
  private func place(_ slot: Slot, home: Int) {
    var i = home & mask
    while slots[i].hash != 0 { i = (i &+ 1) & mask }
    slots[i] = slot
  }

  private mutating func grow() {
    let oldSlots = slots
    let oldSize = mask + 1
    let size = oldSize * 2
    slots = .allocate(capacity: size)
    slots.initialize(repeating: Slot(hash: 0, value: 0, offset: 0, length: 0), count: size)
    mask = size - 1
    // Rehash from the stored keys: slots keep only the high half of the hash.
    for i in 0..<oldSize where oldSlots[i].hash != 0 {
      let slot = oldSlots[i]
      let home = hashBytes(arena + Int(slot.offset), Int(slot.length))
      place(slot, home: Int(truncatingIfNeeded: home))
    }
    oldSlots.deallocate()
  }
}

/// A fast non-cryptographic hash of bytes (8 bytes per multiply), good enough for interning
/// tables whose keys an attacker could at worst make collide into slow lookups, never wrong ones.
@inlinable @inline(__always)
package func hashBytes(_ p: UnsafePointer<UInt8>, _ length: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15)
  -> UInt64
{
  var h = seed ^ UInt64(truncatingIfNeeded: length)
  let raw = UnsafeRawPointer(p)
  var i = 0
  while i + 8 <= length {
    let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
    h = (h ^ word) &* 0x5851_F42D_4C95_7F2D
    h ^= h >> 29
    i += 8
  }
  if i < length {
    var tail: UInt64 = 0
    if length >= 8 {
      // The last eight bytes, overlapping some already mixed in: one load, not a byte loop.
      tail = raw.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)
    } else {
      var shift: UInt64 = 0
      while i < length {
        tail |= UInt64(p[i]) << shift
        shift += 8
        i += 1
      }
    }
    h = (h ^ tail) &* 0x5851_F42D_4C95_7F2D
    h ^= h >> 29
  }
  h = (h ^ (h >> 32)) &* 0xD6E8_FEB8_6659_FD93
  return h ^ (h >> 32)
}

/// `hashBytes` of a buffer, which may be empty (and then has no base address).
@inlinable @inline(__always)
package func hashBytes(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
  guard let base = bytes.baseAddress else {
    return withUnsafePointer(to: UInt8(0)) { hashBytes($0, 0) }
  }
  return hashBytes(base, bytes.count)
}
