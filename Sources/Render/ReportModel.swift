import StackFold
import TraceParse

/// What a report shows, beyond the profile itself.
public struct ReportOptions: Sendable {
  /// Input names, as given (`-` shows as `<stdin>`).
  public var inputs: [String]
  public var naming: FrameNaming
  /// Rows in each top-functions table.
  public var top: Int
  /// Call tree children lighter than this percentage of the total are summarised in one line
  /// per parent (`[3 more under 0.50%: weight 12]`), so the tree stays readable and the
  /// weights still add up.
  public var treeMinPercent: Double
  /// Deepest call-tree level printed (1 = the root's children); nil for all, up to
  /// `ReportModel.treeDepthLimit`. Deeper levels are summarised the same way.
  public var treeMaxDepth: Int?
  /// `--callers` / `--callees` patterns. When any is given the report shows those views instead
  /// of the top tables and the call tree.
  public var callers: [NamePattern]
  public var callees: [NamePattern]
  /// What the filters removed.
  public var filtered: [FilterRemoval]
  /// What trimming tracing frames removed (`BPFFrameTrim`); nil when it did not run
  /// (`--keep-bpf-frames`).
  public var bpfFrames: BPFFrameTrim.Summary?
  /// Symbol sizes by name, where debuginfo gave them, for `SuspectFrames`.
  public var symbolSizes: [String: UInt64]

  public init(
    inputs: [String] = [], naming: FrameNaming = FrameNaming(), top: Int = 20, treeMinPercent: Double = 0.5,
    treeMaxDepth: Int? = nil, callers: [NamePattern] = [], callees: [NamePattern] = [],
    filtered: [FilterRemoval] = [], bpfFrames: BPFFrameTrim.Summary? = nil,
    symbolSizes: [String: UInt64] = [:]
  ) {
    self.inputs = inputs
    self.naming = naming
    self.top = top
    self.treeMinPercent = treeMinPercent
    self.treeMaxDepth = treeMaxDepth
    self.callers = callers
    self.callees = callees
    self.filtered = filtered
    self.bpfFrames = bpfFrames
    self.symbolSizes = symbolSizes
  }
}

/// The content of a report, computed once so the text and JSON forms say the same thing.
public struct ReportModel: Sendable {
  /// Weight and unique stacks of one map, probe or event.
  public struct SourceTotal: Sendable, Hashable {
    public var source: String
    public var stacks: Int
    public var weight: UInt64
  }

  /// A call-tree node as printed: children lighter than the threshold are folded into
  /// `elidedNodes`/`elidedWeight`.
  public struct TreeNode: Sendable, Hashable {
    public var name: String
    public var kind: FrameKind
    public var totalWeight: UInt64
    public var selfWeight: UInt64
    public var children: [TreeNode]
    public var elidedNodes: Int
    public var elidedWeight: UInt64
  }

  /// One `--callers` or `--callees` request and the functions it matched.
  public struct Peek: Sendable, Hashable {
    public enum Direction: String, Sendable { case callers, callees }
    public var direction: Direction
    public var pattern: String
    public var views: [CallersCallees]
  }

  public var inputs: [String]
  public var unit: WeightUnit
  /// How every weight of the model prints (`WeightScale.format`): exact fractional counts.
  public var weightScale: WeightScale
  public var totalWeight: UInt64
  public var uniqueStacks: Int
  public var sources: [SourceTotal]
  public var skipped: SkipTally
  public var filtered: [FilterRemoval]
  /// What trimming tracing frames removed; nil when it did not run.
  public var bpfFrames: BPFFrameTrim.Summary?
  /// Frames whose offset no function can have, heaviest first.
  public var suspectFrames: [SuspectFrames.Entry]
  /// Every distinct function (empty when the report shows callers/callees views instead).
  public var functions: [FunctionStat]
  /// Number of distinct functions; the top tables show at most `top` of them.
  public var functionCount: Int { functions.count }
  public var topBySelf: [FunctionStat]
  public var topByTotal: [FunctionStat]
  /// nil when the report shows callers/callees views instead.
  public var tree: TreeNode?
  public var treeMinPercent: Double
  public var peeks: [Peek]
  public var values: [MapValue]
  public var notes: [String]
  /// For an interval capture, each group's weight block by block; nil otherwise.
  public var series: IntervalSeries?

