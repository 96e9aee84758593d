import TraceParse

/// A prefix tree of stacks, root first, with self and total weights per node: the model behind
/// the text call tree, flame graphs and icicle graphs.
public struct CallTree: Sendable {
  public struct Node: Sendable {
    public var name: String
    public var kind: FrameKind
    public var parent: Int?
    public var depth: Int
    /// Child indices in first-seen order.
    public var children: [Int] = []
    /// Weight of samples whose stack ends here.
    public var selfWeight: UInt64 = 0
    /// Weight of samples through here (self plus descendants).
    public var totalWeight: UInt64 = 0
  }

  /// `nodes[0]` is the synthetic root (`all`), whose total is the profile's total weight.
  public private(set) var nodes: [Node]
  private var childIndex: [ChildKey: Int] = [:]

  private struct ChildKey: Hashable {
    var parent: Int
    var name: String
  }

  public init() {
    nodes = [Node(name: "all", kind: .unknown, parent: nil, depth: 0)]
  }

  /// Builds the tree of `profile`, naming frames with `naming`.
  public init(profile: Profile, naming: FrameNaming = FrameNaming()) {
    self.init()
    let withSource = naming.usesSourceRoot(profile)
    for sample in profile.samples {
      var names: [(String, FrameKind)] = []
      names.reserveCapacity(sample.stack.count + 1)
      if withSource { names.append((naming.sourceName(sample, in: profile), .unknown)) }
      for id in sample.stack {
        let frame = profile.frame(id)
        names.append((naming.name(frame), frame.kind))
      }
      add(path: names, weight: sample.weight)
    }
  }

  /// Adds one stack (root first). Totals saturate rather than trap; callers that need exact
  /// overflow detection check the profile's total first (the builder refuses overflow).
  public mutating func add(path: [(String, FrameKind)], weight: UInt64) {
    var current = 0
    nodes[0].totalWeight &+= weight
    for (name, kind) in path {
      let key = ChildKey(parent: current, name: name)
      if let child = childIndex[key] {
        current = child
      } else {
        let child = nodes.count
        nodes.append(Node(name: name, kind: kind, parent: current, depth: nodes[current].depth + 1))
        nodes[current].children.append(child)
        childIndex[key] = child
        current = child
      }
      nodes[current].totalWeight &+= weight
    }
    nodes[current].selfWeight &+= weight
  }

  public var root: Node { nodes[0] }
  public var totalWeight: UInt64 { nodes[0].totalWeight }

  /// Children of `index`, heaviest first, ties by name, so output is deterministic.
  public func sortedChildren(of index: Int) -> [Int] {
    nodes[index].children.sorted {
      let a = nodes[$0]
      let b = nodes[$1]
      return a.totalWeight != b.totalWeight ? a.totalWeight > b.totalWeight : a.name < b.name
    }
  }

  /// Names from the root's child down to `index`.
  public func path(to index: Int) -> [String] {
    var out: [String] = []
    var current: Int? = index
    while let i = current, i != 0 {
      out.append(nodes[i].name)
      current = nodes[i].parent
    }
    return out.reversed()
  }
}
