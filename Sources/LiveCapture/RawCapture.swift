/// Counts as read from the kernel: raw stack addresses (innermost first, as the stack map holds
/// them) per probe id, and drop counters.
public struct RawCapture: Sendable {
  public struct Entry: Sendable, Equatable {
    public var probe: UInt32
    /// Innermost frame first.
    public var addresses: [UInt64]
    public var count: UInt64
  }

  public struct DropKey: Sendable, Hashable {
    public var probe: UInt32
    public var reason: DropReason
  }

  /// One `--latency` histogram: the calls of a probe that entered with this stack.
  public struct LatencyEntry: Sendable, Equatable {
    public var probe: UInt32
    /// The stack at entry, innermost frame first; empty when it could not be taken.
    public var addresses: [UInt64]
    public var counts: LatencyCounts
  }

  /// What was measured: stack counts (`entries`) or call latencies (`latency`).
  public var mode: CaptureMode = .count
  /// The attached probes, by probe id.
  public var probes: [AttachOutcome]
  public var entries: [Entry] = []
  public var latency: [LatencyEntry] = []
  /// `--slower-than`: each slow call, oldest first, at most `CaptureSession.slowLimit`.
  public var slowCalls: [SlowCall] = []
  public var slowCallsOverLimit: UInt64 = 0
  public var drops: [DropKey: UInt64] = [:]

  public init(probes: [AttachOutcome], entries: [Entry] = [], drops: [DropKey: UInt64] = [:]) {
    self.probes = probes
    self.entries = entries
    self.drops = drops
  }

  public var totalCount: UInt64 { entries.reduce(0) { $0 + $1.count } }
  public var totalDrops: UInt64 { drops.values.reduce(0, +) }

  /// Events counted per probe id (drops not included).
  public var countsByProbe: [UInt32: UInt64] {
    entries.reduce(into: [:]) { $0[$1.probe, default: 0] += $1.count }
  }
}

extension RawCapture {
  /// What was counted after `earlier`, a read of the same session: each stack's and each drop
  /// counter's count minus its count then. The kernel's counters only grow while attached, so
  /// no difference is negative; one that would be (a counter the kernel reset) counts whole.
  /// A latency histogram's calls, total and buckets are differences too; its minimum and
  /// maximum have none and stay the later read's (bounds over both intervals, not this one's).
  public func since(_ earlier: RawCapture) -> RawCapture {
    struct Key: Hashable {
      var probe: UInt32
      var addresses: [UInt64]
    }
    var before: [Key: UInt64] = [:]
    for entry in earlier.entries {
      before[Key(probe: entry.probe, addresses: entry.addresses), default: 0] += entry.count
    }
    var now: [Key: UInt64] = [:]
    var order: [Key] = []
    for entry in entries {
      let key = Key(probe: entry.probe, addresses: entry.addresses)
      if now[key] == nil { order.append(key) }
      now[key, default: 0] += entry.count
    }
    var out = RawCapture(probes: probes)
    out.mode = mode
    for key in order {
      let count = now[key]!
      let old = before[key] ?? 0
      let delta = count >= old ? count - old : count
      if delta > 0 { out.entries.append(Entry(probe: key.probe, addresses: key.addresses, count: delta)) }
    }
    var histograms: [Key: LatencyCounts] = [:]
    for entry in earlier.latency {
      let key = Key(probe: entry.probe, addresses: entry.addresses)
      histograms[key] = histograms[key].map { $0.merged(with: entry.counts) } ?? entry.counts
    }
    for entry in latency {
      let key = Key(probe: entry.probe, addresses: entry.addresses)
      let counts = histograms[key].map { entry.counts.since($0) } ?? entry.counts
      if counts.count > 0 {
        out.latency.append(LatencyEntry(probe: entry.probe, addresses: entry.addresses, counts: counts))
      }
    }
    for (key, count) in drops {
      let old = earlier.drops[key] ?? 0
      let delta = count >= old ? count - old : count
      if delta > 0 { out.drops[key] = delta }
    }
    return out
  }
}
