import TDPTable
import TraceParse

/// Writes a capture in bpftrace 0.17's text format, as `@[probe, kstack] = count()` prints it:
/// `Attaching N probes...`, two blank lines, then `@[PROBE, ` entries with 4-space-indented
/// `func+off` frames (decimal offsets), innermost first, sorted by ascending count. Drops follow
/// as the non-stack map `@tdptrace_drops[PROBE, REASON]: N`, so they are never lost.
///
/// The BPF frames on top of each stack (`FrameName.Machinery.bpfRuntime`) are removed
/// (`__traceiter_*` and probe dispatch stay: bpftrace shows them too) and stacks that become equal are merged.
public struct CaptureWriter: Sendable {
  /// Frame lines in bpftrace's `kstack(perf)` form (`\tADDR func+off`), for later DWARF work.
  public var keepAddresses = false

  public init(keepAddresses: Bool = false) { self.keepAddresses = keepAddresses }

  /// Whether a frame is the BPF machinery that runs the program, not the traced kernel.
  static func isBPFFrame(_ name: String) -> Bool { FrameName.machinery(Substring(name)) == .bpfRuntime }

  /// The addresses below the BPF frames on top (the program and its trampoline).
  static func traced(_ addresses: [UInt64], _ symbols: KernelSymbols) -> [UInt64] {
    var frames = addresses[...]
    while let first = frames.first, let (symbol, _) = symbols.lookup(first), isBPFFrame(symbol.name) {
      frames = frames.dropFirst()
    }
    return Array(frames)
  }

  /// One stack in the output: the probe's name and the frames after BPF frames were stripped.
  public struct Stack: Hashable, Sendable {
    public var probe: String
    public var addresses: [UInt64]
    /// `record --spte`: the change (`RawCapture.Entry.spte`), 0 for other probes.
    public var spte: UInt32 = 0
    /// `record --spte`: the operation of a change or split (`RawCapture.Entry.op`), 0 for none.
    public var op: UInt32 = 0
  }

  /// Strips the BPF frames, merges equal stacks, and sorts as bpftrace does (ascending count; ties
  /// by probe, then frames, so output is stable).
  public func stacks(_ capture: RawCapture, symbols: KernelSymbols) -> [(stack: Stack, count: UInt64)] {
    var merged: [Stack: UInt64] = [:]
    for entry in capture.entries {
      let probe =
        Int(entry.probe) < capture.probes.count
        ? capture.probes[Int(entry.probe)].name : "probe\(entry.probe)"
      let stack = Stack(
        probe: probe, addresses: Self.traced(entry.addresses, symbols), spte: entry.spte, op: entry.op)
      merged[stack, default: 0] += entry.count
    }
    return merged.map { (stack: $0.key, count: $0.value) }.sorted { a, b in
      if a.count != b.count { return a.count < b.count }
      if a.stack.probe != b.stack.probe { return a.stack.probe < b.stack.probe }
      if a.stack.addresses != b.stack.addresses {
        return a.stack.addresses.lexicographicallyPrecedes(b.stack.addresses)
      }
      if a.stack.spte != b.stack.spte { return a.stack.spte < b.stack.spte }
      return a.stack.op < b.stack.op
    }
  }

  /// `record --spte`'s operations as `@spte_op` entries (`SPTECaptureKey.opMap`), by id.
  func operations(_ capture: RawCapture, symbols: KernelSymbols) -> String {
    var out = ""
    for op in capture.operations {
      let members: [String] = [
        Self.probeName(op.probe, in: capture), SPTECaptureKey.opToken(op.op), String(op.pid), String(op.tid),
        SPTECaptureKey.commToken(op.comm), String(op.start),
        op.duration.map { String($0) } ?? SPTECaptureKey.runningToken, String(op.changes), String(op.splits),
        String(op.flushes), String(op.leafZaps), String(op.unflushed),
      ]
      out +=
        "\(SPTECaptureKey.opMap)[" + members.joined(separator: ", ") + ", \n"
        + frameLines(Self.traced(op.addresses, symbols), symbols) + "]: 1\n"
    }
    return out
  }

