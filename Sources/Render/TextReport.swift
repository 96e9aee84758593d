import StackFold
import TraceParse

/// The plain-text report: inputs and totals, totals per map/probe/event, skipped and filtered
/// records, top functions by self and total weight (pprof `-top` flat/cum), the call tree with
/// percentages (pprof `-tree`, `perf report -g`), callers/callees views, non-stack map values
/// and notes.
public struct TextReport: Renderer {
  public var options: ReportOptions

  public init(options: ReportOptions = ReportOptions()) { self.options = options }

  /// Names listed for trimmed and suspect frames; the JSON report has them all.
  static let listed = 5

  public func render(_ profile: Profile) throws -> [UInt8] {
    Array(Self.render(try ReportModel(profile: profile, options: options)).utf8)
  }

  /// The text of a computed report.
  public static func render(_ model: ReportModel) -> String {
    var out = ""
    // Every weight prints through the profile's scale: exact fractional counts.
    func w(_ value: UInt64) -> String { model.weightScale.format(value) }
    let width = max(6, w(model.totalWeight).count)
    func num(_ value: UInt64) -> String { pad(w(value), width) }
    func pct(_ value: UInt64) -> String { pad(ReportModel.percent(value, of: model.totalWeight), 6) + "%" }

    out += "tdptrace report\n"
    out +=
      "inputs: " + (model.inputs.isEmpty ? "(none)" : model.inputs.map(safe).joined(separator: " ")) + "\n"
    out += "total: \(w(model.totalWeight)) (\(model.unit.rawValue)) in \(model.uniqueStacks) unique stacks\n"
    if model.skipped.records > 0 {
      out += "skipped (--lenient): \(model.skipped.records) records, weight \(w(model.skipped.weight))\n"
      for example in model.skipped.examples { out += "  \(safe(example.description))\n" }
    }
    for removal in model.filtered {
      out += "filtered out by \(removal.filter): \(removal.samples) stacks, weight \(w(removal.weight))"
      if removal.values > 0 { out += ", \(removal.values) map values" }
      out += "\n"
    }
    if let trim = model.bpfFrames {
      if trim.stacks > 0 {
        out +=
          "tracing frames trimmed (--keep-bpf-frames keeps them): \(trim.stacks) stacks, weight \(w(trim.weight)), "
        out += "\(trim.frames) frames"
        if trim.merged > 0 { out += ", \(trim.merged) stacks merged into equal ones" }
        out += "\n  dropped: "
        out += trim.dropped.prefix(Self.listed).map {
          "\(safe($0.name)) (\($0.stacks) stacks, weight \(w($0.weight)))"
        }
        .joined(separator: ", ")
        if trim.dropped.count > Self.listed { out += ", [\(trim.dropped.count - Self.listed) more]" }
        out += "\n"
      }
      if trim.probeNotOnStack > 0 {
        out += "probe function not on stack (left as recorded): \(trim.probeNotOnStack) stacks, "
        out += "weight \(w(trim.probeNotOnStackWeight))\n"
      }
    }
    if !model.suspectFrames.isEmpty {
      out += "suspect frames (an offset no function has; not real callers): \(model.suspectFrames.count)\n"
      for entry in model.suspectFrames.prefix(Self.listed) {
        out +=
          "  \(safe(entry.frame)): \(entry.stacks) stacks, weight \(w(entry.weight)), \(SuspectFrames.reason(entry))\n"
      }
      if model.suspectFrames.count > Self.listed {
        out += "  [\(model.suspectFrames.count - Self.listed) more]\n"
      }
    }

    out += "\nsources:\n"
    out += "  \(pad("weight", width))  \(pad("%", 7))  \(pad("stacks", 6))  source\n"
    for source in model.sources {
      out +=
        "  \(num(source.weight))  \(pct(source.weight))  \(pad(String(source.stacks), 6))  \(safe(source.source))\n"
    }
    if model.sources.isEmpty { out += "  (no stack samples)\n" }
    if let series = model.series { out += Self.overTime(series, num: num) }

    if model.peeks.isEmpty && model.uniqueStacks > 0 {
      for (title, rows) in [
        ("top functions by self weight (flat)", model.topBySelf),
        ("top functions by total weight (cum)", model.topByTotal),
      ] {
        out += "\n\(title), \(rows.count) of \(model.functionCount):\n"
        out +=
          "  \(pad("self", width))  \(pad("self%", 7))  \(pad("total", width))  \(pad("total%", 7))  function\n"
        for row in rows {
          out +=
            "  \(num(row.selfWeight))  \(pct(row.selfWeight))  \(num(row.totalWeight))  \(pct(row.totalWeight))  \(safe(row.name))\n"
        }
      }
    }

    if let tree = model.tree, model.uniqueStacks > 0 {
      out +=
        "\ncall tree (root first; children under \(ReportModel.percent(UInt64((model.treeMinPercent * 100).rounded()), of: 10000))% summarised):\n"
      out += "  \(pad("total%", 7))  \(pad("total", width))  \(pad("self", width))  function\n"
      func walk(_ node: TreeNode, depth: Int) {
        let indent = String(repeating: "  ", count: depth)
        out +=
          "  \(pct(node.totalWeight))  \(num(node.totalWeight))  \(num(node.selfWeight))  \(indent)\(safe(node.name))\n"
        for child in node.children { walk(child, depth: depth + 1) }
        if node.elidedNodes > 0 {
          out += "  \(pct(node.elidedWeight))  \(num(node.elidedWeight))  \(pad("", width))  \(indent)  "
          out += "[\(node.elidedNodes) more]\n"
        }
      }
      walk(tree, depth: 0)
    }

    for peek in model.peeks {
      out += "\n\(peek.direction.rawValue) of \(safe(peek.pattern)):\n"
      if peek.views.isEmpty { out += "  no stack contains a function matching \(safe(peek.pattern))\n" }
      for view in peek.views {
        out +=
          "  \(safe(view.function)): total \(w(view.totalWeight)) (\(ReportModel.percent(view.totalWeight, of: model.totalWeight))% of all), self \(w(view.selfWeight))\n"
        out +=
          "    \(pad("weight", width))  \(pad("share", 7))  \(peek.direction == .callers ? "caller" : "callee")\n"
        let edges = peek.direction == .callers ? view.callers : view.callees
        func share(_ w: UInt64) -> String { pad(ReportModel.percent(w, of: view.totalWeight), 6) + "%" }
        if peek.direction == .callees && view.selfWeight > 0 {
          out += "    \(num(view.selfWeight))  \(share(view.selfWeight))  [self]\n"
        }
        for edge in edges { out += "    \(num(edge.weight))  \(share(edge.weight))  \(safe(edge.name))\n" }
      }
    }

    if !model.values.isEmpty {
      out += "\nmap values (not stacks):\n"
      for value in model.values { out += describe(value) }
    }
    if !model.notes.isEmpty {
      out += "\nnotes:\n"
      for note in model.notes { out += "  \(safe(note))\n" }
    }
    return out
  }

