/// Counts as read from the kernel: raw stack addresses (innermost first, as the stack map holds
/// them) per probe id, and drop counters.
public struct RawCapture: Sendable {
  public struct Entry: Sendable, Equatable {
    public var probe: UInt32
    /// Innermost frame first.
    public var addresses: [UInt64]
    public var count: UInt64
    /// `record --spte`: the change counted (`spte_change_key`, `SPTEClass.change(key:)`); 0 for
    /// every other probe.
    public var spte: UInt32 = 0
    /// `record --spte`: the operation the change or split fell in (`op_record.op`); 0: none.
    public var op: UInt32 = 0
  }

  /// `record --spte`: one operation, from its root's entry to its exit (`struct op_record`).
  public struct Operation: Sendable, Equatable {
    public var op: UInt32
    /// The root's probe id.
    public var probe: UInt32
    /// The stack at the root's entry, innermost frame first; empty when it could not be taken.
    public var addresses: [UInt64]
    public var pid: UInt32
    public var tid: UInt32
    public var comm: String
    public var start: UInt64
    /// Entry to exit, ns; nil when the root had not returned at stop.
    public var duration: UInt64?
    public var changes: UInt64
    public var splits: UInt64
    public var flushes: UInt64
    public var leafZaps: UInt64
    public var unflushed: UInt64
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
  /// `record --spte`: the masks the SPTE classes were computed under, and their source.
  public var spteMasks: SPTEMaskReading?
  /// `record --spte`: the operations, by id; those still running at stop have no duration.
  public var operations: [Operation] = []
  /// `record --faults`: the ended faults by key (`struct fault_key`), timed.
  public var faults: [FaultEntry] = []
  /// `record --faults`: each task's longest run of retries on one gfn.
  public var retryRuns: [RetryRun] = []
  /// `record --mmu-lock`: the waits by key (`struct lock_key`), timed.
  public var lockWaits: [LockWaitEntry] = []
  /// `record --mmu-lock`: holder entries by a second task of a VM while a first was inside, by VM.
  public var holderOverlaps: [UInt32: UInt64] = [:]
  /// `record --mmu-lock`: what BTF gave the lock programs; set even when no wait came.
  public var lockLayout: FaultLayout?

  /// `record --mmu-lock`: the waits of one `struct lock_key`.
  public struct LockWaitEntry: Sendable, Equatable {
    public var tgid: UInt32
    /// The waiter's `vcpu_id` when it is a vCPU thread; nil for any other task.
    public var vcpu: Int32?
    public var flags: UInt32
    /// The probe id of the write holder inside at the wait's end; nil for none.
    public var holder: UInt32?
    /// The waiter's stack at `contention_begin`.
    public var addresses: [UInt64]
    public var counts: LatencyCounts

    public init(
      tgid: UInt32, vcpu: Int32? = nil, flags: UInt32, holder: UInt32?, addresses: [UInt64],
      counts: LatencyCounts
    ) {
      self.tgid = tgid
      self.vcpu = vcpu
      self.flags = flags
      self.holder = holder
      self.addresses = addresses
      self.counts = counts
    }
  }

  /// From attach to the final read, for rates (`record --faults` writes it).
  public var elapsedNanoseconds: UInt64?
  /// `record --faults`: what BTF gave the fault programs.
  public var faultLayout: FaultLayout?

  /// `record --faults`: the faults of one `struct fault_key`. Nil members are the kernel's
  /// "unknown" (FAULT_NO_VCPU, FAULT_NONE, FAULT_NO_LEVEL).
  public struct FaultEntry: Sendable, Equatable {
    public var tgid: UInt32
    public var vcpu: UInt32?
    public var outcome: Int32?
    public var fastReturn: Int32?
    public var reqLevel: UInt8?
    public var goalLevel: UInt8?
    /// The stack at `kvm_mmu_page_fault`'s entry.
    public var addresses: [UInt64]
    public var counts: LatencyCounts

