import TraceParse

/// Selects samples by a label: `map=@faults`, `probe=tracepoint:kvmmmu:*`, `comm=qemu*`.
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
  public var name: String
  public var value: NamePattern

  /// An `event` value loses its perf modifiers, as event labels do: `--event cycles:u` selects
  /// `cycles`.
  public init(name: String, value: String) {
    self.name = name
    self.value = NamePattern(name == Labels.Name.event ? PerfEventName.withoutModifiers(value) : value)
  }

  /// Parses `NAME=VALUE`; nil when there is no `=` or the name is empty.
  public init?(parsing text: String) {
    guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { return nil }
    self.init(name: String(text[..<eq]), value: String(text[text.index(after: eq)...]))
  }

  public var description: String { "\(name)=\(value.pattern)" }

  /// The selector as a command-line flag, for messages: `--probe X` for the labels that have a
  /// shortcut, else `--select NAME=VALUE`.
  public var flag: String {
    let shortcuts: Set<String> = [
      Labels.Name.map, Labels.Name.probe, Labels.Name.event, Labels.Name.comm, Labels.Name.pid,
      Labels.Name.tid,
    ]
    return shortcuts.contains(name) ? "--\(name) \(value.pattern)" : "--select \(description)"
  }
}

/// What one filter removed, so the report can say so: nothing is dropped silently.
public struct FilterRemoval: Sendable, Hashable {
  /// The filter as the user wrote it: `--focus kvm_tdp_mmu_map`, `--min-count 10`.
  public var filter: String
  /// Unique stacks (samples of the model) removed.
  public var samples: Int
  public var weight: UInt64
  /// Non-stack map values (hist, stats, scalars) removed by a map selector.
  public var values: Int

  public init(filter: String, samples: Int = 0, weight: UInt64 = 0, values: Int = 0) {
    self.filter = filter
    self.samples = samples
    self.weight = weight
    self.values = values
  }
}

/// The profile left after filtering and what each filter took away.
public struct FilterResult: Sendable {
  public var profile: Profile
  /// One entry per active filter, in the order they were applied, even when it removed nothing.
  public var removals: [FilterRemoval]
}

/// Profile → Profile filters, in the order they apply: label selectors, `--focus`, `--ignore`,
/// `--min-count`. A sample removed by one filter is counted under that filter only.
///
/// - Label selectors: a sample is kept when, for every selected label name, its value matches
///   one of the patterns given for that name (patterns of one name are alternatives, different
///   names must all match). A sample without the label does not match. Only `map` selectors
///   apply to non-stack map values, by map name.
/// - `focus`: keep samples with a frame whose function matches any pattern (like pprof -focus).
/// - `ignore`: drop samples with a frame whose function matches any pattern (pprof -ignore).
/// - `minCount`: drop stacks whose weight, after naming (offsets stripped, source root added as
///   for folding), is below the threshold.
public struct StackFilter: Sendable {
  public var selectors: [LabelSelector]
  public var focus: [NamePattern]
  public var ignore: [NamePattern]
  public var minCount: UInt64?
  /// How stacks are named for `minCount`, which must agree with the folded output.
  public var naming: FrameNaming

  public init(
    selectors: [LabelSelector] = [], focus: [NamePattern] = [], ignore: [NamePattern] = [],
    minCount: UInt64? = nil, naming: FrameNaming = FrameNaming()
  ) {
    self.selectors = selectors
    self.focus = focus
    self.ignore = ignore
    self.minCount = minCount
    self.naming = naming
  }

  /// Whether any filter is set.
  public var isActive: Bool { !selectors.isEmpty || !focus.isEmpty || !ignore.isEmpty || minCount != nil }

  public func apply(to profile: Profile) throws(AggregationError) -> FilterResult {
    guard isActive else { return FilterResult(profile: profile, removals: []) }
    _ = try profile.checkedTotalWeight()  // removed weights are partial sums of this
    var keep = [Bool](repeating: true, count: profile.samples.count)
    var removals: [FilterRemoval] = []
    var values = profile.values

    if !selectors.isEmpty {
      var removal = FilterRemoval(filter: selectors.map(\.flag).joined(separator: " "))
      let groups = Dictionary(grouping: selectors, by: \.name)
      let labelMatches = profile.labelSets.map { labels in
        groups.allSatisfy { name, group in
          guard let value = labels[name] else { return false }
          return group.contains { $0.value.matches(value) }
        }
      }
      for (i, sample) in profile.samples.enumerated() where !labelMatches[Int(sample.labels)] {
        keep[i] = false
        removal.samples += 1
        removal.weight &+= sample.weight
      }
      if let maps = groups[Labels.Name.map] {
        let before = values.count
        values.removeAll { value in !maps.contains { $0.value.matches(value.map) } }
        removal.values = before - values.count
      }
      removals.append(removal)
    }

    func removeByFrames(_ patterns: [NamePattern], flag: String, keepIfMatch: Bool) {
      guard !patterns.isEmpty else { return }
      var removal = FilterRemoval(filter: patterns.map { "\(flag) \($0.pattern)" }.joined(separator: " "))
      let frameMatches = profile.frames.map { frame in
        let name = naming.functionName(frame)
        return patterns.contains { $0.matches(name) }
      }
      for (i, sample) in profile.samples.enumerated() where keep[i] {
        let hit = sample.stack.contains { frameMatches[Int($0)] }
        if hit != keepIfMatch {
          keep[i] = false
          removal.samples += 1
          removal.weight &+= sample.weight
        }
      }
      removals.append(removal)
    }
    removeByFrames(focus, flag: "--focus", keepIfMatch: true)
    removeByFrames(ignore, flag: "--ignore", keepIfMatch: false)

    if let minCount {
      var removal = FilterRemoval(filter: "--min-count \(minCount)")
      let kept = profile.samples.indices.filter { keep[$0] }
      let withSource =
        naming.sourceRoot
        ?? (Set(kept.map { profile.labels(of: profile.samples[$0]).source }).count > 1)
      var sums: [[String]: UInt64] = [:]
      var keys: [[String]] = []
      keys.reserveCapacity(kept.count)
      for i in kept {
        let key = naming.names(profile.samples[i], in: profile, withSource: withSource)
        keys.append(key)
        sums[key, default: 0] &+= profile.samples[i].weight
      }
      for (n, i) in kept.enumerated() where sums[keys[n]]! < minCount {
        keep[i] = false
        removal.samples += 1
        removal.weight &+= profile.samples[i].weight
      }
      removals.append(removal)
    }

    var filtered = profile.subset { i, sample in keep[i] ? sample.weight : nil }
    filtered.values = values
    return FilterResult(profile: filtered, removals: removals)
  }
}
