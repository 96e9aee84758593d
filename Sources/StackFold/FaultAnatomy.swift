import TDPTable
import TraceParse

/// `report --faults`: a `record --faults` capture (`FaultCaptureKey`) per vCPU or per VM: faults,
/// faults per second, the fast path's share, retries, installed levels, latency percentiles by
/// outcome, each vCPU's longest run of retries on one gfn, and the vCPUs that look stuck (a
/// run of at least `stuckRetries` retries on one gfn, as in the "Deadlock due to EPT_VIOLATION"
/// thread of docs/faults.md).
public struct FaultAnatomy: Sendable {
  /// What a row is: one vCPU of one VM, or one VM.
  public enum Grouping: String, Sendable, Hashable, CaseIterable {
    case vcpu, vm
  }

  /// The faults of one outcome in a row.
  public struct Outcome: Sendable, Hashable {
    public var outcome: String
    public var histogram: LatencyHistogram
    public var faults: UInt64 { histogram.count }
  }

  public struct Row: Sendable, Hashable {
    /// The VMM's pid.
    public var vm: String
    /// `vcpu_id`, `-` when the kernel could not give it; nil for a VM's row.
    public var vcpu: String?
    public var outcomes: [Outcome]
    public var all: LatencyHistogram
    /// Faults the fast path fixed.
    public var fast: UInt64
    /// Faults by installed level (`4K`, `2M`, ... or `-`), for fixed faults.
    public var levels: [String: UInt64]
    /// The longest run of consecutive retries on one gfn (the longest of the VM's vCPUs).
    public var longestRetryRun: RetryRun?
    public var faults: UInt64 { all.count }
    public var retries: UInt64 { outcomes.first { $0.outcome == FaultCaptureKey.retry }?.faults ?? 0 }
    public var label: String { vcpu.map { "VM \(vm) vCPU \($0)" } ?? "VM \(vm)" }
  }

  public struct RetryRun: Sendable, Hashable {
    public var vm: String
    public var vcpu: String
    public var gfn: String
    public var run: UInt64
  }

  /// What could not be counted, as the capture's `@tdptrace_drops` says.
  public struct Drop: Sendable, Hashable {
    public var probe: String
    public var reason: String
    public var count: Int64
  }

  public var grouping: Grouping
  public var rows: [Row]
  public var stuckRetries: UInt64
  /// Runs of at least `stuckRetries`, longest first.
  public var stuck: [RetryRun]
  public var drops: [Drop]
  /// The capture's length (`@fault_elapsed_ns`), for rates.
  public var elapsedNanoseconds: UInt64?
  public var notes: [String] = []

  public var faults: UInt64 { rows.reduce(0) { $0 + $1.faults } }
  public var vms: Int { Set(rows.map(\.vm)).count }

  /// Faults per second of `count`, when the capture says how long it ran.
  public func rate(_ count: UInt64) -> Double? {
    guard let elapsedNanoseconds, elapsedNanoseconds > 0 else { return nil }
    return Double(count) * 1e9 / Double(elapsedNanoseconds)
  }

