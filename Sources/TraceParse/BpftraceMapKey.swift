/// The key of one bpftrace map entry while it is read: a tuple whose members are strings,
/// integers, probe names or stacks (bpftrace joins them with `", "` in text and `","` in JSON).
///
/// Rules, the same for text and JSON:
/// - A member that is a multi-line stack (it starts with a newline) is a stack. An **empty**
///   member is an empty stack: bpftrace ≤0.20 prints an empty kstack (user context) as nothing,
///   as in `@[, qemu-kvm]: 3`; ≥0.21 prints `"\n"`, a stack of no frames. Both are kept as a
///   sample with an empty stack, never dropped.
/// - The first member that looks like a probe (`tracepoint:…`, `kprobe:…`, `kfunc:…`, see
///   `ProbeName.bpftrace`) becomes the `probe` label. Every other non-stack member becomes
///   `key<position>`, its 0-based position in the tuple (stacks count as positions): in
///   `@[comm, kstack, pid]` the labels are `key0` and `key2`. bpftrace prints no field names
///   and an integer could be a pid, a tid or a CPU, so no member is guessed to be comm or pid.
/// - Several stacks in one key (kstack and ustack): a stack is a kernel stack if its first
///   address (perf and raw modes) is ≥ 0xffff800000000000, a user stack if its first address is
///   lower or a perf-mode frame names a DSO. In the default mode, which prints neither, the
///   first stack of the key is the kernel stack and any later one a user stack (write
///   `@[kstack, ustack]`, not the reverse). The sample's stack is, root first, the user
///   frames then the kernel frames, as perf shows them.
struct BpftraceMapKey {
  enum Member {
    /// Range into `labelKey` of the member's text: its String is made only for a label set
    /// or a map value seen for the first time, not for every entry.
    case scalar(Range<Int>)
    /// Range into `frames`, leaf first as printed.
    case stack(Range<Int>)
  }

  var map = "@"
  var members: [Member] = []
  /// Template ids (`BpftraceFrameCache`) of all stacks' frames, leaf first as printed.
  var frames: [Int32] = []
  private var openStack: Int?
  /// The map name and the members as bytes (a stack as one marker byte, a scalar as its text
  /// between markers): equal bytes mean equal labels, so a parser finds a label set by them
  /// without building `Labels`.
  private(set) var labelKey: [UInt8] = []

  mutating func reset(map: String) {
    self.map = map
    members.removeAll(keepingCapacity: true)
    frames.removeAll(keepingCapacity: true)
    openStack = nil
    labelKey.removeAll(keepingCapacity: true)
    labelKey.append(contentsOf: map.utf8)
    labelKey.append(0)
  }

  var hasStack: Bool {
    members.contains { if case .stack = $0 { return true } else { return false } }
  }
  var inStack: Bool { openStack != nil }

  mutating func beginStack() { openStack = frames.count }
  mutating func addFrame(_ template: Int32) { frames.append(template) }
  mutating func endStack() {
    if let start = openStack { appendStack(start..<frames.count) }
    openStack = nil
  }

  private mutating func appendStack(_ range: Range<Int>) {
    members.append(.stack(range))
    labelKey.append(1)
  }

  private mutating func appendScalar(_ text: String) {
    labelKey.append(2)
    let start = labelKey.count
    labelKey.append(contentsOf: text.utf8)
    members.append(.scalar(start..<labelKey.count))
    labelKey.append(0)
  }

  /// `appendScalar` for bytes known to be ASCII, without a String.
  private mutating func appendScalar(ascii line: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) {
    labelKey.append(2)
    let start = labelKey.count
    labelKey.append(contentsOf: UnsafeBufferPointer(rebasing: line[lo..<hi]))
    members.append(.scalar(start..<labelKey.count))
    labelKey.append(0)
  }

  /// The text of a scalar member.
  func text(_ range: Range<Int>) -> String { String(decoding: labelKey[range], as: UTF8.self) }

  /// Adds the comma-separated members in `text`; an empty member is an empty stack.
  mutating func addMembers(_ text: Substring, separator: String) {
    for part in text.split(separator: separator, omittingEmptySubsequences: false) {
      if part.isEmpty {
        appendStack(frames.count..<frames.count)
      } else {
        appendScalar(String(part))
      }
    }
  }

