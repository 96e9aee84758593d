import TDPTable
import TraceParse

/// `report --mmu-lock`: a `record --mmu-lock` capture (`LockCaptureKey`) per VM: how long its
/// vCPUs and other paths waited for `mmu_lock`, split by the write holder that was inside when
/// each wait ended (and the share no known holder explains), by the waiter's path (the table's
/// path rules on the waiter's stack) and by mode.
public struct MMULockWaits: Sendable {
  /// The waits of one holder, waiter path or mode.
  public struct Share: Sendable, Hashable {
    public var name: String
    public var histogram: LatencyHistogram
    public var waits: UInt64 { histogram.count }
    public var nanoseconds: Double { histogram.total.value }

    public init(name: String, histogram: LatencyHistogram) {
      self.name = name
      self.histogram = histogram
    }
  }

  /// The waits of one vCPU (`vcpu_id`; `LockCaptureKey.noVCPU` for every other task of the VM),
  /// with its own split by holder.
  public struct Waiter: Sendable, Hashable {
    public var name: String
    public var histogram: LatencyHistogram
    public var holders: [Share]
    public var waits: UInt64 { histogram.count }
    public var nanoseconds: Double { histogram.total.value }
    /// The named holder this waiter waited longest behind, if any.
    public var topHolder: Share? { holders.first { $0.name != LockCaptureKey.noHolder } }
  }

  public struct VM: Sendable, Hashable {
    public var vm: String
    public var all: LatencyHistogram
    /// Heaviest first; the waits with no holder inside are `LockCaptureKey.noHolder`.
    public var holders: [Share]
    public var waiters: [Share]
    public var modes: [Share]
    /// Heaviest first (`-`, the tasks that are not vCPUs, last among equals by name).
    public var vcpus: [Waiter]
    /// Holder entries by a second task while a first was inside (not blamed).
    public var overlaps: UInt64
    public var waits: UInt64 { all.count }
    public var nanoseconds: Double { all.total.value }
    /// The wait time no write holder was inside for, in nanoseconds.
    public var unexplained: Double { holders.first { $0.name == LockCaptureKey.noHolder }?.nanoseconds ?? 0 }
  }

  public var vms: [VM]
  public var elapsedNanoseconds: UInt64?
  public var drops: [FaultAnatomy.Drop]
  public var notes: [String] = []

  /// Reads the capture's `@mmu_lock_wait_ns` histograms (with their `stats`), the overlaps, the
  /// length and the drops. Throws when there is no lock capture header or histogram.
  public init(profile: Profile, table: ProbeTable = .tdpMMU) throws(FaultAnatomyError) {
    let classifier = PathClassifier(rules: table.pathRules)
    var stats: [[String]: Int64] = [:]
    var overlaps: [String: UInt64] = [:]
    var drops: [FaultAnatomy.Drop] = []
    var sawCapture = false
    for value in profile.values {
      switch value.map {
      case LockCaptureKey.statsMap where value.kind == .stats && value.numbers.count == 3:
        stats[value.key] = value.numbers[2]
      case LockCaptureKey.overlapsMap where value.key.count == 1 && value.numbers.count == 1:
        overlaps[value.key[0]] = UInt64(clamping: value.numbers[0])
      case LockCaptureKey.elapsedMap where value.numbers.count == 1:
        sawCapture = true
        elapsedNanoseconds = UInt64(clamping: value.numbers[0])
      case "@tdptrace_drops" where value.key.count == 2 && value.numbers.count == 1:
        drops.append(FaultAnatomy.Drop(probe: value.key[0], reason: value.key[1], count: value.numbers[0]))
      default: break
      }
    }
    struct Row {
      var all = LatencyHistogram()
      var holders: [String: LatencyHistogram] = [:]
      var waiters: [String: LatencyHistogram] = [:]
      var modes: [String: LatencyHistogram] = [:]
      var vcpus: [String: [String: LatencyHistogram]] = [:]
    }
    var rows: [String: Row] = [:]
    var malformed = 0
    for value in profile.values
    where value.map == LockCaptureKey.waitMap && (value.kind == .hist || value.kind == .lhist) {
      sawCapture = true
      let key = LatencyKey(value)
      guard key.fields.count == 4, var histogram = LatencyHistogram(value.buckets) else {
        malformed += 1
        continue
      }
      if let total = stats[value.key] { histogram.sum = Double(total) }
      let (vm, vcpu, mode, holder) = (key.fields[0], key.fields[1], key.fields[2], key.fields[3])
      let waiter =
        key.stack.isEmpty
        ? "(no stack)" : classifier.classify(key.stack.map(\.symbol), probeFunction: nil).origin.label
      var row = rows[vm] ?? Row()
      row.all = row.all.merged(with: histogram)
      row.holders[holder] = row.holders[holder].map { $0.merged(with: histogram) } ?? histogram
      row.waiters[waiter] = row.waiters[waiter].map { $0.merged(with: histogram) } ?? histogram
      row.modes[mode] = row.modes[mode].map { $0.merged(with: histogram) } ?? histogram
      row.vcpus[vcpu, default: [:]][holder] =
        row.vcpus[vcpu]?[holder].map { $0.merged(with: histogram) } ?? histogram
      rows[vm] = row
    }
    guard sawCapture else {
      throw FaultAnatomyError("no \(LockCaptureKey.waitMap) histograms: not a record --mmu-lock capture")
    }
    if malformed > 0 {
      notes.append(
        "\(malformed) \(LockCaptureKey.waitMap) entries have no VM, vCPU, mode and holder and are left out")
    }
    func shares(_ byName: [String: LatencyHistogram]) -> [Share] {
      byName.map { Share(name: $0.key, histogram: $0.value) }.sorted {
        $0.nanoseconds != $1.nanoseconds ? $0.nanoseconds > $1.nanoseconds : $0.name < $1.name
      }
    }
    func waiters(_ byVCPU: [String: [String: LatencyHistogram]]) -> [Waiter] {
      byVCPU.map { vcpu, holders in
        Waiter(
          name: vcpu, histogram: holders.values.reduce(LatencyHistogram()) { $0.merged(with: $1) },
          holders: shares(holders))
      }.sorted {
        $0.nanoseconds != $1.nanoseconds
          ? $0.nanoseconds > $1.nanoseconds
          : VMKeyedMaps.precedes([$0.name], [$1.name])
      }
    }
    vms = rows.map { vm, row in
      VM(
        vm: vm, all: row.all, holders: shares(row.holders), waiters: shares(row.waiters),
        modes: shares(row.modes),
        vcpus: waiters(row.vcpus), overlaps: overlaps[vm] ?? 0)
    }.sorted { VMKeyedMaps.precedes([$0.vm], [$1.vm]) }
    self.drops = drops.sorted { ($0.probe, $0.reason) < ($1.probe, $1.reason) }
  }
}