  /// A stack's frame lines, innermost first, as bpftrace's kstack prints them.
  func frameLines(_ addresses: [UInt64], _ symbols: KernelSymbols) -> String {
    var out = ""
    for address in addresses {
      if keepAddresses {
        out += "\t" + String(address, radix: 16) + " " + symbols.name(of: address) + "\n"
      } else {
        out += "    " + symbols.name(of: address) + "\n"
      }
    }
    return out
  }

  /// The name of probe `id` in the capture.
  static func probeName(_ id: UInt32, in capture: RawCapture) -> String {
    Int(id) < capture.probes.count ? capture.probes[Int(id)].name : "probe\(id)"
  }

  /// The drop counters by probe name and reason, ascending by count.
  public func drops(_ capture: RawCapture) -> [(probe: String, reason: DropReason, count: UInt64)] {
    capture.drops.map { key, count in
      let probe =
        Int(key.probe) < capture.probes.count ? capture.probes[Int(key.probe)].name : "probe\(key.probe)"
      return (probe, key.reason, count)
    }.sorted { a, b in
      if a.count != b.count { return a.count < b.count }
      if a.probe != b.probe { return a.probe < b.probe }
      return a.reason < b.reason
    }
  }

  /// The whole capture as text.
  public func render(_ capture: RawCapture, symbols: KernelSymbols) -> String {
    Self.preamble(capture) + "\n\n" + body(capture, symbols: symbols)
  }

  /// The lines before the maps: `record --spte`'s header (`SPTECaptureKey.headerLines`), then
  /// bpftrace's `Attaching N probes...`.
  static func preamble(_ capture: RawCapture) -> String {
    let spte = capture.spteMasks.map { SPTECaptureKey.headerLines(masks: $0.masks, source: $0.source) } ?? ""
    let faults = capture.faultLayout.map(FaultWriter.headerLines) ?? ""
    let lock = capture.lockLayout.map(LockWriter.headerLines) ?? ""
    return spte + faults + lock + attaching(capture.probes.count)
  }

  /// bpftrace's first line, `Attaching N probes...`.
  static func attaching(_ probes: Int) -> String { "Attaching \(probes) probe\(probes == 1 ? "" : "s")...\n" }

  /// The maps: stacks and drops, or the latency maps.
  func body(_ capture: RawCapture, symbols: KernelSymbols) -> String {
    if capture.mode == .latency { return LatencyWriter(writer: self, symbols: symbols).render(capture) }
    if capture.faultLayout != nil { return FaultWriter(writer: self, symbols: symbols).render(capture) }
    if capture.lockLayout != nil { return LockWriter(writer: self, symbols: symbols).render(capture) }
    var out = ""
    // bpftrace prints map after map, a blank line between: @ first, then @spte, @spte_split.
    var changes = ""
    var splits = ""
    for (stack, count) in stacks(capture, symbols: symbols) {
      if let change = SPTEClass.change(key: stack.spte) {
        changes +=
          "\(SPTECaptureKey.map)[\(stack.probe), \(SPTECaptureKey.levelName(change.level)), \(change.old.token), "
          + "\(change.new.token), \(SPTECaptureKey.pfnToken(change.pfnChanged)), \(SPTECaptureKey.opToken(stack.op)), \n"
          + frameLines(stack.addresses, symbols) + "]: \(count)\n"
      } else if let split = SPTECaptureKey.split(key: stack.spte) {
        let result = SPTECaptureKey.resultToken(errno: split.errno) { Errno.names[Int32($0)] }
        splits +=
          "\(SPTECaptureKey.splitMap)[\(stack.probe), \(SPTECaptureKey.levelName(split.level)), \(result), "
          + "\(SPTECaptureKey.opToken(stack.op)), \n"
          + frameLines(stack.addresses, symbols) + "]: \(count)\n"
      } else {
        out += "@[\(stack.probe), \n" + frameLines(stack.addresses, symbols) + "]: \(count)\n"
      }
    }
    for map in [changes, splits, operations(capture, symbols: symbols)] where !map.isEmpty {
      out += (out.isEmpty ? "" : "\n") + map
    }
    let drops = drops(capture)
    if !drops.isEmpty {
      out += "\n"
      for drop in drops { out += "@tdptrace_drops[\(drop.probe), \(drop.reason.name)]: \(drop.count)\n" }
    }
    return out
  }
}
