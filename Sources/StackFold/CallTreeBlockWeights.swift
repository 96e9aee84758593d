import TraceParse

extension CallTree {
  /// Each node's total weight block by block (indexed like `nodes`), from `parts`: the trees
  /// of the blocks' profiles (`Profile.intervalParts()`), built with the same naming. A node
  /// of a part is the node of this tree at the same path of names, so this holds for trees
  /// that merge by name (`init(profile:naming:)`), not for flame charts, whose frames of one
  /// name are separate in time. A part node whose path this tree lacks (a part of another
  /// profile) is left out.
  package func blockWeights(of parts: [CallTree]) -> [BlockWeights] {
    struct ChildKey: Hashable {
      var parent: Int
      var name: String
    }
    var child: [ChildKey: Int] = [:]
    child.reserveCapacity(nodes.count)
    for (index, node) in nodes.enumerated() {
      if let parent = node.parent { child[ChildKey(parent: parent, name: node.name)] = index }
    }
    var out = [BlockWeights](repeating: BlockWeights(), count: nodes.count)
    for (block, part) in parts.enumerated() {
      // Parents come before their children in `nodes`, so one pass maps every part node.
      var mapped = [Int](repeating: -1, count: part.nodes.count)
      mapped[0] = 0
      for (index, node) in part.nodes.enumerated() {
        if let parent = node.parent {
          guard mapped[parent] >= 0, let own = child[ChildKey(parent: mapped[parent], name: node.name)]
          else { continue }
          mapped[index] = own
        }
        out[mapped[index]].add(node.totalWeight, inBlock: block)
      }
    }
    return out
  }
}