  /// Reads the capture's `@fault_ns` histograms with their `stats` and `max` maps, the retry
  /// runs, the length and the drops. Throws when the profile has no `@fault_ns` histogram.
  public init(profile: Profile, by grouping: Grouping = .vcpu, stuckRetries: UInt64 = 1000)
    throws(FaultAnatomyError)
  {
    self.grouping = grouping
    self.stuckRetries = stuckRetries
    struct Member {
      var vm: String, vcpu: String, outcome: String, path: String, level: String
    }
    func member(_ key: [String]) -> Member? {
      // [probe, VM, VCPU, OUTCOME, PATH, REQ, LEVEL]
      guard key.count == 7 else { return nil }
      return Member(vm: key[1], vcpu: key[2], outcome: key[3], path: key[4], level: key[6])
    }
    var stats: [[String]: (count: Int64, total: Int64)] = [:]
    var maxima: [[String]: Int64] = [:]
    var runs: [RetryRun] = []
    var drops: [Drop] = []
    var malformed = 0
    for value in profile.values {
      switch value.map {
      case FaultCaptureKey.statsMap where value.kind == .stats && value.numbers.count == 3:
        stats[value.key] = (value.numbers[0], value.numbers[2])
      case FaultCaptureKey.maxMap where value.kind == .scalar && value.numbers.count == 1:
        maxima[value.key] = value.numbers[0]
      case FaultCaptureKey.retryRunMap where value.key.count == 3 && value.numbers.count == 1:
        runs.append(
          RetryRun(
            vm: value.key[0], vcpu: value.key[1], gfn: value.key[2], run: UInt64(clamping: value.numbers[0])))
      case FaultCaptureKey.elapsedMap where value.numbers.count == 1:
        elapsedNanoseconds = UInt64(clamping: value.numbers[0])
      case "@tdptrace_drops" where value.key.count == 2 && value.numbers.count == 1:
        drops.append(Drop(probe: value.key[0], reason: value.key[1], count: value.numbers[0]))
      default: break
      }
    }
    struct RowKey: Hashable {
      var vm: String
      var vcpu: String?
    }
    var byRow: [RowKey: (outcomes: [String: LatencyHistogram], fast: UInt64, levels: [String: UInt64])] = [:]
    var sawHistogram = false
    for value in profile.values
    where value.map == FaultCaptureKey.latencyMap && (value.kind == .hist || value.kind == .lhist) {
      sawHistogram = true
      guard let m = member(value.key), var histogram = LatencyHistogram(value.buckets) else {
        malformed += 1
        continue
      }
      if let stat = stats[value.key], stat.count == Int64(histogram.count) {
        histogram.sum = Double(stat.total)
      }
      if let max = maxima[value.key] { histogram.max = Double(max) }
      let key = RowKey(vm: m.vm, vcpu: grouping == .vcpu ? m.vcpu : nil)
      var row = byRow[key] ?? ([:], 0, [:])
      row.outcomes[m.outcome] = row.outcomes[m.outcome].map { $0.merged(with: histogram) } ?? histogram
      if m.path == "fast" { row.fast += histogram.count }
      row.levels[m.level, default: 0] += histogram.count
      byRow[key] = row
    }
    guard sawHistogram else {
      throw FaultAnatomyError("no \(FaultCaptureKey.latencyMap) histograms: not a record --faults capture")
    }
    if malformed > 0 {
      notes.append(
        "\(malformed) \(FaultCaptureKey.latencyMap) entries have no VM, vCPU, outcome, path and levels and are left out"
      )
    }
    // A VM's row keeps its longest vCPU run; a vCPU's row its own.
    var longest: [RowKey: RetryRun] = [:]
    for run in runs {
      let key = RowKey(vm: run.vm, vcpu: grouping == .vcpu ? run.vcpu : nil)
      if run.run > (longest[key]?.run ?? 0) { longest[key] = run }
    }
    rows = byRow.map { key, row in
      let outcomes = row.outcomes.map { Outcome(outcome: $0.key, histogram: $0.value) }.sorted {
        $0.faults != $1.faults ? $0.faults > $1.faults : $0.outcome < $1.outcome
      }
      let all = outcomes.dropFirst().reduce(outcomes.first?.histogram ?? LatencyHistogram()) {
        $0.merged(with: $1.histogram)
      }
      return Row(
        vm: key.vm, vcpu: key.vcpu, outcomes: outcomes, all: all, fast: row.fast, levels: row.levels,
        longestRetryRun: longest[key])
    }.sorted { a, b in
      VMKeyedMaps.precedes([a.vm, a.vcpu ?? ""], [b.vm, b.vcpu ?? ""])
    }
    stuck = runs.filter { $0.run >= stuckRetries }.sorted {
      $0.run != $1.run ? $0.run > $1.run : $0.vcpu < $1.vcpu
    }
    self.drops = drops.sorted { ($0.probe, $0.reason) < ($1.probe, $1.reason) }
  }
}

/// Why a profile has no fault anatomy.
public struct FaultAnatomyError: Error, Sendable, Equatable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}
