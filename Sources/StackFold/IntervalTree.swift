import TraceParse

/// The call tree of an interval capture with each node's weight per block, so the HTML
/// report can draw the flame graph and tables of any range of blocks in the browser
/// (FlameScope's idea): a node's weight over a range is the sum of its blocks.
///
/// Node 0 is the root (all samples); a node's children follow it in first-seen order, by frame
/// name (as the flame graph merges them). Weights are sparse: only blocks where the node has
/// any.
public struct IntervalTree: Sendable {
  public struct Node: Sendable, Hashable {
    /// The parent's index; -1 for the root.
    public var parent: Int
    /// Index into `names`; -1 for the root.
    public var name: Int
    /// (block, weight) for the blocks the node has weight in, ascending by block.
    public var weights: [(block: Int, weight: UInt64)]

    public static func == (a: Node, b: Node) -> Bool {
      a.parent == b.parent && a.name == b.name && a.weights.map(\.block) == b.weights.map(\.block)
        && a.weights.map(\.weight) == b.weights.map(\.weight)
    }
    public func hash(into h: inout Hasher) {
      h.combine(parent)
      h.combine(name)
    }
  }

  public var names: [String]
  public var nodes: [Node]
  /// Blocks, as `profile.intervals`.
  public var blocks: Int

  /// nil when the profile is not an interval capture.
  public init?(profile: Profile) {
    guard !profile.intervals.isEmpty else { return nil }
    blocks = profile.intervals.count
    let blockOf = profile.blockOfLabelSets
    var nameIDs: [String: Int] = [:]
    var names: [String] = []
    var frameName: [FrameID: Int] = [:]
    struct Edge: Hashable {
      var parent: Int
      var name: Int
    }
    var children: [Edge: Int] = [:]
    var parents: [Int] = [-1]
    var nameOf: [Int] = [-1]
    var weights: [[Int: UInt64]] = [[:]]
    for sample in profile.samples where sample.weight > 0 {
      let block = blockOf[Int(sample.labels)] ?? 0
      var node = 0
      weights[0][block, default: 0] &+= sample.weight
      for id in sample.stack {
        let name: Int
        if let known = frameName[id] {
          name = known
        } else {
          let text = profile.frame(id).name()
          if let n = nameIDs[text] {
            name = n
          } else {
            name = names.count
            names.append(text)
            nameIDs[text] = name
          }
          frameName[id] = name
        }
        let edge = Edge(parent: node, name: name)
        if let child = children[edge] {
          node = child
        } else {
          node = parents.count
          parents.append(edge.parent)
          nameOf.append(name)
          weights.append([:])
          children[edge] = node
        }
        weights[node][block, default: 0] &+= sample.weight
      }
    }
    self.names = names
    nodes = (0..<parents.count).map { i in
      Node(
        parent: parents[i], name: nameOf[i],
        weights: weights[i].sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }
  }

  /// A node's weight over blocks `from...to`.
  public func weight(of node: Int, from: Int, to: Int) -> UInt64 {
    nodes[node].weights.reduce(0) { $1.block >= from && $1.block <= to ? $0 &+ $1.weight : $0 }
  }
}
