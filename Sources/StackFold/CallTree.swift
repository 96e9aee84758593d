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
  /// Children are found by (parent, name id): hashing two integers per frame instead of a
  /// string keeps building the tree of a large capture cheap.
  private var childIndex: [ChildKey: Int] = [:]
  private var nameIDs: [String: Int] = [:]

  private struct ChildKey: Hashable {
    var parent: Int
    var name: Int
  }

  public init() {
    nodes = [Node(name: "all", kind: .unknown, parent: nil, depth: 0)]
  }

  /// Builds the tree of `profile`, naming frames with `naming`.
  public init(profile: Profile, naming: FrameNaming = FrameNaming()) {
    self.init()
    let withSource = naming.usesSourceRoot(profile)
    // Name each distinct frame once; the loop over samples then works on integers.
    var frameNames: [Int] = []
    frameNames.reserveCapacity(profile.frames.count)
    for frame in profile.frames { frameNames.append(nameID(naming.name(frame))) }
    let sourceNames = withSource ? naming.sourceNames(in: profile).map { nameID($0) } : []
    var frameCount = 0
    for sample in profile.samples { frameCount += sample.stack.count }
    nodes.reserveCapacity(min(frameCount, 1 << 22) + 1)
    nodeNames.reserveCapacity(min(frameCount, 1 << 22) + 1)
    // Children are linked while the tree grows and become arrays once at the end: one exact
    // allocation per inner node instead of a growing array for every node.
    eagerChildren = false
    defer { materializeChildren() }
    // One walk per distinct (source, stack): samples that differ only in other labels add
    // the same weights to the same nodes.
    let groups = StackGroups(profile, byLabels: withSource)
    for (group, first) in groups.first.enumerated() {
      let sample = profile.samples[first]
      let weight = groups.weight[group]
      var current = 0
      nodes[0].totalWeight &+= weight
      if withSource {
        current = child(of: current, name: sourceNames[Int(sample.labels)], kind: .unknown)
        nodes[current].totalWeight &+= weight
      }
      for frame in sample.stack {
        current = child(of: current, name: frameNames[Int(frame)], kind: profile.frames[Int(frame)].kind)
        nodes[current].totalWeight &+= weight
      }
      nodes[current].selfWeight &+= weight
    }
  }

  /// Adds one stack (root first). Totals saturate rather than trap; callers that need exact
  /// overflow detection check the profile's total first (the builder refuses overflow).
  public mutating func add(path: [(String, FrameKind)], weight: UInt64) {
    var current = 0
    nodes[0].totalWeight &+= weight
    for (name, kind) in path {
      current = child(of: current, name: nameID(name), kind: kind)
      nodes[current].totalWeight &+= weight
    }
    nodes[current].selfWeight &+= weight
  }

  /// The tree of a flame chart (flamegraph.pl `--flamechart`): samples in profile order (the
  /// order stacks first appeared in the input), each merged only with the one before it, so a
  /// function called twice at different times is two frames.
  public static func flameChart(profile: Profile, naming: FrameNaming = FrameNaming()) -> CallTree {
    var tree = CallTree()
    let withSource = naming.usesSourceRoot(profile)
    let sourceNames = withSource ? naming.sourceNames(in: profile) : []
    let names = profile.frames.map { naming.name($0) }
    for sample in profile.samples {
      var path: [(String, FrameKind)] = []
      if withSource { path.append((sourceNames[Int(sample.labels)], .unknown)) }
      for id in sample.stack { path.append((names[Int(id)], profile.frames[Int(id)].kind)) }
      tree.addInSequence(path: path, weight: sample.weight)
    }
    return tree
  }

  /// Adds one stack merged only with the last child at each depth (see `flameChart`). A tree
  /// built this way is not meant for `add(path:)`, which merges any child of the same name.
  public mutating func addInSequence(path: [(String, FrameKind)], weight: UInt64) {
    var current = 0
    nodes[0].totalWeight &+= weight
    for (name, kind) in path {
      if let last = nodes[current].children.last, nodes[last].name == name {
        current = last
      } else {
        let child = appendChild(of: current, name: nameID(name), kind: kind)
        nodes[current].children.append(child)
        current = child
      }
      nodes[current].totalWeight &+= weight
    }
    nodes[current].selfWeight &+= weight
  }

  private var names: [String] = []

  private mutating func nameID(_ name: String) -> Int {
    if let id = nameIDs[name] { return id }
    let id = names.count
    names.append(name)
    nameIDs[name] = id
    return id
  }

  /// The child of `parent` named by `name` (an id), created with `kind` if new.
  /// Most nodes have a few children, found fastest by scanning their name ids; a node with
  /// more than `scanLimit` children is looked up in `childIndex` instead.
  private mutating func child(of parent: Int, name: Int, kind: FrameKind) -> Int {
    let count = Int(childCount[parent])
    if count <= Self.scanLimit {
      var c = Int(firstChild[parent])
      while c >= 0 {
        if nodeNames[c] == name { return c }
        c = Int(nextSibling[c])
      }
    } else if let child = childIndex[ChildKey(parent: parent, name: name)] {
      return child
    }
    let child = appendChild(of: parent, name: name, kind: kind)
    if eagerChildren { nodes[parent].children.append(child) }
    if count + 1 > Self.scanLimit {
      if count == Self.scanLimit {
        var c = Int(firstChild[parent])
        while c >= 0 {
          childIndex[ChildKey(parent: parent, name: nodeNames[c])] = c
          c = Int(nextSibling[c])
        }
      } else {
        childIndex[ChildKey(parent: parent, name: name)] = child
      }
    }
    return child
  }

  /// A new last child of `parent` named by `name` (an id): the node and its sibling links.
  private mutating func appendChild(of parent: Int, name: Int, kind: FrameKind) -> Int {
    let child = nodes.count
    nodes.append(Node(name: names[name], kind: kind, parent: parent, depth: nodes[parent].depth + 1))
    nodeNames.append(name)
    firstChild.append(-1)
    lastChild.append(-1)
    nextSibling.append(-1)
    childCount.append(0)
    if lastChild[parent] >= 0 {
      nextSibling[Int(lastChild[parent])] = Int32(child)
    } else {
      firstChild[parent] = Int32(child)
    }
    lastChild[parent] = Int32(child)
    childCount[parent] += 1
    return child
  }

  /// Fills every node's `children` from the sibling links, in first-seen order.
  private mutating func materializeChildren() {
    for i in nodes.indices where childCount[i] > 0 && nodes[i].children.count != Int(childCount[i]) {
      var children: [Int] = []
      children.reserveCapacity(Int(childCount[i]))
      var c = Int(firstChild[i])
      while c >= 0 {
        children.append(c)
        c = Int(nextSibling[c])
      }
      nodes[i].children = children
    }
    eagerChildren = true
  }

  private static let scanLimit = 8
  /// Name id of each node (the root's is -1).
  private var nodeNames: [Int] = [-1]
  /// Children as links (first, last, next sibling; -1 for none) and their count, per node.
  private var firstChild: [Int32] = [-1]
  private var lastChild: [Int32] = [-1]
  private var nextSibling: [Int32] = [-1]
  private var childCount: [Int32] = [0]
  /// Whether `child(of:)` also appends to `Node.children` (incremental `add(path:)`), or
  /// leaves that to `materializeChildren` (building from a whole profile).
  private var eagerChildren = true

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
