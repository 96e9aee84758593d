import TDPTable
import TraceParse

/// `report --spte`: the SPTE changes of a capture (`record --spte`, `SPTECaptureKey`) by origin
/// path, transition kind and level. Every change that goes in comes out: the origins' totals add
/// up to `total`.
public struct SPTELedger: Sendable {
  /// One (kind, level) cell.
  public struct Cell: Sendable, Hashable, Comparable {
    public var kind: SPTETransition.Kind
    public var level: Int

    public init(kind: SPTETransition.Kind, level: Int) {
      self.kind = kind
      self.level = level
    }

    public static func < (a: Cell, b: Cell) -> Bool {
      let order = SPTETransition.Kind.allCases
      if a.kind != b.kind { return order.firstIndex(of: a.kind)! < order.firstIndex(of: b.kind)! }
      return a.level < b.level
    }
  }

  /// The changes that reached the MMU through one origin path.
  public struct OriginRow: Sendable, Hashable {
    public var origin: PathOrigin
    /// For `other`: the top frames that stand for the path (leaf first). Empty otherwise.
    public var topFrames: [String]
    public var counts: [Cell: UInt64]
    /// The other ledger probes' events on this path (huge page splits, remote TLB flushes), by
    /// probe name (`ProbeName.function`).
    public var events: [String: UInt64] = [:]
    /// The huge page splits of `record --spte` (`@spte_split`) by level and result.
    public var splits: [Split: UInt64] = [:]

    public var total: UInt64 { counts.values.reduce(0, &+) }

    /// `vCPU page fault`, or `other: a < b < c`.
    public var label: String {
      topFrames.isEmpty ? origin.label : origin.label + ": " + topFrames.joined(separator: " < ")
    }
  }

  /// One (level, result) of huge page splits: the level of the huge SPTE, and `ok` or the errno
  /// (`-ENOMEM`).
  public struct Split: Sendable, Hashable, Comparable {
    public var level: Int
    public var result: String

    public init(level: Int, result: String) {
      self.level = level
      self.result = result
    }

    /// `2M`, or `2M -ENOMEM` when the split failed.
    public var label: String { SPTECaptureKey.levelName(level) + (result == "ok" ? "" : " " + result) }

    public static func < (a: Split, b: Split) -> Bool {
      if a.level != b.level { return a.level < b.level }
      if (a.result == "ok") != (b.result == "ok") { return a.result == "ok" }
      return a.result < b.result
    }
  }

  /// Origins with changes or ledger events, heaviest first.
  public var origins: [OriginRow]
  /// The ledger probes' events summed over the origins.
  public var events: [String: UInt64]
  /// The splits by level and result summed over the origins (empty for captures that count
  /// the split tracepoint by stack only).
  public var splits: [Split: UInt64]
  /// The ledger probes (`ProbeGroup.Function.ledger`, `.Tracepoint.ledger`) other than the
  /// SPTE change tracepoint, in table order: the event names rows show.
  public var eventOrder: [String]
  /// Every origin's cells summed.
  public var counts: [Cell: UInt64]
  /// Stacks (distinct entries) read.
  public var stacks: Int
  /// Entries `--lenient` left out because a member was not what `SPTECaptureKey` writes.
  public var skippedEntries: Int
  public var skippedWeight: UInt64
  /// `record --spte`'s operations (`@spte_op`), by id; empty for captures without them.
  public var operations: [SPTEOperation] = []
  /// Changes whose OP member names an operation with no `@spte_op` entry (the kernel's
  /// operations map was full: `ops_full`), by id.
  public var changesOfUnlistedOperations: [UInt32: UInt64] = [:]

  public var total: UInt64 { counts.values.reduce(0, &+) }
  /// The levels with changes, lowest first (4K, 2M, 1G and 512G always, for stable columns).
  public var levels: [Int] { Array(Set(counts.keys.map(\.level)).union(1...4)).sorted() }

