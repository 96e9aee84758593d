import CLibdw

/// The functions and inlined instances of one compilation unit with their address ranges,
/// read in one walk of its DIE tree. `dwarf_getscopes` walks the whole unit on every call,
/// which costs milliseconds in a unit like KVM's x86.c; this index answers each later address
/// of the unit with one binary search over the unit's address segments, each segment already
/// labelled with the innermost function or inlined instance covering it.
final class InlineTreeIndex {
  struct Node {
    /// `dwarf_diename`'s string, which lives in the DWARF data for as long as the module is
    /// open: Swift strings are made only for the nodes a lookup reaches.
    var name: UnsafePointer<CChar>?
    var isInlined: Bool
    /// Index of the enclosing function or inlined instance (lexical blocks are skipped).
    var parent: Int32
    var depth: Int32
    /// `DW_AT_call_file` as an index into the unit's file table, and `DW_AT_call_line`.
    var callFile: Int32
    var callLine: Int32
  }

  private struct Range {
    var low: UInt64
    var high: UInt64
    var node: Int32
  }

  /// Sorted, non-overlapping segments `[start, next start)`; `node` is the innermost node
  /// covering it, or -1 for a gap between functions.
  ///
  /// These and `nodes` are constants once built: every lookup reads them, and a `let` is read
  /// without the exclusivity check and retain that a class's `var` costs on each access.
  private let segmentStarts: [UInt64]
  private let segmentNodes: [Int32]
  private let files: OpaquePointer?
  private let fileCount: Int
  private var fileNames: [Int32: String] = [:]

  let nodes: [Node]
  /// The unit's line table, for the innermost level's file and line.
  let lines: LineTableIndex
  /// Each node's name as a Swift string, made on the first lookup that reaches the node: the
  /// addresses of one function share it instead of each copying the C string again.
  private var functionNames: [String?] = []

  /// Tags whose children may hold code: everything else (types, variables) is not walked.
  private static func isContainer(_ tag: Int32) -> Bool {
    switch tag {
    case Int32(DW_TAG_compile_unit), Int32(DW_TAG_partial_unit), Int32(DW_TAG_subprogram),
      Int32(DW_TAG_inlined_subroutine), Int32(DW_TAG_lexical_block), Int32(DW_TAG_namespace),
      Int32(DW_TAG_entry_point), Int32(DW_TAG_try_block), Int32(DW_TAG_catch_block):
      return true
    default:
      return false
    }
  }

  init(cu: UnsafeMutablePointer<Dwarf_Die>) {
    var files: OpaquePointer?
    var fileCount = 0
    if dwarf_getsrcfiles(cu, &files, &fileCount) != 0 { files = nil }
    self.files = files
    self.fileCount = fileCount
    var nodes: [Node] = []
    var ranges: [Range] = []
    var child = Dwarf_Die()
    if dwarf_child(cu, &child) == 0 {
      Self.walk(first: child, parent: -1, depth: 0, nodes: &nodes, ranges: &ranges)
    }
    (segmentStarts, segmentNodes) = Self.segments(ranges, nodes: nodes)
    self.nodes = nodes
    lines = LineTableIndex(cu: cu)
    functionNames = Array(repeating: nil, count: nodes.count)
  }

  /// The name of `node` (`??` for a DIE without one, as addr2line prints it).
  func function(_ node: Int) -> String {
    if let known = functionNames[node] { return known }
    let name = nodes[node].name.map { String(cString: $0) } ?? "??"
    functionNames[node] = name
    return name
  }

