#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Remembers every distinct frame line seen (its bytes, indentation stripped) and what it parsed
/// to, so a frame repeated across thousands of stacks is parsed, and its `Frame` hashed, once.
/// A lookup hashes the bytes and compares them; no String or Array is made on a hit.
struct BpftraceFrameCache {
  /// Parsed frames, kind still unset; a line's index in here is its template id.
  private(set) var templates: [Frame] = []
  /// `FrameID` in the builder for each template as a kernel-stack / user-stack frame.
  private var kernelIDs: [FrameID] = []
  private var userIDs: [FrameID] = []
  private static let none = FrameID.max

  /// What a template's address or DSO says about its stack: 0 nothing, 1 kernel, 2 user.
  private(set) var placement: [UInt8] = []

  private var arena: [UInt8] = []
  private var entryStart: [Int] = []
  private var entryLength: [Int32] = []
  private var entryHash: [UInt64] = []
  /// Open-addressing table: high 32 bits of the hash, low 32 bits template index + 1 (0 = empty).
  private var table: [UInt64] = Array(repeating: 0, count: 1024)
  private let glued: Bool

  init(glued: Bool = false) { self.glued = glued }

  /// The template id for a frame line, parsing it on first sight.
  mutating func template(for raw: UnsafeBufferPointer<UInt8>) -> Int32 {
    var lo = 0
    var hi = raw.count
    while lo < hi, BpftraceStackLine.isSpace(raw[lo]) { lo += 1 }
    while hi > lo, BpftraceStackLine.isSpace(raw[hi - 1]) { hi -= 1 }
    let line = UnsafeBufferPointer(rebasing: raw[lo..<hi])
    let hash = hashBytes(line)
    let tag = hash & 0xFFFF_FFFF_0000_0000
    let mask = table.count - 1
    var slot = Int(truncatingIfNeeded: hash) & mask
    let found: Int32? = table.withUnsafeBufferPointer { t in
      arena.withUnsafeBufferPointer { a in
        while true {
          let entry = t[slot]
          if entry == 0 { return nil }
          if entry & 0xFFFF_FFFF_0000_0000 == tag {
            let index = Int(entry & 0xFFFF_FFFF) - 1
            if Int(entryLength[index]) == line.count
              && (line.count == 0
                || Self.equal(a.baseAddress! + entryStart[index], line.baseAddress!, line.count))
            {
              return Int32(index)
            }
          }
          slot = (slot + 1) & mask
        }
      }
    }
    if let found { return found }
    let index = templates.count
    let frame = BpftraceStackLine.parse(line, glued: glued)
    templates.append(frame)
    if let address = frame.address {
      placement.append(address >= BpftraceStackLine.kernelAddressFloor ? 1 : 2)
    } else {
      placement.append(frame.module != nil ? 2 : 0)
    }
    kernelIDs.append(Self.none)
    userIDs.append(Self.none)
    entryStart.append(arena.count)
    entryLength.append(Int32(line.count))
    entryHash.append(hash)
    arena.append(contentsOf: line)
    table[slot] = tag | UInt64(index + 1)
    if templates.count * 2 > table.count { grow() }
    return Int32(index)
  }

  /// The builder's id for a template placed in a kernel or a user stack.
  mutating func frameID(_ template: Int32, kernel: Bool, builder: inout ProfileBuilder) -> FrameID {
    let t = Int(template)
    let cached = kernel ? kernelIDs[t] : userIDs[t]
    if cached != Self.none { return cached }
    var frame = templates[t]
    frame.kind = BpftraceStackLine.kind(of: frame, inKernelStack: kernel)
    let id = builder.intern(frame)
    if kernel { kernelIDs[t] = id } else { userIDs[t] = id }
    return id
  }

  private mutating func grow() {
    let size = table.count * 2
    var newTable = [UInt64](repeating: 0, count: size)
    let mask = size - 1
    for index in 0..<templates.count {
      let hash = entryHash[index]
      var slot = Int(truncatingIfNeeded: hash) & mask
      while newTable[slot] != 0 { slot = (slot + 1) & mask }
      newTable[slot] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(index + 1)
    }
    table = newTable
  }

  /// Byte equality for short lines, eight bytes at a time (cheaper than a memcmp call).
  @inline(__always)
  static func equal(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    if n < 8 { return memcmp(a, b, n) == 0 }
    let ra = UnsafeRawPointer(a)
    let rb = UnsafeRawPointer(b)
    var i = 0
    while i + 8 <= n {
      if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      {
        return false
      }
      i += 8
    }
    return i == n
      || ra.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        == rb.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
  }
}