  typealias TreeNode = ReportModel.TreeNode

  /// A map value as bpftrace would show it: `@name[key]: value`, histogram buckets, stats.
  static func describe(_ value: MapValue) -> String {
    let key = value.key.isEmpty ? "" : "[" + value.key.map(safe).joined(separator: ", ") + "]"
    var out = "  \(safe(value.map))\(key): "
    switch value.kind {
    case .scalar, .stats:
      out += MapValueText.value(value) + "\n"
    case .hist, .lhist:
      out += "\(value.kind.rawValue)\n"
      let labelWidth = value.buckets.map(\.label.count).max() ?? 0
      for bucket in value.buckets {
        out +=
          "    \(safe(bucket.label))\(String(repeating: " ", count: max(0, labelWidth - bucket.label.count)))  \(bucket.count)\n"
      }
    }
    return out
  }

  /// `text` with control characters shown as `\xNN`: names come from untrusted traces and must
  /// not move the terminal's cursor or break a line.
  static func safe(_ text: String) -> String {
    Escaping.terminal(text) { "\\x" + Escaping.hexByte(UInt8($0)) }
  }

  static func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
  }

  /// One sparkline row per group: what each block held, scaled to the row's largest block.
  static func overTime(_ series: IntervalSeries, num: (UInt64) -> String) -> String {
    let times = series.blocks.compactMap(\.time)
    var out = "\nover time: \(series.blocks.count) blocks"
    if let first = times.first, let last = times.last { out += ", \(safe(first)) to \(safe(last))" }
    if let mode = series.mode { out += ", read as \(mode == .cumulative ? "running totals" : "deltas")" }
    out += " (one character a block, scaled to the row's largest)\n"
    for row in series.rows {
      let peak = row.weights.max() ?? 0
      out +=
        "  \(num(row.total))  |\(IntervalSeries.sparkline(row.weights))|  peak \(series.weightScale.format(peak))  \(row.isGroup ? "group " : "")\(safe(row.name))\n"
    }
    return out
  }
}