  /// Labels every elementary segment between range boundaries with the deepest node covering
  /// it (the first such range in start order on a tie, as the scan this replaces chose). Each
  /// range paints only the segments inside it, so the cost is the segments times the nesting.
  private static func segments(_ ranges: [Range], nodes: [Node]) -> (starts: [UInt64], nodes: [Int32]) {
    var bounds: [UInt64] = []
    bounds.reserveCapacity(ranges.count * 2)
    for range in ranges {
      bounds.append(range.low)
      bounds.append(range.high)
    }
    bounds.sort()
    var unique: [UInt64] = []
    unique.reserveCapacity(bounds.count)
    for bound in bounds where unique.last != bound { unique.append(bound) }
    var labels = [Int32](repeating: -1, count: unique.count)
    var labelDepth = [Int32](repeating: -1, count: unique.count)
    let ordered = ranges.sorted { $0.low < $1.low }
    for range in ordered {
      var at = lowerBound(unique, range.low)
      let depth = nodes[Int(range.node)].depth
      while at < unique.count && unique[at] < range.high {
        if depth > labelDepth[at] {
          labels[at] = range.node
          labelDepth[at] = depth
        }
        at += 1
      }
    }
    return (unique, labels)
  }

  private static func lowerBound(_ values: [UInt64], _ value: UInt64) -> Int {
    var lo = 0
    var hi = values.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if values[mid] < value { lo = mid + 1 } else { hi = mid }
    }
    return lo
  }

  /// The unit's file name at `index` of its file table (a call site's `DW_AT_call_file`).
  func fileName(_ index: Int32) -> String? {
    guard index >= 0, Int(index) < fileCount, let files else { return nil }
    if let known = fileNames[index] { return known }
    let name = dwarf_filesrc(files, Int(index), nil, nil).map { String(cString: $0) }
    fileNames[index] = name
    return name
  }

  private static func walk(
    first: Dwarf_Die, parent: Int32, depth: Int32, nodes: inout [Node], ranges: inout [Range]
  ) {
    var die = first
    while true {
      let tag = dwarf_tag(&die)
      if isContainer(tag) {
        var inner = parent
        var innerDepth = depth
        let isFunction =
          tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_entry_point
        // Abstract instances and declarations have no code; their children neither.
        let hasCode =
          dwarf_hasattr(&die, UInt32(DW_AT_low_pc)) != 0 || dwarf_hasattr(&die, UInt32(DW_AT_ranges)) != 0
        if isFunction && !hasCode {
          // Skip the whole subtree.
        } else {
          if isFunction {
            let index = Int32(nodes.count)
            var node = Node(
              name: dwarf_diename(&die).map { UnsafePointer($0) },
              isInlined: tag == DW_TAG_inlined_subroutine, parent: parent, depth: depth, callFile: -1,
              callLine: -1)
            if node.isInlined {
              var attribute = Dwarf_Attribute()
              var value: Dwarf_Word = 0
              if dwarf_attr(&die, UInt32(DW_AT_call_file), &attribute) != nil,
                dwarf_formudata(&attribute, &value) == 0, value < UInt64(Int32.max)
              {
                node.callFile = Int32(value)
              }
              if dwarf_attr(&die, UInt32(DW_AT_call_line), &attribute) != nil,
                dwarf_formudata(&attribute, &value) == 0, value < UInt64(Int32.max)
              {
                node.callLine = Int32(value)
              }
            }
            nodes.append(node)
            var offset: Int = 0
            var base: Dwarf_Addr = 0
            var start: Dwarf_Addr = 0
            var end: Dwarf_Addr = 0
            while true {
              offset = dwarf_ranges(&die, offset, &base, &start, &end)
              if offset <= 0 { break }
              if end > start { ranges.append(Range(low: start, high: end, node: index)) }
            }
            inner = index
            innerDepth = depth + 1
          }
          var child = Dwarf_Die()
          if dwarf_child(&die, &child) == 0 {
            walk(first: child, parent: inner, depth: innerDepth, nodes: &nodes, ranges: &ranges)
          }
        }
      }
      var next = Dwarf_Die()
      guard dwarf_siblingof(&die, &next) == 0 else { return }
      die = next
    }
  }

  /// The innermost function or inlined instance whose ranges hold `pc`, or nil.
  func innermost(at pc: UInt64) -> Int? {
    // The last segment starting at or before pc.
    var lo = 0
    var hi = segmentStarts.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if segmentStarts[mid] <= pc { lo = mid + 1 } else { hi = mid }
    }
    guard lo > 0 else { return nil }
    let node = segmentNodes[lo - 1]
    return node >= 0 ? Int(node) : nil
  }
}
