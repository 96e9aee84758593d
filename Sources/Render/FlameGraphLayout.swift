import StackFold
import TraceParse

/// Where each frame of a call tree goes in a flame graph: depth and start offset in weight
/// units, with frames narrower than the minimum width pruned (and counted).
struct FlameGraphLayout {
  struct Box {
    /// Index into `CallTree.nodes`.
    var node: Int
    var depth: Int
    /// Weight to the left of this frame at its depth: its x position in weight units.
    var start: UInt64
  }

  var boxes: [Box] = []
  var maxDepth = 0
  /// Frames not drawn because they, or a frame below them, were too narrow.
  var prunedFrames = 0
  /// Summed weight of the pruned subtrees (each pruned weight counted once).
  var prunedWeight: UInt64 = 0

  /// Lays out `tree`; a frame is drawn when it is at least `minPixels` wide on a plot
  /// `plotWidth` pixels wide. Children are ordered by name, as in flamegraph.pl, so two graphs
  /// of similar runs line up. Iterative, so a hostile 100,000-frame stack cannot overflow the
  /// call stack.
  /// `inSequence` keeps children in tree order (a flame chart) instead of by name. `width` is
  /// the weight the plot spans (the total, or flamegraph.pl's `--total` when larger).
  init(tree: CallTree, plotWidth: Double, minPixels: Double, inSequence: Bool = false, width: UInt64? = nil) {
    let total = tree.totalWeight
    guard total > 0 else { return }
    let minWeight = minPixels * Double(max(width ?? total, total)) / plotWidth
    var pending: [Box] = [Box(node: 0, depth: 0, start: 0)]
    let nodes = tree.nodes
    while let box = pending.popLast() {
      let node = nodes[box.node]
      if Double(node.totalWeight) < minWeight {
        prunedWeight &+= node.totalWeight
        continue
      }
      boxes.append(box)
      if box.depth > maxDepth { maxDepth = box.depth }
      let children =
        inSequence
        ? node.children
        : node.children.sorted {
          nodes[$0].name.utf8Precedes(nodes[$1].name)
        }
      // Self weight sits to the right of the children, as in flamegraph.pl.
      var x = box.start
      var childBoxes: [Box] = []
      childBoxes.reserveCapacity(children.count)
      for child in children {
        childBoxes.append(Box(node: child, depth: box.depth + 1, start: x))
        x &+= nodes[child].totalWeight
      }
      pending.append(contentsOf: childBoxes.reversed())
    }
    // Every node is either drawn or inside a pruned subtree.
    prunedFrames = nodes.count - boxes.count
  }
}
