/// Remembers every distinct frame line seen (its bytes, indentation stripped) and what it parsed
/// to, so a frame repeated across thousands of stacks is parsed, and its `Frame` hashed, once.
/// A lookup hashes the bytes and compares them; no String or Array is made on a hit.
struct BpftraceFrameCache: ~Copyable {
  /// Parsed frames, kind still unset; a line's index in here is its template id.
  private(set) var templates: [Frame] = []
  /// `FrameID` in the builder for each template as a kernel-stack / user-stack frame.
  private var kernelIDs: [FrameID] = []
  private var userIDs: [FrameID] = []
  private static let none = FrameID.max

  /// What a template's address or DSO says about its stack: 0 nothing, 1 kernel, 2 user.
  private(set) var placement: [UInt8] = []

  /// Template ids by the bytes of their line.
  private var lines = ByteKeyTable()
  private let glued: Bool
  /// The template that followed each template last time (-1: none yet), and the last one
  /// returned.
  private var successor: [Int32] = []
  private var previous: Int32 = -1

  init(glued: Bool = false) { self.glued = glued }

  /// The template id for a frame line, parsing it on first sight.
  mutating func template(for raw: UnsafeBufferPointer<UInt8>) -> Int32 {
    var lo = 0
    var hi = raw.count
    while lo < hi, BpftraceStackLine.isSpace(raw[lo]) { lo += 1 }
    while hi > lo, BpftraceStackLine.isSpace(raw[hi - 1]) { hi -= 1 }
    let line = UnsafeBufferPointer(rebasing: raw[lo..<hi])
    // An empty line has no base address; any valid pointer does for a zero-length key.
    let base = line.baseAddress ?? raw.baseAddress ?? UnsafePointer(bitPattern: 1)!
    // Stacks repeat: guess the line that followed the previous one last time, and confirm
    // with one compare of bytes stored next to it, before hashing.
    if previous >= 0 {
      let guess = successor[Int(previous)]
      if guess >= 0, lines.keyEquals(Int(guess), base, line.count) {
        previous = guess
        return guess
      }
    }
    let hash = hashBytes(line)
    let found: Int32
    if let known = lines.find(base, line.count, hash: hash) {
      found = Int32(known)
    } else {
      found = insert(line, base: base, hash: hash)
    }
    if previous >= 0 { successor[Int(previous)] = found }
    previous = found
    return found
  }

  /// Parses a line seen for the first time and stores it as the next template.
  private mutating func insert(_ line: UnsafeBufferPointer<UInt8>, base: UnsafePointer<UInt8>, hash: UInt64)
    -> Int32
  {
    let id = templates.count
    let frame = BpftraceStackLine.parse(line, glued: glued)
    templates.append(frame)
    if let address = frame.address {
      placement.append(address >= BpftraceStackLine.kernelAddressFloor ? 1 : 2)
    } else {
      placement.append(frame.module != nil ? 2 : 0)
    }
    kernelIDs.append(Self.none)
    userIDs.append(Self.none)
    successor.append(-1)
    lines.insert(base, line.count, hash: hash, value: UInt32(id))
    return Int32(id)
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
}
