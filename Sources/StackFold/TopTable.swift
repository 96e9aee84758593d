import TDPTable
import TraceParse

/// `tdptrace top`: per probe group and origin path, the events of the last interval, their
/// rate, and the total since attach, as kvm_stat shows events (`TDPSummary` does the grouping
/// and path rules, so `top`, `report --tdp` and `record` agree on every name).
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
    /// Events in the interval.
    public var events: UInt64
    /// `events` per second of the interval.
    public var perSecond: Double
    /// Events since attach.
    public var total: UInt64
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

  /// The table for the interval from `before` (nil: attach) to `now`, `seconds` long.
  /// `groups`, when not empty, keeps only those groups (by name); `total` and `events` then
  /// count what is shown.
  public init(now: TDPSummary, before: TDPSummary?, seconds: Double, groups: Set<String> = []) {
    self.seconds = seconds
    struct Key: Hashable {
      var group: String
      var path: String?
    }
    func totals(_ summary: TDPSummary) -> [Key: UInt64] {
      var out: [Key: UInt64] = [:]
      for group in summary.groups {
        out[Key(group: group.group), default: 0] += group.weight
        for probe in group.probes {
          for origin in probe.origins {
            out[Key(group: group.group, path: origin.label), default: 0] += origin.weight
          }
        }
      }
      for probe in summary.elsewhere {
        out[Key(group: probe.probe), default: 0] += probe.weight
        for origin in probe.origins {
          out[Key(group: probe.probe, path: origin.label), default: 0] += origin.weight
        }
      }
      return out
    }
    let current = totals(now)
    let previous = before.map(totals) ?? [:]
    func row(_ key: Key, _ total: UInt64) -> Row {
      let old = previous[key] ?? 0
      let events = total >= old ? total - old : total
      return Row(
        group: key.group, path: key.path, events: events,
        perSecond: seconds > 0 ? Double(events) / seconds : 0,
        total: total)
    }
    func ordered(_ a: Row, _ b: Row) -> Bool {
      if a.events != b.events { return a.events > b.events }
      if a.total != b.total { return a.total > b.total }
      return (a.path ?? a.group) < (b.path ?? b.group)
    }
    let kept = current.filter { groups.isEmpty || groups.contains($0.key.group) }
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
