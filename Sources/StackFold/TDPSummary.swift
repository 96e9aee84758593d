import TDPTable
import TraceParse

/// `report --tdp`: for every TDP MMU group and probe, the weight by the path that reached it.
///
/// A sample's probe is its `probe` label (bpftrace), else its `event` label (perf), else its leaf
/// frame's function. Its group comes from a `ProbeTable` (the TDP MMU's by default); if the probe is not a TDP MMU probe
/// (a perf `cpu-clock` sample, say) but the leaf function is, the leaf function stands in.
/// Samples in no group are counted under `elsewhere`, so every weight that goes in comes out:
/// the group totals plus the `elsewhere` total equal the profile's total.
public struct TDPSummary: Sendable {
  /// Weight reaching one probe through one origin.
  public struct OriginRow: Sendable, Hashable {
    public var origin: PathOrigin
    /// For `other`: the top frames that stand for the path (leaf first). Empty otherwise.
    public var topFrames: [String]
    public var weight: UInt64

    /// `vCPU page fault`, or `other: a < b < c`.
    public var label: String {
      topFrames.isEmpty ? origin.label : origin.label + ": " + topFrames.joined(separator: " < ")
    }
  }

  /// One probe: its total and its origins, heaviest first.
  public struct ProbeRow: Sendable, Hashable {
    /// As the input named it: `kprobe:__handle_changed_spte`, `kvmmmu:kvm_mmu_get_page`,
    /// `tdp_mmu_init_sp`.
    public var probe: String
    public var weight: UInt64
    public var origins: [OriginRow]
  }

  /// One group (`map`, `init-sp`, ...): its total and its probes, heaviest first.
  public struct GroupRow: Sendable, Hashable {
    public var group: String
    public var summary: String
    public var weight: UInt64
    public var probes: [ProbeRow]
  }

  /// One line of the table, for renderers that want it flat.
  public struct Row: Sendable, Hashable {
    public var group: String
    public var probe: String
    public var origin: PathOrigin
    public var topFrames: [String]
    public var weight: UInt64
    /// This origin's share of the probe's weight, 0...1.
    public var share: Double
  }

  /// Groups with samples, in the table's order.
  public var groups: [GroupRow]
  /// Probes of samples that belong to no TDP MMU group, heaviest first, with no origins.
  public var elsewhere: [ProbeRow]
  public var unit: WeightUnit
  /// How the weights print (`WeightScale.format`).
  public var weightScale: WeightScale = .integer
  public var totalWeight: UInt64
  /// Records the parser skipped under `--lenient`.
  public var skipped: SkipTally

  /// Weight of samples in some TDP MMU group.
  public var groupedWeight: UInt64 { groups.reduce(0) { $0 &+ $1.weight } }
  /// Weight of samples in no group.
  public var elsewhereWeight: UInt64 { elsewhere.reduce(0) { $0 &+ $1.weight } }

  /// Every (group, probe, origin) line, in report order.
  public var rows: [Row] {
    groups.flatMap { group in
      group.probes.flatMap { probe in
        probe.origins.map { origin in
          Row(
            group: group.group, probe: probe.probe, origin: origin.origin, topFrames: origin.topFrames,
            weight: origin.weight,
            share: probe.weight == 0 ? 0 : Double(origin.weight) / Double(probe.weight))
        }
      }
    }
  }

