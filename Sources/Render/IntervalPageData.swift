import StackFold
import TraceParse

/// What the HTML page of an interval capture embeds so that its script
/// (`IntervalRangeScript`) can show the flame graph and the tables for any range of blocks:
/// every quantity the page prints (a table cell, a frame) as its weight per block
/// (`BlockWeights`), written once in a JSON element and referred to by id from the cells
/// (`data-iw`). The script only adds up weights it is given; nothing is estimated.
///
/// JSON numbers are doubles in the browser: exact up to 2^53 - 1. Every weight is at most the
/// profile's total, so when the total fits, all weights are numbers; when it does not, all of
/// them are written as decimal strings and the script adds them as BigInts (`big`).
struct IntervalPageData {
  /// The id of the JSON element.
  static let elementID = "tdp-ranges"
  /// The largest integer a JavaScript number holds exactly.
  static let largestExact: UInt64 = (1 << 53) - 1

  let blocks: [IntervalMark]
  let scale: WeightScale
  let big: Bool
  /// Series 0 is the capture's weight per block (the range total).
  private(set) var series: [BlockWeights] = []
  private var ids: [BlockWeights: Int] = [:]
  /// Per drawn flame-graph frame, in document order: its parent's position in this list (-1
  /// for the root) and its weights.
  var frames: [(parent: Int, weights: BlockWeights)] = []
  /// Every function, by name (UTF-8 order, as the tables break ties), for the top tables the
  /// script rebuilds: its anchor on the page ("" for none), self and total series.
  private(set) var functions: [(name: String, anchor: String, selfID: Int, totalID: Int)] = []

  /// Each source's weight and unique stacks per block.
  let sources: [String: (weight: BlockWeights, stacks: BlockWeights)]
  let uniqueStacks: BlockWeights
  /// Each function's self and total weight per block.
  let functionWeights: [String: (selfWeight: BlockWeights, totalWeight: BlockWeights)]
  /// For each function with a caller/callee section: its weights and its edges' per block.
  let views: [String: View]

  struct View {
    var totalWeight = BlockWeights()
    var selfWeight = BlockWeights()
    var callers: [String: BlockWeights] = [:]
    var callees: [String: BlockWeights] = [:]
  }

  /// nil unless `profile` has two or more blocks that hold every sample between them (a range
  /// of one block is the whole page, and a sample outside every block would make the ranges'
  /// totals fall short of the page's).
  /// - Throws: `AggregationError` if a part's total weight does not fit in UInt64.
  init?(profile: Profile, parts: [Profile], naming: FrameNaming, sectioned: Set<String>)
    throws(AggregationError)
  {
    guard profile.intervals.count >= 2, parts.count == profile.intervals.count else { return nil }
    let totals = parts.map(\.totalWeight)
    let total = try profile.checkedTotalWeight()
    guard totals.reduce(0, &+) == total else { return nil }
    blocks = profile.intervals
    scale = profile.weightScale
    // A block of one source would name its callers `[root]` where the whole profile names the
    // source: every part is held to the whole profile's choice.
    var naming = naming
    naming.sourceRoot = naming.usesSourceRoot(profile)
    big = total > Self.largestExact
    uniqueStacks = BlockWeights(dense: parts.map { UInt64($0.samples.count) })

    var sourceWeights: [[String: UInt64]] = []
    var sourceStacks: [[String: UInt64]] = []
    var selfWeights: [[String: UInt64]] = []
    var totalWeights: [[String: UInt64]] = []
    var views: [String: View] = [:]
    for (block, part) in parts.enumerated() {
      let sources = ReportModel.sourceTotals(part)
      sourceWeights.append(sources.mapValues(\.weight))
      sourceStacks.append(sources.mapValues { UInt64($0.stacks) })
      let functions = try FunctionTable(profile: part, naming: naming).functions
      selfWeights.append(Dictionary(functions.map { ($0.name, $0.selfWeight) }, uniquingKeysWith: &+))
      totalWeights.append(Dictionary(functions.map { ($0.name, $0.totalWeight) }, uniquingKeysWith: &+))
      for view in try CallersCallees.views(ofFunctions: sectioned, in: part, naming: naming) {
        var entry = views[view.function, default: View()]
        entry.totalWeight.add(view.totalWeight, inBlock: block)
        entry.selfWeight.add(view.selfWeight, inBlock: block)
        for edge in view.callers {
          entry.callers[edge.name, default: BlockWeights()].add(edge.weight, inBlock: block)
        }
        for edge in view.callees {
          entry.callees[edge.name, default: BlockWeights()].add(edge.weight, inBlock: block)
        }
        views[view.function] = entry
      }
    }
    let weightBySource = BlockWeights.byKey(sourceWeights)
    let stacksBySource = BlockWeights.byKey(sourceStacks)
    var sources: [String: (weight: BlockWeights, stacks: BlockWeights)] = [:]
    for name in Set(weightBySource.keys).union(stacksBySource.keys) {
      sources[name] = (weightBySource[name] ?? BlockWeights(), stacksBySource[name] ?? BlockWeights())
    }
    self.sources = sources
    let selfByName = BlockWeights.byKey(selfWeights)
    let totalByName = BlockWeights.byKey(totalWeights)
    var functionWeights: [String: (selfWeight: BlockWeights, totalWeight: BlockWeights)] = [:]
    for name in Set(selfByName.keys).union(totalByName.keys) {
      functionWeights[name] = (selfByName[name] ?? BlockWeights(), totalByName[name] ?? BlockWeights())
    }
    self.functionWeights = functionWeights
    self.views = views
    series.append(BlockWeights(dense: totals))
    ids[series[0]] = 0
  }

