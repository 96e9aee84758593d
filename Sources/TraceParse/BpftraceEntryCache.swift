/// Recognizes a whole bpftrace entry it has seen before, `@name[` + frame lines + `]: N`, by its
/// raw bytes, so a stack repeated across a capture's `print(@)` intervals costs one hash of its
/// text and one compare instead of a frame lookup per line.
///
/// While an entry of that shape is read, its frame lines are only copied here. At `]: N` the
/// bytes are looked up: on a hit the count goes straight to the sample it made last time; on a
/// miss (or any other shape: a tuple key, a stack value, an error) the session replays the
/// copied lines through the frame-by-frame path, which then decides. The key includes the map
/// name, so a hit always means the same map, stack and labels.
///
/// Memory: at most `arenaLimit` bytes of distinct entry text are kept; past that, new entries
/// take the frame-by-frame path and old ones still hit.
struct BpftraceEntryCache: ~Copyable {
  static let arenaLimit = 16 << 20

  private var table = ByteKeyTable()
  private var bytes: UnsafeMutablePointer<UInt8>
  private var capacity = 4096
  private var used = 0
  /// Where each copied frame line ends in `bytes` (the next starts after its separator).
  private var lineEnds: [Int] = []
  /// Bytes of the map name prefix at the start of `bytes`.
  private var prefixLength = 0
  /// Whether an entry's lines are being copied rather than parsed.
  private(set) var active = false

  init() { bytes = .allocate(capacity: capacity) }

  deinit { bytes.deallocate() }

  /// Starts copying an entry of map `name` (`@name[` alone on its line).
  mutating func begin(map name: UnsafeBufferPointer<UInt8>) {
    used = 0
    lineEnds.removeAll(keepingCapacity: true)
    append(bytes: name)
    prefixLength = used
    active = true
  }

  /// Copies one frame line (as read, indentation included).
  mutating func append(line: UnsafeBufferPointer<UInt8>) {
    append(bytes: line)
    lineEnds.append(used - 1)
  }

  /// The sample this entry's text made before, and the hash to `remember` it by on a miss.
  func lookup() -> (hash: UInt64, sample: Int?) {
    let hash = hashBytes(bytes, used)
    return (hash, table.find(bytes, used, hash: hash).map { Int($0) })
  }

  /// Records that the current entry's text makes sample `index`.
  mutating func remember(hash: UInt64, sample index: Int) {
    guard table.arenaBytes + used <= Self.arenaLimit else { return }
    table.insert(bytes, used, hash: hash, value: UInt32(index))
  }

  /// Hands each copied frame line to `body` in order, and stops copying.
  mutating func replay(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
    var start = prefixLength
    for end in lineEnds {
      body(UnsafeBufferPointer(start: bytes + start, count: end - start))
      start = end + 1
    }
    active = false
  }

  /// Stops copying (the entry was counted through the cache).
  mutating func end() { active = false }

  private mutating func append(bytes line: UnsafeBufferPointer<UInt8>) {
    // A separator, so `ab` + `c` and `a` + `bc` never give the same key.
    let needed = used + line.count + 1
    if needed > capacity {
      var newCapacity = capacity * 2
      while newCapacity < needed { newCapacity *= 2 }
      let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
      grown.update(from: bytes, count: used)
      bytes.deallocate()
      bytes = grown
      capacity = newCapacity
    }
    if let base = line.baseAddress { (bytes + used).update(from: base, count: line.count) }
    used += line.count
    bytes[used] = 0x0A
    used += 1
  }
}
