import TDPTable
import TraceParse

/// `tdptrace top`: per probe group and origin path, the events of the last interval, their
/// rate, the total since attach, and with latency probes the interval's p99, as kvm_stat shows
/// events (`TDPSummary` and `LatencySummary` do the grouping and path rules, so `top`,
/// `report --tdp`, `report --latency` and `record` agree on every name).
///
/// Made from the running totals of two reads: a row's events in the interval are its total now
/// minus its total at the read before, so no event is counted twice or lost between reads.
public struct TopTable: Sendable, Equatable {
  /// One line of the view: a group (`path` nil), or one origin path within it.
  public struct Row: Sendable, Equatable {
    /// A probe group of the table, or the probe itself when it is in no group.
    public var group: String
    /// `vCPU page fault`, `other: a < b`; nil on the group's own line.
    public var path: String?
    /// Events (calls, with latency probes) in the interval.
    public var events: UInt64
    /// `events` per second of the interval.
    public var perSecond: Double
    /// Events since attach.
    public var total: UInt64
    /// The interval's 99th percentile latency in nanoseconds (the estimate inside its bucket,
    /// `LatencyHistogram.percentile`); nil without latency probes or calls.
    public var p99: Double?
  }

  /// What identifies a row between reads.
  public struct Key: Hashable, Sendable {
    public var group: String
    public var path: String?

    public init(group: String, path: String? = nil) {
      self.group = group
      self.path = path
    }
  }

  /// A read's running totals per row, and with latency probes each row's histogram.
  public struct Totals: Sendable {
    public var counts: [Key: UInt64] = [:]
    public var histograms: [Key: LatencyHistogram] = [:]

    public init() {}

    /// Stack counts, by `summary`'s groups, probes outside the table as groups of their own.
    public init(_ summary: TDPSummary) {
      for group in summary.groups {
        counts[Key(group: group.group), default: 0] += group.weight
        for probe in group.probes {
          for origin in probe.origins {
            counts[Key(group: group.group, path: origin.label), default: 0] += origin.weight
          }
        }
      }
      for probe in summary.elsewhere {
        counts[Key(group: probe.probe), default: 0] += probe.weight
        for origin in probe.origins {
          counts[Key(group: probe.probe, path: origin.label), default: 0] += origin.weight
        }
      }
    }

    /// Timed calls, each probe in `table`'s group (or its own), histograms merged per row.
    public init(_ summary: LatencySummary, table: ProbeTable) {
      for probe in summary.probes {
        let group = table.group(of: probe.probe)?.name ?? probe.probe
        add(Key(group: group), probe.total)
        for origin in probe.origins { add(Key(group: group, path: origin.label), origin.histogram) }
      }
    }

    private mutating func add(_ key: Key, _ histogram: LatencyHistogram) {
      counts[key, default: 0] += histogram.count
      histograms[key] = histograms[key].map { $0.merged(with: histogram) } ?? histogram
    }
  }

  /// Groups by rate, each followed by its paths by rate (ties: by total, then by name, so the
  /// order is stable between refreshes).
  public var rows: [Row]
  /// Seconds the interval lasted.
  public var seconds: Double
  /// Events since attach, over every row (the groups' totals sum to it).
  public var total: UInt64
  /// Events in the interval, over every row.
  public var events: UInt64
  /// Whether the rows carry latency (`p99`).
  public var timed: Bool

  /// The table for the interval from `before` (nil: attach) to `now`, `seconds` long.
  /// `interval`: the interval's own histograms, for p99 (nil: no latency). `groups`, when not
  /// empty, keeps only those groups (by name); `total` and `events` then count what is shown.
  public init(
    now: Totals, before: Totals?, interval: Totals? = nil, seconds: Double, groups: Set<String> = []
  ) {
    self.seconds = seconds
    timed = interval != nil
    let previous = before?.counts ?? [:]
    func row(_ key: Key, _ total: UInt64) -> Row {
      let events = total.counted(since: previous[key] ?? 0)
      return Row(
        group: key.group, path: key.path, events: events,
        perSecond: seconds > 0 ? Double(events) / seconds : 0,
        total: total, p99: interval?.histograms[key]?.percentile(0.99)?.estimate)
    }
    func ordered(_ a: Row, _ b: Row) -> Bool {
      if a.events != b.events { return a.events > b.events }
      if a.total != b.total { return a.total > b.total }
      return (a.path ?? a.group) < (b.path ?? b.group)
    }
    let kept = now.counts.filter { groups.isEmpty || groups.contains($0.key.group) }
    let groupRows = kept.filter { $0.key.path == nil }.map { row($0.key, $0.value) }.sorted(by: ordered)
    var pathsByGroup: [String: [Row]] = [:]
    for (key, total) in kept where key.path != nil {
      pathsByGroup[key.group, default: []].append(row(key, total))
    }
    rows = groupRows.flatMap { [$0] + (pathsByGroup[$0.group] ?? []).sorted(by: ordered) }
    total = groupRows.reduce(0) { $0 + $1.total }
    events = groupRows.reduce(0) { $0 + $1.events }
  }
}