    public init(
      tgid: UInt32, vcpu: UInt32?, outcome: Int32?, fastReturn: Int32?, reqLevel: UInt8?, goalLevel: UInt8?,
      addresses: [UInt64], counts: LatencyCounts
    ) {
      self.tgid = tgid
      self.vcpu = vcpu
      self.outcome = outcome
      self.fastReturn = fastReturn
      self.reqLevel = reqLevel
      self.goalLevel = goalLevel
      self.addresses = addresses
      self.counts = counts
    }
  }

  /// `record --faults`: a vCPU thread's longest run of consecutive `RET_PF_RETRY` on one gfn.
  public struct RetryRun: Sendable, Equatable {
    public var tgid: UInt32
    public var vcpu: UInt32?
    public var gfn: UInt64
    public var run: UInt64

    public init(tgid: UInt32, vcpu: UInt32?, gfn: UInt64, run: UInt64) {
      self.tgid = tgid
      self.vcpu = vcpu
      self.gfn = gfn
      self.run = run
    }
  }

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
  /// What was counted after `earlier`, a read of the same session: each stack's, histogram's
  /// and drop counter's count minus its count then (`UInt64.counted(since:)`: the kernel's
  /// counters only grow while attached; one that fell was reset and counts whole). Equal
  /// stacks are summed on both sides first. A latency histogram's minimum and maximum have no
  /// difference and stay the later read's (bounds over both intervals, not this one's).
  public func since(_ earlier: RawCapture) -> RawCapture {
    struct Key: Hashable {
      var probe: UInt32
      var addresses: [UInt64]
      var spte: UInt32 = 0
      var op: UInt32 = 0
    }
    /// Values by key, keys in first-seen order.
    func byKey<V>(_ items: [(Key, V)], _ merge: (V, V) -> V) -> (values: [Key: V], order: [Key]) {
      var values: [Key: V] = [:]
      var order: [Key] = []
      for (key, value) in items {
        if let known = values[key] {
          values[key] = merge(known, value)
        } else {
          values[key] = value
          order.append(key)
        }
      }
      return (values, order)
    }
    func counts(_ c: RawCapture) -> [(Key, UInt64)] {
      c.entries.map { (Key(probe: $0.probe, addresses: $0.addresses, spte: $0.spte, op: $0.op), $0.count) }
    }
    func histograms(_ c: RawCapture) -> [(Key, LatencyCounts)] {
      c.latency.map { (Key(probe: $0.probe, addresses: $0.addresses), $0.counts) }
    }
    var out = RawCapture(probes: probes)
    out.mode = mode
    out.spteMasks = spteMasks
    let before = byKey(counts(earlier), +).values
    let now = byKey(counts(self), +)
    for key in now.order {
      let delta = now.values[key]!.counted(since: before[key] ?? 0)
      if delta > 0 {
        out.entries.append(
          Entry(probe: key.probe, addresses: key.addresses, count: delta, spte: key.spte, op: key.op))
      }
    }
    let timedBefore = byKey(histograms(earlier)) { $0.merged(with: $1) }.values
    let timedNow = byKey(histograms(self)) { $0.merged(with: $1) }
    for key in timedNow.order {
      let counts = timedBefore[key].map { timedNow.values[key]!.since($0) } ?? timedNow.values[key]!
      if counts.count > 0 {
        out.latency.append(LatencyEntry(probe: key.probe, addresses: key.addresses, counts: counts))
      }
    }
    // An operation is in the interval it ended in (or, running, in each until it ends).
    let ended = Set(earlier.operations.filter { $0.duration != nil }.map(\.op))
    out.operations = operations.filter { !ended.contains($0.op) }
    for (key, count) in drops {
      let delta = count.counted(since: earlier.drops[key] ?? 0)
      if delta > 0 { out.drops[key] = delta }
    }
    return out
  }
}
