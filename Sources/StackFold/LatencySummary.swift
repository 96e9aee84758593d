import TDPTable
import TraceParse

/// `report --latency`: each latency histogram of a profile, by probe and by the path that
/// reached the probe, with what the capture lost and its slowest calls.
///
/// Every `hist()`/`lhist()` map is a latency histogram. Its probe is the key's first probe
/// member, else the leaf function of its stack, else the map's name. Its origin is its stack
/// (the entry stack) through `PathClassifier`, the same rules as `report --tdp`; a histogram
/// without a stack is filed under its probe by its other key members (or `(no stack)`).
/// `stats()`, `min()` and `max()` entries complete the histogram of the same key whose name
/// they share (`LatencyMapName`); `min()` and `max()` keyed by the probe alone complete the
/// probe's total (as `record --latency` writes them). `@tdptrace_latency_lost[probe, reason]` counts what the
/// capture lost and `@tdptrace_slow[ts, pid, tid, comm, probe, ns, kstack]` lists slow calls
/// (`record --latency`, docs/latency.md).
public struct LatencySummary: Sendable {
  /// One origin of one probe.
  public struct OriginRow: Sendable, Hashable {
    /// Nil for a histogram without a stack.
    public var origin: PathOrigin?
    /// For `other`: the top frames below the probe, leaf first. For no stack: the key's other
    /// members.
    public var detail: [String]
    public var histogram: LatencyHistogram
    /// Distinct stacks (histogram entries) merged into this row.
    public var entries: Int

    /// `vCPU page fault`, `other: a < b`, `(no stack)` or the key members of a stackless entry.
    public var label: String {
      guard let origin else { return detail.isEmpty ? "(no stack)" : detail.joined(separator: ", ") }
      return detail.isEmpty ? origin.label : origin.label + ": " + detail.joined(separator: " < ")
    }
  }

  /// One probe of one histogram map.
  public struct ProbeRow: Sendable, Hashable {
    public var probe: String
    public var map: String
    /// With `split`: the VM (and vCPU) of this row's entries (`VMKeyedMaps`); nil unsplit.
    public var group: String? = nil
    /// Nanoseconds per unit of the map's values (`LatencyMapName.unit`).
    public var nanosecondsPerUnit: Double
    /// Whether the unit came from the map's name (false: assumed nanoseconds).
    public var unitNamed: Bool
    /// All origins merged.
    public var total: LatencyHistogram
    /// Origins, most calls first.
    public var origins: [OriginRow]
  }

  /// Events a capture counted as lost (`@tdptrace_latency_lost`).
  public struct Lost: Sendable, Hashable {
    public var probe: String
    public var reason: String
    public var count: Int64
  }

  /// One call slower than `record --slower-than` (`@tdptrace_slow`).
  public struct SlowCall: Sendable, Hashable {
    public var timestampNanoseconds: UInt64
    public var pid: String
    public var tid: String
    public var comm: String
    public var probe: String
    public var durationNanoseconds: UInt64
    /// Function names with offsets, leaf first as bpftrace prints them.
    public var stack: [String]
    public var origin: String
  }

  /// Time spent under one histogram entry's stack, for the time-weighted flame graph.
  public struct StackTime: Sendable, Hashable {
    public var map: String
    public var probe: String
    /// Root first; empty for a histogram without a stack.
    public var stack: [Frame]
    public var nanoseconds: Double
    /// Whether a `stats()` total gave it (else bucket midpoints times counts).
    public var exact: Bool
  }

  public var probes: [ProbeRow]
  /// Every histogram entry's time, in input order.
  public var stackTimes: [StackTime]
  public var lost: [Lost]
  /// Slow calls, slowest first.
  public var slowest: [SlowCall]
  /// `@tdptrace_slow_dropped`: slow calls the kernel's ring buffer dropped; nil if not given.
  public var slowDropped: Int64?
  /// What the reader should know: assumed units, totals from midpoints, mismatched stats.
  public var notes: [String]

  /// How `report --latency --by` splits a probe's rows.
  public enum Split: String, Sendable, Hashable, CaseIterable {
    case vm, vcpu
  }