  /// The id of `weights` in `series`, added when new (equal series share one id).
  mutating func id(_ weights: BlockWeights) -> Int {
    if let known = ids[weights] { return known }
    series.append(weights)
    ids[weights] = series.count - 1
    return series.count - 1
  }

  /// ` data-iw="K"`: the element shows the weight of `weights` over the range.
  mutating func weight(_ weights: BlockWeights) -> String { " data-iw=\"\(id(weights))\"" }

  /// ` data-ic="K"`: the element shows a count (unique stacks) over the range, unscaled.
  mutating func count(_ counts: BlockWeights) -> String { " data-ic=\"\(id(counts))\"" }

  /// ` data-ip="K:M"`: the element shows `part` as a percentage of `whole` over the range.
  mutating func share(_ part: BlockWeights, of whole: BlockWeights) -> String {
    " data-ip=\"\(id(part)):\(id(whole))\""
  }

  /// ` data-ir="K"`: the table row is hidden for a range in which `weights` is zero.
  mutating func row(_ weights: BlockWeights) -> String { " data-ir=\"\(id(weights))\"" }

  /// The range total's series.
  var totals: BlockWeights { series[0] }

  /// Records every function for the top tables; `anchors` are the ones with a section.
  mutating func setFunctions(_ names: [String], anchors: Set<String>) {
    functions = names.sorted { $0.utf8Precedes($1) }.map { name in
      let weights = functionWeights[name] ?? (BlockWeights(), BlockWeights())
      return (
        name, anchors.contains(name) ? "fn-" + Escaping.identifier(name) : "", id(weights.selfWeight),
        id(weights.totalWeight)
      )
    }
  }

  /// The JSON element, safe inside HTML: names go through `Escaping.json` (no `<`, `>`, `&`
  /// survive), everything else is digits. `countName`, `factor` and `top` are how the page
  /// prints what the script recomputes.
  func element(countName: String, factor: Double, top: Int) -> String {
    var out = "<script type=\"application/json\" id=\"\(Self.elementID)\">{\"big\":\(big)"
    out += ",\"decimals\":\(scale.decimals),\"countName\":\(Escaping.json(countName))"
    out += ",\"factor\":\(factor.isFinite ? FlameGraphNumbers.trimmed(factor) : "1"),\"top\":\(max(0, top))"
    out += ",\"blocks\":["
    for (i, mark) in blocks.enumerated() {
      if i > 0 { out += "," }
      out += "[\(mark.index),\(mark.time.map { Escaping.json($0) } ?? "null")]"
    }
    out += "],\"series\":["
    for (i, s) in series.enumerated() {
      if i > 0 { out += "," }
      out += "["
      append(s, to: &out)
      out += "]"
    }
    out += "],\"frames\":["
    for (i, frame) in frames.enumerated() {
      if i > 0 { out += "," }
      out += "[\(frame.parent)"
      if !frame.weights.blocks.isEmpty { out += "," }
      append(frame.weights, to: &out)
      out += "]"
    }
    out += "],\"functions\":["
    for (i, f) in functions.enumerated() {
      if i > 0 { out += "," }
      out += "[\(Escaping.json(f.name)),\(Escaping.json(f.anchor)),\(f.selfID),\(f.totalID)]"
    }
    return out + "]}</script>\n"
  }

  /// `block,weight,block,weight...`; weights quoted when `big`.
  private func append(_ weights: BlockWeights, to out: inout String) {
    for (i, (block, weight)) in zip(weights.blocks, weights.weights).enumerated() {
      if i > 0 { out += "," }
      out += big ? "\(block),\"\(weight)\"" : "\(block),\(weight)"
    }
  }
}

/// The page writes each attribute through these, so a page without ranges (nil) gets none and
/// keeps the bytes it always had.
extension IntervalPageData? {
  mutating func weight(_ weights: BlockWeights?) -> String {
    guard let weights, self != nil else { return "" }
    return self!.weight(weights)
  }

  mutating func count(_ counts: BlockWeights?) -> String {
    guard let counts, self != nil else { return "" }
    return self!.count(counts)
  }

  mutating func share(_ part: BlockWeights?, of whole: BlockWeights?) -> String {
    guard let part, let whole, self != nil else { return "" }
    return self!.share(part, of: whole)
  }

  mutating func row(_ weights: BlockWeights?) -> String {
    guard let weights, self != nil else { return "" }
    return self!.row(weights)
  }

  /// ` data-ib="P"`: the row (a map value printed in block `interval`) is hidden for a range
  /// without that block.
  func block(_ interval: Int?) -> String {
    guard let self, let interval, let position = self.blocks.firstIndex(where: { $0.index == interval })
    else { return "" }
    return " data-ib=\"\(position)\""
  }

  /// `text` in a span with `attribute`, or `text` alone when there is none.
  func wrap(_ text: String, _ attribute: String) -> String {
    attribute.isEmpty ? text : "<span\(attribute)>\(text)</span>"
  }
}