  /// `addMembers(_:separator: ", ")` for ASCII bytes `line[lo..<hi]` (where splitting by
  /// characters and by bytes agree), without a Substring.
  mutating func addMembers(ascii line: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) {
    var start = lo
    var i = lo
    while i + 1 < hi {
      if line[i] == 0x2C && line[i + 1] == 0x20 {
        addMember(ascii: line, start, i)
        i += 2
        start = i
      } else {
        i += 1
      }
    }
    addMember(ascii: line, start, hi)
  }

  private mutating func addMember(ascii line: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) {
    if lo == hi {
      appendStack(frames.count..<frames.count)
    } else {
      appendScalar(ascii: line, lo, hi)
    }
  }

  /// Whether a member is a probe as bpftrace's `probe` builtin prints it (`ProbeName.bpftrace`).
  static func isProbe(_ text: String) -> Bool { ProbeName.bpftrace(text) != nil }

  /// `map`, then `probe` and `key<N>` labels in key order.
  func labels() -> Labels {
    var entries = [Labels.Entry(Labels.Name.map, map)]
    var sawProbe = false
    for (position, member) in members.enumerated() {
      guard case .scalar(let range) = member else { continue }
      let text = self.text(range)
      if !sawProbe && Self.isProbe(text) {
        sawProbe = true
        entries.append(Labels.Entry(Labels.Name.probe, text))
      } else {
        entries.append(Labels.Entry(Labels.Name.key(position), text))
      }
    }
    return Labels(entries)
  }

  /// Whether the stack in `range` is a kernel stack (see the type's rules).
  func isKernel(_ range: Range<Int>, ordinal: Int, _ cache: borrowing BpftraceFrameCache) -> Bool {
    for i in range {
      switch cache.placement[Int(frames[i])] {
      case 1: return true
      case 2: return false
      default: continue
      }
    }
    return ordinal == 0
  }

  /// The sample stack, root first: user stacks, then kernel stacks, each reversed from the
  /// leaf-first order bpftrace prints.
  func rootFirstStack(
    _ cache: inout BpftraceFrameCache, into stack: inout [FrameID], builder: inout ProfileBuilder
  ) {
    stack.removeAll(keepingCapacity: true)
    if members.count == 1, case .stack(let range) = members[0] {
      let kernel = isKernel(range, ordinal: 0, cache)
      for i in range.reversed() { stack.append(cache.frameID(frames[i], kernel: kernel, builder: &builder)) }
      return
    }
    var kinds: [Bool] = []
    for member in members {
      if case .stack(let range) = member { kinds.append(isKernel(range, ordinal: kinds.count, cache)) }
    }
    for pass in 0..<2 {
      let kernelPass = pass == 1
      var ordinal = 0
      for member in members {
        guard case .stack(let range) = member else { continue }
        defer { ordinal += 1 }
        guard kinds[ordinal] == kernelPass else { continue }
        for i in range.reversed() {
          stack.append(cache.frameID(frames[i], kernel: kernelPass, builder: &builder))
        }
      }
    }
  }

  /// Key fields as text for a `MapValue`: scalars as printed, a stack as its frames joined
  /// with `;` root first (with offsets).
  func keyStrings(_ cache: borrowing BpftraceFrameCache) -> [String] {
    members.map { member in
      switch member {
      case .scalar(let range): return text(range)
      case .stack(let range):
        return range.reversed().map { cache.templates[Int(frames[$0])].name(keepOffset: true) }.joined(
          separator: ";")
      }
    }
  }

  /// The key's stacks as frames, root first, for a `MapValue` (`MapValue.stacks`); the same
  /// kernel/user placement as a sample's frames.
  func keyStacks(_ cache: borrowing BpftraceFrameCache) -> [MapValue.KeyStack] {
    var stacks: [MapValue.KeyStack] = []
    for (position, member) in members.enumerated() {
      guard case .stack(let range) = member else { continue }
      let kernel = isKernel(range, ordinal: stacks.count, cache)
      var rootFirst: [Frame] = []
      rootFirst.reserveCapacity(range.count)
      for i in range.reversed() {
        var frame = cache.templates[Int(frames[i])]
        frame.kind = BpftraceStackLine.kind(of: frame, inKernelStack: kernel)
        rootFirst.append(frame)
      }
      stacks.append(MapValue.KeyStack(position: position, frames: rootFirst))
    }
    return stacks
  }
}