  /// Summarises the latency maps of `profile`, classifying stacks by `table`'s path rules;
  /// `split` gives each VM (or vCPU) of the maps that name them (`VMKeyedMaps`) its own rows.
  public init(profile: Profile, table: ProbeTable = .tdpMMU, split: Split? = nil) {
    let classifier = PathClassifier(rules: table.pathRules)
    var notes: [String] = []
    let histogramMaps = Set(profile.values.filter { $0.kind == .hist || $0.kind == .lhist }.map(\.map))

    // Companions by (histogram map, key).
    struct CompanionKey: Hashable {
      var map: String
      var key: LatencyKey.Identity
    }
    var stats: [CompanionKey: [Int64]] = [:]
    var minimum: [CompanionKey: Double] = [:]
    var maximum: [CompanionKey: Double] = [:]
    func file(_ map: String, _ key: LatencyKey, stats s: [Int64]? = nil, number: Double? = nil) {
      guard let (histogram, role) = LatencyMapName.companion(map), histogramMaps.contains(histogram) else {
        return
      }
      let k = CompanionKey(map: histogram, key: key.identity)
      switch role {
      case .stats: if let s { stats[k] = s }
      case .min: if let number { minimum[k] = number }
      case .max: if let number { maximum[k] = number }
      }
    }
    var lost: [Lost] = []
    var slowDropped: Int64?
    for value in profile.values {
      switch value.kind {
      case .stats: file(value.map, LatencyKey(value), stats: value.numbers)
      case .scalar:
        if value.map == Self.lostMap, value.key.count == 2, let n = value.numbers.first {
          lost.append(Lost(probe: value.key[0], reason: value.key[1], count: n))
        } else if value.map == Self.slowDroppedMap, value.key.isEmpty {
          slowDropped = value.numbers.first
        } else if let n = value.numbers.first {
          file(value.map, LatencyKey(value), number: Double(n))
        }
      case .hist, .lhist: break
      }
    }
    var slowest: [SlowCall] = []
    var cache = PathClassifier.Cache()
    for sample in profile.samples {
      guard let map = profile.labels(of: sample).map else { continue }
      if map == Self.slowMap {
        if let call = Self.slowCall(sample, in: profile, classifier: classifier, cache: &cache) {
          slowest.append(call)
        }
      } else {
        file(map, LatencyKey(sample, in: profile), number: Double(sample.weight))
      }
    }

    struct ProbeKey: Hashable {
      var map: String
      var probe: String
      /// With `split`: the VM (and vCPU) members (`VMKeyedMaps`).
      var group: [String]?
    }
    struct OriginKey: Hashable {
      var origin: PathOrigin?
      var detail: [String]
    }
    var rows: [ProbeKey: [OriginKey: OriginRow]] = [:]
    var probeOrder: [ProbeKey] = []
    var unreadable: Set<String> = []
    var midpointMaps: Set<String> = []
    var stackTimes: [StackTime] = []
    for value in profile.values where value.kind == .hist || value.kind == .lhist {
      guard var histogram = LatencyHistogram(value.buckets) else {
        unreadable.insert(value.map)
        continue
      }
      let key = LatencyKey(value)
      let companion = CompanionKey(map: value.map, key: key.identity)
      if let s = stats[companion] {
        histogram.sum = Double(s[2])
        if s[0] != Int64(clamping: histogram.count) {
          notes.append(
            "\(value.map): stats count \(s[0]) differs from the histogram's \(histogram.count) calls for \(Self.describe(key)); the histogram is used"
          )
        }
      } else if histogram.count > 0 {
        midpointMaps.insert(value.map)
      }
      histogram.min = minimum[companion]
      histogram.max = maximum[companion]
      let leaf = key.stack.last.map { FrameName.base($0.symbol) }
      let probe = key.probe ?? leaf ?? value.map
      let origin: OriginKey
      if key.stack.isEmpty {
        origin = OriginKey(origin: nil, detail: key.fields)
      } else {
        let result = classifier.classify(key.stack.map(\.symbol), probeFunction: ProbeName(probe).function)
        origin = OriginKey(origin: result.origin, detail: result.topFrames)
      }
      let total = histogram.total
      stackTimes.append(
        StackTime(
          map: value.map, probe: probe, stack: key.stack,
          nanoseconds: total.value * LatencyMapName.unit(of: value.map).nanoseconds, exact: total.exact))
      let group = split.flatMap { VMKeyedMaps.members(map: value.map, fields: key.fields, vcpu: $0 == .vcpu) }
      let probeKey = ProbeKey(map: value.map, probe: probe, group: group)
      if rows[probeKey] == nil { probeOrder.append(probeKey) }
      if var row = rows[probeKey]?[origin] {
        row.histogram = row.histogram.merged(with: histogram)
        row.entries += 1
        rows[probeKey]![origin] = row
      } else {
        rows[probeKey, default: [:]][origin] = OriginRow(
          origin: origin.origin, detail: origin.detail, histogram: histogram, entries: 1)
      }
    }
    for map in unreadable.sorted() {
      notes.append("\(map): bucket labels are not numeric ranges; not read as latency")
    }
    for map in midpointMaps.sorted() {
      notes.append(
        "\(map): no stats() map with its name (\(map)_stats): totals and means are estimated from bucket midpoints"
      )
    }

    if split != nil {
      // A split probe's VMs and vCPUs in number order, where the probe first came in the input.
      struct Probe: Hashable {
        var map: String
        var probe: String
      }
      var rank: [Probe: Int] = [:]
      for key in probeOrder where rank[Probe(map: key.map, probe: key.probe)] == nil {
        rank[Probe(map: key.map, probe: key.probe)] = rank.count
      }
      probeOrder.sort { a, b in
        let (ra, rb) = (rank[Probe(map: a.map, probe: a.probe)]!, rank[Probe(map: b.map, probe: b.probe)]!)
        return ra != rb ? ra < rb : VMKeyedMaps.precedes(a.group ?? [], b.group ?? [])
      }
    }
    let originOrder = Dictionary(uniqueKeysWithValues: PathOrigin.allCases.enumerated().map { ($1, $0) })
    probes = probeOrder.map { key in
      let origins = rows[key]!.values.sorted { a, b in
        if a.histogram.count != b.histogram.count { return a.histogram.count > b.histogram.count }
        let ao = a.origin.map { originOrder[$0]! } ?? Int.max
        let bo = b.origin.map { originOrder[$0]! } ?? Int.max
        if ao != bo { return ao < bo }
        return a.detail.lexicographicallyPrecedes(b.detail)
      }
      let unit = LatencyMapName.unit(of: key.map)
      var total = origins.dropFirst().reduce(origins[0].histogram) { $0.merged(with: $1.histogram) }
      // `min()`/`max()` keyed by the probe alone complete the probe's total: `record --latency`
      // writes them so, since keyed by a stack they would read as samples.
      let probeOnly = CompanionKey(
        map: key.map, key: LatencyKey(probe: key.probe, fields: [], stack: []).identity)
      if let m = minimum[probeOnly] { total.min = m }
      if let m = maximum[probeOnly] { total.max = m }
      return ProbeRow(
        probe: key.probe, map: key.map, group: key.group.map(VMKeyedMaps.label),
        nanosecondsPerUnit: unit.nanoseconds,
        unitNamed: unit.named, total: total, origins: origins)
    }
    if split != nil {
      let unsplit = Set(probes.filter { $0.group == nil }.map(\.map))
      for map in unsplit.sorted() {
        notes.append("\(map): its keys name no VM or vCPU; --by leaves its rows whole")
      }
    }
    for map in Set(probes.filter { !$0.unitNamed }.map(\.map)).sorted() {
      notes.append("\(map): the name gives no unit (_ns, _us, _ms); values are taken as nanoseconds")
    }
    self.lost = lost.sorted { ($0.probe, $0.reason) < ($1.probe, $1.reason) }
    self.slowest = slowest.sorted {
      $0.durationNanoseconds != $1.durationNanoseconds
        ? $0.durationNanoseconds > $1.durationNanoseconds : $0.timestampNanoseconds < $1.timestampNanoseconds
    }
    self.slowDropped = slowDropped
    self.stackTimes = stackTimes
    self.notes = notes
  }

