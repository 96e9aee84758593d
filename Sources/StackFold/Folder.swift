import TraceParse

/// Options for folded output. The defaults depend on where each sample came from: `perf
/// script` samples fold as FlameGraph's stackcollapse-perf.pl folds them (comm root, perl's name
/// tidying, no annotations), other samples as tdptrace always has (the source root when the
/// profile mixes sources, names as the input gave them, inlined frames marked `_[i]`).
public struct FoldOptions: Sendable, Hashable {
  public var naming: FrameNaming
  /// Suffixes to write; nil: none on perf samples (as perl), `_[i]` on others, because without
  /// it an inlined callee would be indistinguishable from a real call in the folded text.
  public var annotations: FrameAnnotations?
  /// Root frames from labels; nil: `StackRoots.perf` on perf samples, none on others, after the
  /// source root `naming` adds. Given, they replace the source root (`--root none`: no roots).
  public var roots: StackRoots?
  /// Name perf frames as stackcollapse-perf.pl does (`PerfCollapseNaming`); off writes their
  /// symbols whole (`--raw-names`), as other inputs are written.
  public var stackcollapseNames: Bool
  /// perl `--addrs`: an unknown symbol names its address, `[libc.so.6 <7f3a1c>]`.
  public var addresses: Bool

  public init(
    naming: FrameNaming = FrameNaming(), annotations: FrameAnnotations? = nil, roots: StackRoots? = nil,
    stackcollapseNames: Bool = true, addresses: Bool = false
  ) {
    self.naming = naming
    self.annotations = annotations
    self.roots = roots
    self.stackcollapseNames = stackcollapseNames
    self.addresses = addresses
  }
}

/// One line of folded output: frames joined by `;`, root first, and the summed weight.
public struct FoldedLine: Hashable, Sendable {
  public var stack: String
  public var weight: UInt64
  /// The first count of a differential line (`stack before after`); nil for a plain line.
  public var before: UInt64?
  /// How `weight` and `before` print (the profile's `WeightScale`).
  public var scale: WeightScale

  public init(stack: String, weight: UInt64, before: UInt64? = nil, scale: WeightScale = .integer) {
    self.stack = stack
    self.weight = weight
    self.before = before
    self.scale = scale
  }

  /// `root;...;leaf weight` (or `root;...;leaf before after`), without the newline; fractional
  /// weights exact, with the profile's decimals.
  public var text: String {
    if let before { return "\(stack) \(scale.format(before)) \(scale.format(weight))" }
    return "\(stack) \(scale.format(weight))"
  }
}

/// Folds a profile into the one-line-per-stack format of flamegraph.pl, inferno and speedscope.
public enum Folder {
  /// The frame written for a sample without frames when no source root names it, so the
  /// sample still shows up (it is never dropped).
  public static let noStack = "[no stack]"

