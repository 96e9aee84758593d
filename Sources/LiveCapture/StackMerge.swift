import CTDPTraceBPF

/// Resolves the kernel side's stack ids (bpf/tdptrace.h, "stack ids"): the stack map's (>= 0),
/// the fallback map's (<= -2, `fallback_stackid`), or none (`NO_STACKID`).
struct StackIDs {
  /// A stack-map stack by id, innermost first; nil when the id is no longer in the map.
  var stackMap: (Int32) -> [UInt64]?
  /// The fallback map's stacks (by content, for those the stack map had no bucket for), by
  /// fallback id, innermost first.
  var fallback: [UInt32: [UInt64]]

  init(stackMap: @escaping (Int32) -> [UInt64]?, fallback: [UInt32: [UInt64]]) {
    self.stackMap = stackMap
    self.fallback = fallback
  }

  /// The stack of `id`: empty for `NO_STACKID` (a call timed without its stack); nil when it
  /// cannot be read.
  func frames(_ id: Int32) -> [UInt64]? {
    if id >= 0 { return stackMap(id) }
    if id == NO_STACKID { return [] }
    return fallback[fallback_id(id)]
  }
}

/// Merges what the kernel counted per (probe, stack id, spte) into one entry per (probe, stack
/// content, spte). A stack can be counted under a stack-map id and a fallback id at once (a bucket is
/// taken between two events of a stack, or two CPUs race for one), and a capture must show each
/// (probe, stack) once, as bpftrace does: equal stacks are summed, count by count or bucket by
/// bucket. Entries come out ordered by probe, then addresses.
enum StackMerge {
  private struct Key: Hashable {
    var probe: UInt32
    var addresses: [UInt64]
    var spte: UInt32
    var op: UInt32
  }

  private static func ordered(_ a: Key, _ b: Key) -> Bool {
    if a.probe != b.probe { return a.probe < b.probe }
    if a.addresses != b.addresses { return a.addresses.lexicographicallyPrecedes(b.addresses) }
    if a.spte != b.spte { return a.spte < b.spte }
    return a.op < b.op
  }

  /// The values of `values` merged by probe and stack content (`combine` joins two of one
  /// stack), in probe then address order, and per probe the `weight` of those whose stack could
  /// not be read.
  private static func merge<Value>(
    _ values: [CountKey: Value], stacks: StackIDs, combine: (Value, Value) -> Value,
    weight: (Value) -> UInt64
  ) -> (merged: [(key: Key, value: Value)], unreadable: [UInt32: UInt64]) {
    var merged: [Key: Value] = [:]
    var unreadable: [UInt32: UInt64] = [:]
    for (key, value) in values {
      if let frames = stacks.frames(key.stackid) {
        let k = Key(probe: key.probe, addresses: frames, spte: key.spte, op: key.op)
        merged[k] = merged[k].map { combine($0, value) } ?? value
      } else {
        unreadable[key.probe, default: 0] += weight(value)
      }
    }
    return (merged.sorted { ordered($0.key, $1.key) }.map { ($0.key, $0.value) }, unreadable)
  }

  /// Count mode: the entries, and per probe the events whose stack could not be read.
  static func counts(_ counts: [CountKey: UInt64], stacks: StackIDs) -> (
    entries: [RawCapture.Entry], unreadable: [UInt32: UInt64]
  ) {
    let (merged, unreadable) = merge(counts, stacks: stacks, combine: +, weight: { $0 })
    let entries = merged.map {
      RawCapture.Entry(
        probe: $0.key.probe, addresses: $0.key.addresses, count: $0.value, spte: $0.key.spte, op: $0.key.op)
    }
    return (entries, unreadable)
  }

  /// `--latency`: the histograms, and per probe the calls whose entry stack could not be read.
  static func latency(_ hists: [CountKey: LatencyCounts], stacks: StackIDs) -> (
    entries: [RawCapture.LatencyEntry], unreadable: [UInt32: UInt64]
  ) {
    let (merged, unreadable) = merge(hists, stacks: stacks, combine: { $0.merged(with: $1) }, weight: \.count)
    let entries = merged.map {
      RawCapture.LatencyEntry(probe: $0.key.probe, addresses: $0.key.addresses, counts: $0.value)
    }
    return (entries, unreadable)
  }
}