  /// The map `record --latency` counts lost events in, keyed `[probe, reason]`.
  public static let lostMap = "@tdptrace_latency_lost"
  /// The map of slow calls, keyed `[ns_timestamp, pid, tid, comm, probe, duration_ns, kstack]`.
  public static let slowMap = "@tdptrace_slow"
  /// Slow calls the ring buffer dropped.
  public static let slowDroppedMap = "@tdptrace_slow_dropped"

  static func slowCall(
    _ sample: Sample, in profile: Profile, classifier: PathClassifier, cache: inout PathClassifier.Cache
  ) -> SlowCall? {
    let key = LatencyKey(sample, in: profile)
    guard let probe = key.probe, key.fields.count == 5, let ts = UInt64(key.fields[0]),
      let duration = UInt64(key.fields[4])
    else { return nil }
    let origin = classifier.classify(
      sample, in: profile, probeFunction: ProbeName(probe).function, cache: &cache)
    let label =
      origin.topFrames.isEmpty
      ? origin.origin.label : origin.origin.label + ": " + origin.topFrames.joined(separator: " < ")
    return SlowCall(
      timestampNanoseconds: ts, pid: key.fields[1], tid: key.fields[2], comm: key.fields[3], probe: probe,
      durationNanoseconds: duration, stack: key.stack.reversed().map { $0.name(keepOffset: true) },
      origin: label)
  }

  static func describe(_ key: LatencyKey) -> String {
    var parts: [String] = []
    if let probe = key.probe { parts.append(probe) }
    parts += key.fields
    if let leaf = key.stack.last { parts.append("stack at \(leaf.name(keepOffset: true))") }
    return parts.isEmpty ? "the unkeyed entry" : parts.joined(separator: ", ")
  }
}