  /// Folds `profile`: names every frame (stripping offsets unless asked to keep them), adds the
  /// root frames, sums the stacks that became identical, and sorts the lines by bytes, as
  /// stackcollapse does, so output is deterministic.
  /// - Throws: `AggregationError` if the total weight does not fit in UInt64.
  public static func fold(_ profile: Profile, options: FoldOptions = FoldOptions()) throws(AggregationError)
    -> [FoldedLine]
  {
    _ = try profile.checkedTotalWeight()  // every merged line is at most this: no wrap below
    let withSource = options.roots == nil && options.naming.usesSourceRoot(profile)
    let sources = withSource ? options.naming.sourceNames(in: profile) : []
    // How each label set's samples are written; the frame names are computed once per style
    // that occurs. Lines are built as bytes, summed in a byte-keyed table and sorted with memcmp
    // on its arena: with a few hundred thousand unique stacks, String keys and String
    // comparisons (hashing, retains) took most of the time.
    var styles: [Style: Int] = [:]
    var tables: [[[UInt8]?]] = []
    var setStyle: [Int] = []
    var setRoot: [[UInt8]] = []
    // Label sets that print the same (style and root frames) share a class: samples of one
    // class with one stack fold to the same line, so each line is built once per such group.
    struct LineHead: Hashable {
      var style: Int
      var root: [UInt8]
    }
    var classes: [LineHead: UInt32] = [:]
    var labelClass: [UInt32] = []
    for (index, labels) in profile.labelSets.enumerated() {
      let style = Style(labels, options)
      if styles[style] == nil {
        styles[style] = tables.count
        tables.append(profile.frames.map { style.name($0, options).map { Array($0.utf8) } })
      }
      var roots = withSource ? [sources[index]] : []
      roots += (options.roots ?? (style.perf ? .perf : .empty)).frames(labels)
      let head = LineHead(style: styles[style]!, root: Array(roots.joined(separator: ";").utf8))
      setStyle.append(head.style)
      setRoot.append(head.root)
      if classes[head] == nil { classes[head] = UInt32(classes.count) }
      labelClass.append(classes[head]!)
    }
    let separator = UInt8(ascii: ";")
    var table = ByteKeyTable(capacity: max(16, profile.samples.count / 4))
    var weights: [UInt64] = []
    // A differential profile folds back to two counts per line, summed the same way.
    let baseline = profile.baselineWeights
    var befores: [UInt64] = []
    var line: [UInt8] = []
    let groups = StackGroups(profile, labelClass: labelClass)
    for (group, first) in groups.first.enumerated() {
      let sample = profile.samples[first]
      let sampleWeight = groups.weight[group]
      line.removeAll(keepingCapacity: true)
      line += setRoot[Int(sample.labels)]
      let names = tables[setStyle[Int(sample.labels)]]
      for id in sample.stack {
        guard let name = names[Int(id)] else { continue }  // a frame perl skips
        if !line.isEmpty { line.append(separator) }
        line += name
      }
      if line.isEmpty { line += noStack.utf8 }
      line.withUnsafeBufferPointer { bytes in
        let hash = hashBytes(bytes)
        if let index = table.find(bytes.baseAddress!, bytes.count, hash: hash) {
          weights[Int(index)] &+= sampleWeight
          if baseline != nil { befores[Int(index)] &+= groups.baseline[group] }
        } else {
          table.insert(bytes.baseAddress!, bytes.count, hash: hash, value: UInt32(weights.count))
          weights.append(sampleWeight)
          if baseline != nil { befores.append(groups.baseline[group]) }
        }
      }
    }
    var order = Array(weights.indices)
    order.sort { table.keyPrecedes($0, $1) }
    return order.map {
      FoldedLine(
        stack: String(decoding: table.key($0), as: UTF8.self), weight: weights[$0],
        before: baseline == nil ? nil : befores[$0], scale: profile.weightScale)
    }
  }

  /// How the frames of one label set's samples are named.
  private struct Style: Hashable {
    /// A `perf script` sample: only the perf parser sets the `event` label.
    var perf: Bool
    /// Named by `PerfCollapseNaming`, under a `java*` comm or not.
    var stackcollapse: Bool
    var java: Bool
    var annotations: FrameAnnotations

    init(_ labels: Labels, _ options: FoldOptions) {
      perf = labels.event != nil
      stackcollapse = perf && options.stackcollapseNames
      java = stackcollapse && (labels[Labels.Name.comm]?.hasPrefix("java") ?? false)
      annotations = options.annotations ?? (perf ? [] : .inline)
    }

    /// The frame's folded text (`A;B_[i]` for a chain), or nil when the frame is not written.
    func name(_ frame: Frame, _ options: FoldOptions) -> String? {
      guard stackcollapse else {
        let name = options.naming.name(frame)
        guard let suffix = annotations.suffix(frame.kind) else { return name }
        return name + suffix
      }
      var frame = frame
      if options.naming.keepOffsets { frame.symbol = frame.name(keepOffset: true) }
      let names = PerfCollapseNaming.names(
        frame, java: java, annotations: annotations, addresses: options.addresses)
      return names.isEmpty ? nil : names.joined(separator: ";")
    }
  }

  /// The folded text: one `stack weight` line per entry, each ending in `\n`.
  public static func render(_ lines: [FoldedLine]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(lines.reduce(0) { $0 + $1.stack.utf8.count + 22 })
    for line in lines {
      out.append(contentsOf: line.stack.utf8)
      out.append(UInt8(ascii: " "))
      if let before = line.before {
        out.append(contentsOf: line.scale.format(before).utf8)
        out.append(UInt8(ascii: " "))
      }
      out.append(contentsOf: line.scale.format(line.weight).utf8)
      out.append(0x0A)
    }
    return out
  }
}