  /// Reads the `@spte` entries of `profile`; samples of other maps are not SPTE changes and are
  /// left alone. Throws when an entry's members are not a level, two classes and a pfn token (or
  /// with `lenient`, skips and counts it), and when there is no `@spte` entry at all.
  public init(profile: Profile, table: ProbeTable = .tdpMMU, lenient: Bool = false) throws(SPTELedgerError) {
    let classifier = PathClassifier(rules: table.pathRules)
    var cache = PathClassifier.Cache()
    struct OriginKey: Hashable {
      var origin: PathOrigin
      var topFrames: [String]
    }
    var byOrigin: [OriginKey: [Cell: UInt64]] = [:]
    var eventsByOrigin: [OriginKey: [String: UInt64]] = [:]
    var splitsByOrigin: [OriginKey: [Split: UInt64]] = [:]
    var splitOfLabels: [Int: Result<Split, SPTELedgerError>?] = [:]
    let ledgerProbes = Self.ledgerProbes(table)
    var probeOfLabels: [Int: String?] = [:]
    // Each label set is read once: its cell, or why it is not one (nil: not an @spte entry).
    var cellOfLabels: [Int: Result<Cell, SPTELedgerError>?] = [:]
    var stacks = 0
    var skippedEntries = 0
    var skippedWeight: UInt64 = 0
    var operations: [UInt32: SPTEOperation] = [:]
    var cellsByOp: [UInt32: [Cell: UInt64]] = [:]
    var splitsByOp: [UInt32: [Split: UInt64]] = [:]
    var opOfLabels: [Int: UInt32?] = [:]
    func skip(_ error: SPTELedgerError, _ weight: UInt64) throws(SPTELedgerError) {
      if !lenient { throw error }
      skippedEntries += 1
      skippedWeight &+= weight
    }
    for sample in profile.samples {
      let id = Int(sample.labels)
      let labels = profile.labelSets[id]
      if let read = SPTEOperation.read(labels) {
        switch read {
        case .failure(let error): try skip(error, sample.weight)
        case .success(var op):
          let result = classifier.classify(sample, in: profile, probeFunction: op.root, cache: &cache)
          op.origin = result.origin
          op.topFrames = result.topFrames
          if operations[op.id] != nil {
            try skip(
              .badEntry(
                entry: "\(SPTECaptureKey.opMap)[..., op\(op.id), ...]", why: "a second entry of the operation"
              ), sample.weight)
          } else {
            operations[op.id] = op
          }
        }
        continue
      }
      switch Self.once(id, &cellOfLabels, { Self.cell(labels) }) {
      case nil:
        let known = Self.once(id, &probeOfLabels) {
          labels.probe.map { ProbeName($0) }.flatMap { probe in
            ledgerProbes.first { $0 == probe.function || $0 == probe.name }
          }
        }
        guard let event = known else { continue }
        let split = Self.once(id, &splitOfLabels) { Self.split(labels) }
        if case .failure(let error) = split {
          try skip(error, sample.weight)
          continue
        }
        let op = Self.once(id, &opOfLabels) {
          SPTEOperation.id(of: labels, label: SPTECaptureKey.splitOpLabel)
        }
        guard let op else {
          try skip(Self.badOp(labels, SPTECaptureKey.splitOpLabel), sample.weight)
          continue
        }
        let result = classifier.classify(sample, in: profile, probeFunction: event, cache: &cache)
        let key = OriginKey(origin: result.origin, topFrames: result.topFrames)
        eventsByOrigin[key, default: [:]][event, default: 0] &+= sample.weight
        if case .success(let split) = split {
          splitsByOrigin[key, default: [:]][split, default: 0] &+= sample.weight
          if op != 0 { splitsByOp[op, default: [:]][split, default: 0] &+= sample.weight }
        }
      case .failure(let error):
        try skip(error, sample.weight)
      case .success(let cell):
        let op = Self.once(id, &opOfLabels) {
          SPTEOperation.id(of: labels, label: SPTECaptureKey.changeOpLabel)
        }
        guard let op else {
          try skip(Self.badOp(labels, SPTECaptureKey.changeOpLabel), sample.weight)
          continue
        }
        if op != 0 { cellsByOp[op, default: [:]][cell, default: 0] &+= sample.weight }
        stacks += 1
        let probe = profile.labelSets[id].probe.map { ProbeName($0).function }
        let result = classifier.classify(sample, in: profile, probeFunction: probe, cache: &cache)
        byOrigin[OriginKey(origin: result.origin, topFrames: result.topFrames), default: [:]][
          cell, default: 0] &+=
          sample.weight
      }
    }
    guard stacks > 0 || skippedEntries > 0 else { throw SPTELedgerError.noEntries }
    let originOrder = Dictionary(uniqueKeysWithValues: PathOrigin.allCases.enumerated().map { ($1, $0) })
    func eventTotal(_ row: OriginRow) -> UInt64 { row.events.values.reduce(0, &+) }
    origins = Set(byOrigin.keys).union(eventsByOrigin.keys).map {
      OriginRow(
        origin: $0.origin, topFrames: $0.topFrames, counts: byOrigin[$0] ?? [:],
        events: eventsByOrigin[$0] ?? [:], splits: splitsByOrigin[$0] ?? [:])
    }
    .sorted { a, b in
      if a.total != b.total { return a.total > b.total }
      if eventTotal(a) != eventTotal(b) { return eventTotal(a) > eventTotal(b) }
      if a.origin != b.origin { return originOrder[a.origin]! < originOrder[b.origin]! }
      return a.topFrames.lexicographicallyPrecedes(b.topFrames)
    }
    counts = byOrigin.values.reduce(into: [:]) { sum, cells in sum.merge(cells, uniquingKeysWith: &+) }
    events = eventsByOrigin.values.reduce(into: [:]) { sum, cells in sum.merge(cells, uniquingKeysWith: &+) }
    splits = splitsByOrigin.values.reduce(into: [:]) { sum, cells in sum.merge(cells, uniquingKeysWith: &+) }
    eventOrder = ledgerProbes
    self.stacks = stacks
    self.skippedEntries = skippedEntries
    self.skippedWeight = skippedWeight
    for (op, cells) in cellsByOp where operations[op] == nil {
      changesOfUnlistedOperations[op] = cells.values.reduce(0, &+)
    }
    self.operations = operations.values.map { op in
      var op = op
      op.counts = cellsByOp[op.id] ?? [:]
      op.splits = splitsByOp[op.id] ?? [:]
      return op
    }.sorted { $0.id < $1.id }
  }

