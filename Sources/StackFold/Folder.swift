import TraceParse

/// Options for folded output.
public struct FoldOptions: Sendable, Hashable {
  public var naming: FrameNaming
  /// Suffix frames with their kind as stackcollapse-perf.pl `--all` does: `_[k]` kernel and
  /// module, `_[j]` JIT. flamegraph.pl and inferno colour by these. Inlined frames carry `_[i]`
  /// whether or not this is set: without it an inlined callee would be indistinguishable from
  /// a real call in the folded text.
  public var annotate: Bool

  public init(naming: FrameNaming = FrameNaming(), annotate: Bool = false) {
    self.naming = naming
    self.annotate = annotate
  }
}

/// One line of folded output: frames joined by `;`, root first, and the summed weight.
public struct FoldedLine: Hashable, Sendable {
  public var stack: String
  public var weight: UInt64

  public init(stack: String, weight: UInt64) {
    self.stack = stack
    self.weight = weight
  }

  /// `root;...;leaf weight`, without the newline.
  public var text: String { "\(stack) \(weight)" }
}

/// Folds a profile into the one-line-per-stack format of flamegraph.pl, inferno and speedscope.
public enum Folder {
  /// The frame written for a sample without frames when no source root names it, so the
  /// sample still shows up (it is never dropped).
  public static let noStack = "[no stack]"

  /// Folds `profile`: names every frame (stripping offsets unless asked to keep them), adds the
  /// source root when the profile mixes maps or probes, sums the stacks that became identical,
  /// and sorts the lines by bytes, as stackcollapse does, so output is deterministic.
  /// - Throws: `AggregationError` if the total weight does not fit in UInt64.
  public static func fold(_ profile: Profile, options: FoldOptions = FoldOptions()) throws(AggregationError)
    -> [FoldedLine]
  {
    _ = try profile.checkedTotalWeight()  // every merged line is at most this: no wrap below
    let withSource = options.naming.usesSourceRoot(profile)
    // Lines are built as bytes, summed in a byte-keyed table and sorted with memcmp on its
    // arena: with a few hundred thousand unique stacks, String keys and String comparisons
    // (hashing, retains) took most of the time.
    let names = profile.frames.map { frame -> [UInt8] in
      let name = options.naming.name(frame)
      guard options.annotate || frame.kind == .inlined, let suffix = annotation(frame.kind) else {
        return Array(name.utf8)
      }
      return Array((name + suffix).utf8)
    }
    let sources = withSource ? options.naming.sourceNames(in: profile).map { Array($0.utf8) } : []
    let separator = UInt8(ascii: ";")
    var table = ByteKeyTable(capacity: max(16, profile.samples.count / 4))
    var weights: [UInt64] = []
    var line: [UInt8] = []
    // Samples that differ only in labels the line does not show fold to the same line: build
    // each line once per stack.
    let groups = StackGroups(profile, byLabels: withSource)
    for (group, first) in groups.first.enumerated() {
      let sample = profile.samples[first]
      let sampleWeight = groups.weight[group]
      line.removeAll(keepingCapacity: true)
      if withSource { line += sources[Int(sample.labels)] }
      for id in sample.stack {
        if !line.isEmpty { line.append(separator) }
        line += names[Int(id)]
      }
      if line.isEmpty { line += noStack.utf8 }
      line.withUnsafeBufferPointer { bytes in
        let hash = hashBytes(bytes)
        if let index = table.find(bytes.baseAddress!, bytes.count, hash: hash) {
          weights[Int(index)] &+= sampleWeight
        } else {
          table.insert(bytes.baseAddress!, bytes.count, hash: hash, value: UInt32(weights.count))
          weights.append(sampleWeight)
        }
      }
    }
    var order = Array(weights.indices)
    order.sort { table.keyPrecedes($0, $1) }
    return order.map {
      FoldedLine(stack: String(decoding: table.key($0), as: UTF8.self), weight: weights[$0])
    }
  }

  /// The folded text: one `stack weight` line per entry, each ending in `\n`.
  public static func render(_ lines: [FoldedLine]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(lines.reduce(0) { $0 + $1.stack.utf8.count + 22 })
    for line in lines {
      out.append(contentsOf: line.stack.utf8)
      out.append(UInt8(ascii: " "))
      out.append(contentsOf: String(line.weight).utf8)
      out.append(0x0A)
    }
    return out
  }

  /// The `_[x]` suffix for a frame kind, or nil for kinds flame graphs do not colour.
  public static func annotation(_ kind: FrameKind) -> String? {
    switch kind {
    case .kernel, .module: return "_[k]"
    case .inlined: return "_[i]"
    case .jit: return "_[j]"
    case .user, .unknown: return nil
    }
  }
}
