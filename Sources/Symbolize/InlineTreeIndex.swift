import CLibdw

/// The functions and inlined instances of one compilation unit with their address ranges,
/// read in one walk of its DIE tree. `dwarf_getscopes` walks the whole unit on every call,
/// which costs milliseconds in a unit like KVM's x86.c; this index answers each later address
/// of the unit with a scan of its ranges, as binutils' addr2line does with its function table.
final class InlineTreeIndex {
  struct Node {
    var function: String
    var isInlined: Bool
    /// Index of the enclosing function or inlined instance (lexical blocks are skipped).
    var parent: Int?
    var depth: Int
    var callFile: String?
    var callLine: Int?
  }

  private struct Range {
    var low: UInt64
    var high: UInt64
    var node: Int
  }

  private(set) var nodes: [Node] = []
  private var ranges: [Range] = []

  /// Tags whose children may hold code: everything else (types, variables) is not walked.
  private static let containers: Set<Int32> = [
    Int32(DW_TAG_compile_unit), Int32(DW_TAG_partial_unit), Int32(DW_TAG_subprogram),
    Int32(DW_TAG_inlined_subroutine), Int32(DW_TAG_lexical_block), Int32(DW_TAG_namespace),
    Int32(DW_TAG_entry_point), Int32(DW_TAG_try_block), Int32(DW_TAG_catch_block),
  ]

  init(cu: UnsafeMutablePointer<Dwarf_Die>) {
    var files: OpaquePointer?
    var fileCount = 0
    if dwarf_getsrcfiles(cu, &files, &fileCount) != 0 { files = nil }
    var child = Dwarf_Die()
    if dwarf_child(cu, &child) == 0 {
      walk(first: child, parent: nil, depth: 0, files: files, fileCount: fileCount)
    }
    ranges.sort { $0.low < $1.low }
  }

  private func walk(first: Dwarf_Die, parent: Int?, depth: Int, files: OpaquePointer?, fileCount: Int) {
    var die = first
    while true {
      let tag = dwarf_tag(&die)
      if Self.containers.contains(tag) {
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
            let index = nodes.count
            var node = Node(
              function: dwarf_diename(&die).map { String(cString: $0) } ?? "??",
              isInlined: tag == DW_TAG_inlined_subroutine, parent: parent, depth: depth)
            if node.isInlined {
              var attribute = Dwarf_Attribute()
              var value: Dwarf_Word = 0
              if let files, dwarf_attr(&die, UInt32(DW_AT_call_file), &attribute) != nil,
                dwarf_formudata(&attribute, &value) == 0, Int(value) < fileCount,
                let cFile = dwarf_filesrc(files, Int(value), nil, nil)
              {
                node.callFile = String(cString: cFile)
              }
              if dwarf_attr(&die, UInt32(DW_AT_call_line), &attribute) != nil,
                dwarf_formudata(&attribute, &value) == 0
              {
                node.callLine = Int(value)
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
            walk(first: child, parent: inner, depth: innerDepth, files: files, fileCount: fileCount)
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
    // Ranges are sorted by start: only those starting at or before pc can hold it.
    var lo = 0
    var hi = ranges.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if ranges[mid].low <= pc { lo = mid + 1 } else { hi = mid }
    }
    var best: Int?
    var bestDepth = -1
    for range in ranges[..<lo] where pc < range.high {
      let depth = nodes[range.node].depth
      if depth > bestDepth {
        best = range.node
        bestDepth = depth
      }
    }
    return best
  }
}