  /// The error of an `@spte` or `@spte_split` entry whose OP member (label `label`) is neither
  /// `op<N>` nor `-`.
  static func badOp(_ labels: Labels, _ label: String) -> SPTELedgerError {
    .badEntry(
      entry: "\(labels.map ?? "?")[\(labels.probe ?? "?"), ..., \(labels[label] ?? "?"), ...]",
      why: "the OP member is not op<N> or -")
  }

  /// The names of the table's ledger probes other than the SPTE change tracepoint, in table
  /// order: every name of a function entry, the event name of a tracepoint.
  static func ledgerProbes(_ table: ProbeTable) -> [String] {
    table.groups.flatMap { group in
      group.functions.filter { $0.ledger && $0.ledgerRole != .operation }.flatMap(\.names)
        + group.tracepoints.filter { $0.ledger && $0 != SPTECaptureKey.tracepoint }.map(\.event)
    }
  }

  /// `make()` for label set `id`, computed once per set: a capture has far fewer sets than samples.
  static func once<T>(_ id: Int, _ cache: inout [Int: T], _ make: () -> T) -> T {
    if let known = cache[id] { return known }
    let value = make()
    cache[id] = value
    return value
  }

  /// The split an `@spte_split` entry's labels spell; nil for a sample of another map.
  static func split(_ labels: Labels) -> Result<Split, SPTELedgerError>? {
    guard labels.map == SPTECaptureKey.splitMap else { return nil }
    let level = labels[SPTECaptureKey.levelLabel]
    let result = labels[SPTECaptureKey.resultLabel]
    guard let levelText = level, let number = SPTECaptureKey.level(named: levelText) else {
      return .failure(
        .badEntry(
          entry: "\(SPTECaptureKey.splitMap)[\(labels.probe ?? "?"), \(level ?? "?"), \(result ?? "?")]",
          why: "the level is not 4K, 2M, 1G, 512G, 256T or L<n>"))
    }
    guard let result, result == "ok" || (result.hasPrefix("-") && result.count > 1) else {
      return .failure(
        .badEntry(
          entry: "\(SPTECaptureKey.splitMap)[\(labels.probe ?? "?"), \(levelText), \(result ?? "?")]",
          why: "the result is not ok or -ERRNO"))
    }
    return .success(Split(level: number, result: result))
  }

  /// The cell an `@spte` entry's labels spell; nil for a sample of another map.
  static func cell(_ labels: Labels) -> Result<Cell, SPTELedgerError>? {
    guard labels.map == SPTECaptureKey.map else { return nil }
    let members = [
      SPTECaptureKey.levelLabel, SPTECaptureKey.oldLabel, SPTECaptureKey.newLabel, SPTECaptureKey.pfnLabel,
    ].map { labels[$0] }
    let entry = members.map { $0 ?? "?" }.joined(separator: ", ")
    func bad(_ why: String) -> Result<Cell, SPTELedgerError> {
      .failure(.badEntry(entry: "\(SPTECaptureKey.map)[\(labels.probe ?? "?"), \(entry)]", why: why))
    }
    guard let levelText = members[0], let level = SPTECaptureKey.level(named: levelText) else {
      return bad("the level is not 4K, 2M, 1G, 512G, 256T or L<n>")
    }
    guard let oldText = members[1], let old = SPTEClass(token: oldText) else {
      return bad("the old class is not 8 letters of PLWADXMF or -")
    }
    guard let newText = members[2], let new = SPTEClass(token: newText) else {
      return bad("the new class is not 8 letters of PLWADXMF or -")
    }
    guard let pfnText = members[3], let pfnChanged = SPTECaptureKey.pfnChanged(token: pfnText) else {
      return bad("the pfn member is not pfn-changed or pfn-same")
    }
    return .success(
      Cell(kind: SPTETransition(level: level, old: old, new: new, pfnChanged: pfnChanged).kind, level: level))
  }
}

/// Why a capture has no SPTE ledger.
public enum SPTELedgerError: Error, Sendable, Equatable, CustomStringConvertible {
  /// No `@spte` entry: not a `record --spte` capture.
  case noEntries
  /// An `@spte` entry whose members are not what `record --spte` writes.
  case badEntry(entry: String, why: String)

  public var description: String {
    switch self {
    case .noEntries:
      return
        "no \(SPTECaptureKey.map)[...] entries: --spte reads captures of `tdptrace record --spte` (kvmmmu:kvm_tdp_mmu_spte_changed by level and SPTE class)"
    case .badEntry(let entry, let why):
      return "\(entry): \(why) (--lenient skips such entries)"
    }
  }
}