  /// Summarises `profile` by `table`'s groups and path rules.
  public init(profile: Profile, table: ProbeTable = .tdpMMU) {
    let classifier = PathClassifier(rules: table.pathRules)
    struct OriginKey: Hashable {
      var origin: PathOrigin
      var topFrames: [String]
    }
    struct ProbeKey: Hashable {
      var group: String
      var probe: String
    }
    var probeOrigins: [ProbeKey: [OriginKey: UInt64]] = [:]
    var elsewhereWeights: [String: UInt64] = [:]
    var cache = PathClassifier.Cache()
    var groupOfProbe: [String: ProbeGroup?] = [:]

    // What a sample's probe says depends only on its label set and its leaf frame: worked out
    // once per pair. Samples with the same place and stack (another comm or pid) are then
    // classified once, with their weights summed.
    enum Place {
      case elsewhere(String)
      case grouped(group: String, probeName: String, probeFunction: String)
    }
    struct PlaceKey: Hashable {
      var probe: Int
      var leaf: FrameID?
    }
    // The only labels read: probe, else event. Label sets that differ elsewhere (comm, pid)
    // share an id here (-1: neither).
    var probeLabels: [String] = []
    var probeLabelIDs: [String: Int] = [:]
    let probeLabelOf = profile.labelSets.map { labels -> Int in
      guard let text = labels.probe ?? labels.event else { return -1 }
      if let id = probeLabelIDs[text] { return id }
      probeLabels.append(text)
      probeLabelIDs[text] = probeLabels.count - 1
      return probeLabels.count - 1
    }
    var placeIDs: [PlaceKey: Int] = [:]
    var places: [Place] = []
    func place(of sample: Sample) -> Int {
      let probeLabel = probeLabelOf[Int(sample.labels)]
      let key = PlaceKey(probe: probeLabel, leaf: sample.stack.last)
      if let known = placeIDs[key] { return known }
      let leaf = sample.stack.last.map { profile.frame($0).symbol }
      let probe =
        probeLabel >= 0 ? probeLabels[probeLabel] : leaf.map { FrameName.base($0) } ?? "[empty stack]"
      func lookUp(_ name: String) -> ProbeGroup? {
        if let known = groupOfProbe[name] { return known }
        let found = table.group(of: name)
        groupOfProbe[name] = .some(found)
        return found
      }
      var group = lookUp(probe)
      var probeName = probe
      var probeFunction = ProbeName(probe).function
      if group == nil, let leaf, let leafGroup = lookUp(leaf) {
        group = leafGroup
        probeFunction = FrameName.base(leaf)
        probeName = probeFunction
      }
      if let group {
        places.append(.grouped(group: group.name, probeName: probeName, probeFunction: probeFunction))
      } else {
        places.append(.elsewhere(probe))
      }
      placeIDs[key] = places.count - 1
      return places.count - 1
    }

    var groupTable = ByteKeyTable(capacity: 1024)
    var groupFirst: [Int] = []
    var groupPlace: [Int] = []
    var groupWeight: [UInt64] = []
    var key: [UInt32] = []
    for (index, sample) in profile.samples.enumerated() {
      let placeID = place(of: sample)
      if case .elsewhere(let probe) = places[placeID] {
        elsewhereWeights[probe, default: 0] &+= sample.weight
        continue
      }
      key.removeAll(keepingCapacity: true)
      key.append(UInt32(placeID))
      key.append(contentsOf: sample.stack)
      key.withUnsafeBytes { raw in
        let bytes = raw.bindMemory(to: UInt8.self)
        let hash = hashBytes(bytes)
        if let known = groupTable.find(bytes.baseAddress!, bytes.count, hash: hash) {
          groupWeight[Int(known)] &+= sample.weight
        } else {
          groupTable.insert(bytes.baseAddress!, bytes.count, hash: hash, value: UInt32(groupFirst.count))
          groupFirst.append(index)
          groupPlace.append(placeID)
          groupWeight.append(sample.weight)
        }
      }
    }
    for (g, first) in groupFirst.enumerated() {
      guard case .grouped(let group, let probeName, let probeFunction) = places[groupPlace[g]] else {
        continue
      }
      let result = classifier.classify(
        profile.samples[first], in: profile, probeFunction: probeFunction, cache: &cache)
      probeOrigins[ProbeKey(group: group, probe: probeName), default: [:]][
        OriginKey(origin: result.origin, topFrames: result.topFrames), default: 0] &+= groupWeight[g]
    }

    let originOrder = Dictionary(uniqueKeysWithValues: PathOrigin.allCases.enumerated().map { ($1, $0) })
    var groups: [GroupRow] = []
    for group in table.groups {
      var probes: [ProbeRow] = []
      for (key, origins) in probeOrigins where key.group == group.name {
        let rows = origins.map {
          OriginRow(origin: $0.key.origin, topFrames: $0.key.topFrames, weight: $0.value)
        }
        .sorted { a, b in
          if a.weight != b.weight { return a.weight > b.weight }
          if a.origin != b.origin { return originOrder[a.origin]! < originOrder[b.origin]! }
          return a.topFrames.lexicographicallyPrecedes(b.topFrames)
        }
        probes.append(ProbeRow(probe: key.probe, weight: rows.reduce(0) { $0 &+ $1.weight }, origins: rows))
      }
      guard !probes.isEmpty else { continue }
      probes.sort { $0.weight != $1.weight ? $0.weight > $1.weight : $0.probe < $1.probe }
      groups.append(
        GroupRow(
          group: group.name, summary: group.summary, weight: probes.reduce(0) { $0 &+ $1.weight },
          probes: probes))
    }
    self.groups = groups
    elsewhere = elsewhereWeights.map { ProbeRow(probe: $0.key, weight: $0.value, origins: []) }
      .sorted { $0.weight != $1.weight ? $0.weight > $1.weight : $0.probe < $1.probe }
    unit = profile.unit
    weightScale = profile.weightScale
    totalWeight = profile.totalWeight
    skipped = profile.skipped
  }
}
