/// Turns the blocks of an interval capture into the events of each interval, so that every
/// total is right whether the script cleared its maps or printed running totals.
///
/// The rule for `--intervals auto` (docs/intervals.md): the blocks are **deltas** (the script
/// cleared its maps) when, between two consecutive blocks that both print a map, a key of that
/// map vanishes or its count falls: running totals never do either. Otherwise they are read as
/// **cumulative**, and a note says that this was assumed, since deltas whose every key fires in
/// every interval at a rising rate look the same. A cumulative block's weight becomes its
/// count minus the key's count in the block before; a count that falls anyway (`--intervals
/// cumulative` on cleared output) is a reset and counts whole, and a note says how many.
/// Histograms and other values keep each block as printed in delta mode; in cumulative mode
/// only each key's last block is kept, its running total.
public enum IntervalResolution {
  /// `profile` with each sample's weight the events of its block. A profile without blocks is
  /// returned unchanged.
  public static func resolve(_ profile: Profile, mode: IntervalMode, source: String) -> Profile {
    guard !profile.intervals.isEmpty else { return profile }
    let series = Series(profile)
    var out = profile
    var chosen = mode
    if mode == .auto, let declared = profile.declaredIntervalMode {
      chosen = declared
    } else if mode == .auto {
      if series.showsDeltas(profile) {
        chosen = .delta
      } else {
        chosen = .cumulative
        out.notes.append(
          "\(source): \(profile.intervals.count) interval blocks read as running totals (no count fell and no key vanished between blocks); pass --intervals delta if the script cleared its maps"
        )
      }
    }
    out.intervalMode = chosen
    guard chosen == .cumulative else { return out }

    var resets = 0
    var weights = [UInt64](repeating: 0, count: profile.samples.count)
    for members in series.keys.values {
      var previous: UInt64 = 0
      for (_, index) in members {
        let w = profile.samples[index].weight
        if w >= previous {
          weights[index] = w - previous
        } else {
          weights[index] = w
          resets += 1
        }
        previous = w
      }
    }
    // Each difference is at most its sample's count, as `subset` asks; a block without events
    // for a key holds no sample of it.
    var rebuilt = out.subset { i, _ in weights[i] > 0 ? weights[i] : nil }
    rebuilt.values = lastBlocks(of: profile.values)
    if resets > 0 {
      rebuilt.notes.append(
        "\(source): --intervals cumulative: \(resets) count\(resets == 1 ? "" : "s") fell between blocks and \(resets == 1 ? "was" : "were") read as counter resets"
      )
    }
    return rebuilt
  }

  /// Each value key's last block (its running total in cumulative output).
  static func lastBlocks(of values: [MapValue]) -> [MapValue] {
    var last: [ValueKey: Int] = [:]
    for (i, value) in values.enumerated() { last[ValueKey(value)] = i }
    return values.enumerated().filter { last[ValueKey($0.element)] == $0.offset }.map(\.element)
  }

  struct ValueKey: Hashable {
    var map: String
    var key: [String]
    var kind: MapValue.Kind
    init(_ value: MapValue) {
      map = value.map
      key = value.key
      kind = value.kind
    }
  }

  /// Samples grouped by what they are apart from their block: (stack, labels without
  /// `interval`), each group's (block, sample index) in block order.
  struct Series {
    struct Key: Hashable {
      var stack: [FrameID]
      var labels: Labels
    }
    var keys: [Key: [(Int, Int)]] = [:]
    /// The blocks each map printed in.
    var mapBlocks: [String: Set<Int>] = [:]
    /// How many blocks the capture has, printing or not.
    var blockCount = 0

    init(_ profile: Profile) {
      let blocks = profile.blockOfLabelSets
      blockCount = profile.intervals.count
      // Each label set without its `interval` label, once per set rather than per sample.
      let bases = profile.labelSets.map { labels in
        var base = labels
        base[Labels.Name.interval] = nil
        return base
      }
      for (i, sample) in profile.samples.enumerated() {
        let block = blocks[Int(sample.labels)] ?? 0
        let labels = bases[Int(sample.labels)]
        keys[Key(stack: sample.stack, labels: labels), default: []].append((block, i))
        mapBlocks[labels.map ?? "", default: []].insert(block)
      }
      for k in keys.keys { keys[k]!.sort { $0.0 < $1.0 } }
    }

    /// Whether a key vanishes from a block that prints its map, or a count falls.
    func showsDeltas(_ profile: Profile) -> Bool {
      for (key, members) in keys {
        let printed = mapBlocks[key.labels.map ?? ""] ?? []
        for (a, b) in zip(members, members.dropFirst()) {
          if profile.samples[b.1].weight < profile.samples[a.1].weight { return true }
          if b.0 > a.0 + 1, (a.0 + 1..<b.0).contains(where: printed.contains) { return true }
        }
        if let last = members.last, printed.contains(where: { $0 > last.0 }) { return true }
      }
      // A map that printed and is missing from a later block was emptied: running totals never
      // shrink, so they print in every block after their first. bpftrace's JSON prints nothing
      // for an empty map, so a cleared map whose keys never repeat shows only this. The last
      // block is left out: a run stopped between time() and print() ends with a bare header.
      for printed in mapBlocks.values {
        guard let first = printed.min() else { continue }
        if (first + 1..<max(first + 1, blockCount - 1)).contains(where: { !printed.contains($0) }) {
          return true
        }
      }
      return false
    }
  }
}