  /// - Throws: `AggregationError` if the profile's total weight does not fit in UInt64.
  public init(profile: Profile, options: ReportOptions) throws(AggregationError) {
    inputs = options.inputs
    unit = profile.unit
    weightScale = profile.weightScale
    totalWeight = try profile.checkedTotalWeight()
    uniqueStacks = profile.samples.count
    skipped = profile.skipped
    filtered = options.filtered
    bpfFrames = options.bpfFrames
    suspectFrames = SuspectFrames(profile: profile, sizes: options.symbolSizes).entries
    values = profile.values
    notes = profile.notes
    series = IntervalSeries(profile: profile)
    treeMinPercent = options.treeMinPercent

    sources = Self.sourceTotals(profile).values.sorted {
      $0.weight != $1.weight
        ? $0.weight > $1.weight : $0.source.utf8Precedes($1.source)
    }

    peeks = []
    for pattern in options.callers {
      peeks.append(
        Peek(
          direction: .callers, pattern: pattern.pattern,
          views: try CallersCallees.views(of: pattern, in: profile, naming: options.naming)))
    }
    for pattern in options.callees {
      peeks.append(
        Peek(
          direction: .callees, pattern: pattern.pattern,
          views: try CallersCallees.views(of: pattern, in: profile, naming: options.naming)))
    }

    if peeks.isEmpty {
      let table = try FunctionTable(profile: profile, naming: options.naming)
      functions = table.functions
      topBySelf = table.topBySelf(options.top)
      topByTotal = table.topByTotal(options.top)
      let callTree = CallTree(profile: profile, naming: options.naming)
      let threshold = Double(totalWeight) * options.treeMinPercent / 100
      let deepest = callTree.nodes.reduce(0) { max($0, $1.depth) }
      let maxDepth = min(options.treeMaxDepth ?? Self.treeDepthLimit, Self.treeDepthLimit)
      if deepest > maxDepth && maxDepth == Self.treeDepthLimit {
        notes.append(
          "call tree shown to depth \(maxDepth) of \(deepest); deeper frames are summarised (the folded output and the graphs have them all)"
        )
      }
      tree = Self.prune(callTree, 0, threshold: threshold, maxDepth: maxDepth)
    } else {
      functions = []
      topBySelf = []
      topByTotal = []
      tree = nil
    }
  }

  /// Weight and unique stacks of each map, probe or event, by its name.
  static func sourceTotals(_ profile: Profile) -> [String: SourceTotal] {
    var bySource: [String: SourceTotal] = [:]
    for sample in profile.samples {
      let name = profile.labels(of: sample).source ?? FrameNaming.unknownSource
      bySource[name, default: SourceTotal(source: name, stacks: 0, weight: 0)].stacks += 1
      bySource[name]!.weight &+= sample.weight
    }
    return bySource
  }

  /// The deepest call-tree level a report prints, whatever `treeMaxDepth` asks. `prune`, the
  /// text and JSON writers and `TreeNode` itself (a value nested once per level, freed
  /// recursively) all recurse once per level, so this bound is what keeps a hostile
  /// 100,000-frame stack from overflowing the thread's stack. Deeper levels are summarised as
  /// `treeMaxDepth` does, and a note says so. It also keeps the text tree's indentation, and the
  /// JSON's nesting (two levels per tree level), within what readers cope with: Foundation's
  /// `JSONSerialization` refuses more than 512 nested levels. A kernel stack has at most 127
  /// frames (perf's and bpftrace's limit), so this cuts only user stacks of deep recursion.
  public static let treeDepthLimit = 250

  private static func prune(_ tree: CallTree, _ index: Int, threshold: Double, maxDepth: Int) -> TreeNode {
    let node = tree.nodes[index]
    var out = TreeNode(
      name: node.name, kind: node.kind, totalWeight: node.totalWeight, selfWeight: node.selfWeight,
      children: [],
      elidedNodes: 0, elidedWeight: 0)
    for child in tree.sortedChildren(of: index) {
      let c = tree.nodes[child]
      if Double(c.totalWeight) < threshold || c.depth > maxDepth {
        out.elidedNodes += 1
        out.elidedWeight &+= c.totalWeight
      } else {
        out.children.append(prune(tree, child, threshold: threshold, maxDepth: maxDepth))
      }
    }
    return out
  }

  /// `57.72`: `part` as a percentage of `whole` with two decimals (`0.00` when whole is 0).
  public static func percent(_ part: UInt64, of whole: UInt64) -> String {
    guard whole > 0 else { return "0.00" }
    let hundredths = (Double(part) / Double(whole) * 10000).rounded()
    let value = UInt64(hundredths)
    let cents = value % 100
    return "\(value / 100)." + (cents < 10 ? "0" : "") + "\(cents)"
  }
}
