import StackFold
import TraceParse

/// A differential flame graph, as difffolded.pl piped into flamegraph.pl draws it: widths
/// follow AFTER, and each frame is red when its total weight grew, blue when it shrank, with
/// the intensity proportional to the change (largest change = full color). Unlike
/// flamegraph.pl, which colors by the change in self weight only, the color follows the total
/// (self plus callees), so the callers of a hot function show the change too. Stacks that
/// vanished (BEFORE only) cannot be drawn with AFTER's widths; the subtitle counts them and the
/// table lists the functions.
public struct DiffFlameGraph {
  public var options: FlameGraphOptions

  public init(options: FlameGraphOptions = FlameGraphOptions()) { self.options = options }

  /// Renders `diff`; `categories` (from `FlameGraphPalette.categories`) decides nothing here
  /// but the legend is fixed: red grew, blue shrank.
  public func render(_ diff: ProfileDiff) -> [UInt8] {
    Array(document(diff, standalone: true).utf8)
  }

  public func document(_ diff: ProfileDiff, standalone: Bool) -> String {
    let after = diff.tree(after: true)
    let before = diff.tree(after: false)
    // Map every AFTER node to the BEFORE node with the same path. Nodes are appended parent
    // first, so one pass in index order sees each parent before its children.
    var beforeChild: [ChildKey: Int] = [:]
    for (i, node) in before.nodes.enumerated() {
      if let parent = node.parent { beforeChild[ChildKey(parent: parent, name: node.name)] = i }
    }
    var match = [Int?](repeating: nil, count: after.nodes.count)
    match[0] = 0
    for i in 1..<after.nodes.count {
      let node = after.nodes[i]
      if let p = node.parent, let bp = match[p] {
        match[i] = beforeChild[ChildKey(parent: bp, name: node.name)]
      }
    }
    let beforeWeight = match.map { $0.map { before.nodes[$0].totalWeight } ?? 0 }
    var deltas = [Double](repeating: 0, count: after.nodes.count)
    var maxDelta = 0.0
    for i in after.nodes.indices {
      deltas[i] = diff.delta(before: beforeWeight[i], after: after.nodes[i].totalWeight)
      if i != 0 { maxDelta = max(maxDelta, abs(deltas[i])) }
    }

    var notes: [String] = []
    notes.append(
      "before \(diff.weightScale.format(diff.beforeTotal, grouped: true)), after \(diff.weightScale.format(diff.afterTotal, grouped: true)) \(options.countName)"
        + (diff.normalized ? "; before normalized to after's total" : ""))
    let vanished = diff.vanished
    if !vanished.isEmpty {
      let weight = vanished.reduce(UInt64(0)) { $0 &+ $1.before }
      notes.append(
        "\(FlameGraphNumbers.grouped(UInt64(vanished.count))) stacks only in before, not drawn (\(diff.weightScale.format(weight, grouped: true)) \(options.countName) before)"
      )
    }
    let countName = options.countName
    let afterTotal = diff.afterTotal
    var writer = FlameGraphWriter(options: options, defaultTitle: "Differential Flame Graph", notes: notes)
    writer.scale = diff.weightScale
    writer.legend = [
      (FlameGraphPalette.diffColor(grew: !options.negate, intensity: 1), "grew"),
      (FlameGraphPalette.diffColor(grew: options.negate, intensity: 1), "shrank"),
      ("rgb(255,255,255)", "unchanged"),
    ]
    writer.background = ("#f8f8f8", "#e8e8e8")
    return writer.write(
      tree: after, standalone: standalone,
      category: { _, depth in depth == 0 ? .synthetic : .kernel },
      fill: { index, _ in
        if index == 0 { return "rgb(220,220,220)" }
        let d = deltas[index]
        if d == 0 || maxDelta == 0 { return "rgb(255,255,255)" }
        // --negate swaps the hues, as flamegraph.pl's does.
        return FlameGraphPalette.diffColor(grew: (d > 0) != options.negate, intensity: abs(d) / maxDelta)
      },
      tooltip: { index in
        let a = after.nodes[index].totalWeight
        let b = beforeWeight[index]
        let d = deltas[index]
        let beforeShare = diff.beforeTotal == 0 ? 0 : Double(b) / Double(diff.beforeTotal)
        let afterShare = afterTotal == 0 ? 0 : Double(a) / Double(afterTotal)
        let scale = diff.weightScale
        let deltaText =
          diff.normalized
          ? FlameGraphNumbers.signedGrouped(d / Double(scale.unit))
          : (d >= 0 ? "+" : "-") + scale.format(a >= b ? a - b : b - a, grouped: true)
        let shareSign = afterShare >= beforeShare ? "+" : ""
        return
          " (\(FlameGraphNumbers.count(a, scale: scale, factor: options.factor)) \(countName), \(FlameGraphNumbers.percent(a, of: afterTotal))%; before \(FlameGraphNumbers.count(b, scale: scale, factor: options.factor)), \(FlameGraphNumbers.percent(b, of: diff.beforeTotal))%; change \(deltaText), share \(shareSign)\(FlameGraphNumbers.fixed2((afterShare - beforeShare) * 100)) pp)"
      })
  }

  private struct ChildKey: Hashable {
    var parent: Int
    var name: String
  }
}
