import Foundation
import StackFold
import TraceParse

/// One self-contained HTML page: summary and per-source totals, the TDP MMU table, the
/// interactive flame graph (inline SVG), the top functions, and caller/callee tables whose
/// function names link to each other. No network: everything is inline, and a
/// Content-Security-Policy forbids any fetch. Every name is escaped (`Escaping.html`); ids are
/// built with `Escaping.identifier`, so a hostile name can neither break the page nor run.
public struct HTMLReport: Renderer {
  /// A table another part of tdptrace contributes (the TDP MMU summary), already as text cells.
  public struct Table: Sendable, Hashable {
    public struct Cell: Sendable, Hashable {
      public var text: String
      /// Right-aligned.
      public var numeric: Bool
      /// A function name: links to its caller/callee section when it has one.
      public var function: Bool
      /// For an interval capture: the cell's weight block by block, so the page can show it
      /// for a selected range of blocks; nil for a cell that stays as written.
      public var blocks: BlockWeights?
      /// With `blocks`, a share: `blocks` as a percentage of this, over the range.
      public var shareOf: BlockWeights?

      public init(
        _ text: String, numeric: Bool = false, function: Bool = false, blocks: BlockWeights? = nil,
        shareOf: BlockWeights? = nil
      ) {
        self.text = text
        self.numeric = numeric
        self.function = function
        self.blocks = blocks
        self.shareOf = shareOf
      }
    }
    public var title: String
    /// For an interval capture: a weight the caption ends with, after `title`, so it can follow
    /// a selected range.
    public var titleWeight: Cell?
    public var note: String?
    public var columns: [String]
    public var rows: [[Cell]]

    public init(
      title: String, titleWeight: Cell? = nil, note: String? = nil, columns: [String], rows: [[Cell]]
    ) {
      self.title = title
      self.titleWeight = titleWeight
      self.note = note
      self.columns = columns
      self.rows = rows
    }
  }

  public var report: ReportOptions
  public var graph: FlameGraphOptions
  /// Page heading; nil means "tdptrace report".
  public var title: String?
  /// How many functions (heaviest by total) get a caller/callee section.
  public var functionSections: Int
  /// The TDP MMU summary tables (`ReportRequest` passes the summary it computed once); nil
  /// computes them with the TDP MMU table, an empty array leaves the section with a note.
  public var tdpTables: [Table]?
  /// Latency by origin (`report --latency --html`): one chart per probe; nil leaves it out.
  public var latency: LatencySummary?
  /// The SPTE ledger of a `record --spte` capture; nil leaves it out.
  public var spteLedger: SPTELedger?
  /// A `record --faults` capture's fault anatomy per vCPU, for the per-vCPU section.
  public var faults: FaultAnatomy?
  /// A `record --mmu-lock` capture's waits, for the per-vCPU section.
  public var mmuLock: MMULockWaits?

  public init(
    report: ReportOptions = ReportOptions(), graph: FlameGraphOptions = FlameGraphOptions(),
    title: String? = nil,
    functionSections: Int = 40, tdpTables: [Table]? = nil
  ) {
    self.report = report
    self.graph = graph
    self.title = title
    self.functionSections = functionSections
    self.tdpTables = tdpTables
  }

  public func render(_ profile: Profile) throws -> [UInt8] {
    Array(try document(profile).utf8)
  }

  /// The page as text.
  /// - Throws: `AggregationError` if the profile's total weight does not fit in UInt64.
  public func document(_ profile: Profile) throws(AggregationError) -> String {
    var options = report
    options.callers = []
    options.callees = []
    let model = try ReportModel(profile: profile, options: options)
    // Callers and callees only for the functions that get a section: for every function they
    // cost most of the page's time on profiles with hundreds of thousands of stacks.
    let functions = model.functions
    let heaviest = functions.sorted {
      $0.totalWeight != $1.totalWeight ? $0.totalWeight > $1.totalWeight : $0.name.utf8Precedes($1.name)
    }.prefix(max(0, functionSections))
    let sectioned = try CallersCallees.views(
      ofFunctions: Set(heaviest.map(\.name)), in: profile, naming: report.naming)
    let anchors = Set(sectioned.map(\.function))
    let total = model.totalWeight
    // Weights print at the profile's scale (exact fractional counts).
    let scale = model.weightScale
    let unit = countName(model.unit)
    let pageTitle = title ?? "tdptrace report"
    // An interval capture gets the chart over time and the range selection; a flame chart's
    // frames of one name are separate in time, so its frames have no weights per block.
    var parts: [Profile] = []
    var ranges: IntervalPageData? = nil
    if profile.intervals.count >= 2, !graph.flameChart, model.series != nil {
      parts = profile.intervalParts()
      ranges = try IntervalPageData(
        profile: profile, parts: parts, naming: report.naming, sectioned: Set(heaviest.map(\.name)))
    }

    var out = HTMLPage.start(title: pageTitle, extraStyle: ranges == nil ? nil : IntervalRangeScript.style)
    out += "<nav>"
    if ranges != nil { out += "<a href=\"#over-time\">Over time</a> · " }
    out +=
      "<a href=\"#summary\">Summary</a> · <a href=\"#tdp\">TDP MMU</a> · <a href=\"#flamegraph\">Flame graph</a> · "
    if spteLedger != nil { out += "<a href=\"#spte\">SPTE changes</a> · " }
    if faults != nil || mmuLock != nil { out += "<a href=\"#vcpus\">Per vCPU</a> · " }
    out += "<a href=\"#top\">Top functions</a> · <a href=\"#functions\">Callers and callees</a>"
    if !model.values.isEmpty { out += " · <a href=\"#values\">Other maps</a>" }
    out += "</nav>\n"

    if let data = ranges, let series = model.series {
      let all = data.blocks
      out += "<section id=\"over-time\"><h2>Over time</h2>\n"
      out +=
        "<p class=\"note\">One bar per interval block, one band per TDP MMU group (or probe outside the table). "
      out +=
        "Drag across the bars or click one block: the flame graph and the tables below then show those blocks only.</p>\n"
      out += "<p><button type=\"button\" class=\"iv-reset\">Whole capture</button> "
      out +=
        "<span class=\"iv-status\" id=\"iv-status\">Whole capture: blocks \(all[0].index)–\(all[all.count - 1].index)"
      let times = all.compactMap(\.time)
      if let first = times.first, let last = times.last {
        out += ", " + Escaping.html(first == last ? first : first + "–" + last)
      }
      out += ", \(scale.format(total, grouped: true)) \(Escaping.html(unit))</span></p>\n"
      out += "<div class=\"graph\">"
      out += IntervalChartSVG(width: graph.width, countName: unit).render(series)
      out += "</div></section>\n"
    }

    // Summary.
    out += "<section id=\"summary\"><h2>Summary</h2>\n<table class=\"kv\">\n"
    if !model.inputs.isEmpty {
      out += HTMLPage.row(
        ["Inputs", model.inputs.map { Escaping.html($0) }.joined(separator: "<br>")], header: true)
    }
    out += HTMLPage.row(
      [
        "Total weight",
        ranges.wrap(scale.format(total, grouped: true), ranges.weight(ranges?.totals)) + " \(unit)",
      ],
      header: true)
    out += HTMLPage.row(
      [
        "Unique stacks",
        ranges.wrap(
          FlameGraphNumbers.grouped(UInt64(model.uniqueStacks)), ranges.count(ranges?.uniqueStacks)),
      ], header: true)
    out += HTMLPage.row(
      [
        "Functions",
        ranges.wrap(
          FlameGraphNumbers.grouped(UInt64(functions.count)), ranges == nil ? "" : " data-ifn=\"\""),
      ], header: true)
    out += HTMLPage.row(
      [
        "Skipped records",
        model.skipped.records == 0
          ? "none"
          : "\(FlameGraphNumbers.grouped(UInt64(model.skipped.records))) (weight \(scale.format(model.skipped.weight, grouped: true)))",
      ], header: true)
    for removal in model.filtered {
      out += HTMLPage.row(["Filtered out", Escaping.html(String(describing: removal))], header: true)
    }
    if let trim = model.bpfFrames, trim.stacks > 0 {
      let names = trim.dropped.prefix(TextReport.listed).map {
        "\(Escaping.html($0.name)) (\(FlameGraphNumbers.grouped(UInt64($0.stacks))) stacks, weight \(scale.format($0.weight, grouped: true)))"
      }
      out += HTMLPage.row(
        [
          "Tracing frames trimmed",
          "\(FlameGraphNumbers.grouped(UInt64(trim.stacks))) stacks (weight \(scale.format(trim.weight, grouped: true))): "
            + names.joined(separator: ", ") + (trim.dropped.count > names.count ? ", …" : ""),
        ], header: true)
    }
    if let trim = model.bpfFrames, trim.probeNotOnStack > 0 {
      out += HTMLPage.row(
        [
          "Probe function not on stack",
          "\(FlameGraphNumbers.grouped(UInt64(trim.probeNotOnStack))) stacks (weight \(scale.format(trim.probeNotOnStackWeight, grouped: true))), left as recorded",
        ], header: true)
    }
    if !model.suspectFrames.isEmpty {
      let shown = model.suspectFrames.prefix(TextReport.listed).map {
        "\(Escaping.html($0.frame)) (weight \(scale.format($0.weight, grouped: true)), \(SuspectFrames.reason($0)))"
      }
      out += HTMLPage.row(
        [
          "Suspect frames (not real callers)",
          shown.joined(separator: "<br>") + (model.suspectFrames.count > shown.count ? "<br>…" : ""),
        ], header: true)
    }
    out += "</table>\n"
    if !model.skipped.examples.isEmpty {
      out += "<ul class=\"notes\">"
      for e in model.skipped.examples { out += "<li>\(Escaping.html(e.description))</li>" }
      out += "</ul>\n"
    }
    if !model.notes.isEmpty {
      out += "<ul class=\"notes\">"
      for note in model.notes { out += "<li>\(Escaping.html(note))</li>" }
      out += "</ul>\n"
    }
    out +=
      "<h3>By map, probe or event</h3>\n<table>\n<tr><th>source</th><th class=\"n\">stacks</th><th class=\"n\">weight</th><th class=\"n\">share</th></tr>\n"
    for s in model.sources {
      let blocks = ranges?.sources[s.source]
      out += "<tr\(ranges.row(blocks?.weight))><td>\(Escaping.html(s.source))</td>"
      out +=
        "<td class=\"n\"\(ranges.count(blocks?.stacks))>\(FlameGraphNumbers.grouped(UInt64(s.stacks)))</td>"
      out += "<td class=\"n\"\(ranges.weight(blocks?.weight))>\(scale.format(s.weight, grouped: true))</td>"
      out +=
        "<td class=\"n\"\(ranges.share(blocks?.weight, of: ranges?.totals))>\(FlameGraphNumbers.percent(s.weight, of: total))%</td></tr>\n"
    }
    out += "</table></section>\n"

    // TDP MMU summary, from `tdpTables`.
    out += "<section id=\"tdp\"><h2>TDP MMU paths</h2>\n"
    let tables =
      tdpTables
      ?? Self.tdpTables(
        TDPSummary(profile: profile), blocks: ranges == nil ? nil : parts.map { TDPSummary(profile: $0) })
    if !tables.isEmpty {
      for table in tables { out += render(table, anchors: anchors, ranges: &ranges) }
    } else {
      out +=
        "<p class=\"note\">No TDP MMU summary in this report (run <code>tdptrace report --tdp --html ...</code>).</p>\n"
    }
    out += "</section>\n"
    if let latency { out += latencySection(latency) }
    if let spteLedger { out += SPTELedgerHTML.section(spteLedger) }
    if faults != nil || mmuLock != nil { out += VCPUStallHTML.section(faults: faults, waits: mmuLock) }

    // Flame graph.
    var graphOptions = graph
    graphOptions.naming = report.naming
    graphOptions.countName = unit
    out += "<section id=\"flamegraph\"><h2>Flame graph</h2>\n"
    out +=
      "<p class=\"note\">Click a frame to zoom, “Reset Zoom” to go back, “Search” for a regular expression; "
    out += "the ⌕ links below highlight a function."
    if ranges != nil {
      out += " A range selected in the chart over time lays the graph out for those blocks only."
    }
    out += "</p>\n<div class=\"graph\">\n"
    if ranges != nil {
      let drawn = FlameGraphSVG(options: graphOptions).drawnForRanges(profile)
      // Under --reverse the tree is of the reversed stacks, and so must its parts be.
      let graphParts = graphOptions.reverse ? drawn.profile.intervalParts() : parts
      // A block of one source would get no source root of its own: held to the whole graph's.
      var naming = graphOptions.naming
      naming.sourceRoot = naming.usesSourceRoot(drawn.profile)
      let weights = drawn.tree.blockWeights(of: graphParts.map { CallTree(profile: $0, naming: naming) })
      var position: [Int: Int] = [:]
      for (i, node) in drawn.frames.enumerated() { position[node] = i }
      ranges!.frames = drawn.frames.map { node in
        (drawn.tree.nodes[node].parent.flatMap { position[$0] } ?? -1, weights[node])
      }
      out += drawn.svg
    } else {
      out += FlameGraphSVG(options: graphOptions).document(profile, standalone: false)
    }
    out += "</div></section>\n"

    // Top functions.
    out += "<section id=\"top\"><h2>Top functions</h2>\n<div class=\"cols\">\n"
    out += topTable(
      "By total (cum)", model.topByTotal, total: total, anchors: anchors, scale: scale,
      rebuilt: ranges == nil ? "" : " data-itop=\"total\"")
    out += topTable(
      "By self (flat)", model.topBySelf, total: total, anchors: anchors, scale: scale,
      rebuilt: ranges == nil ? "" : " data-itop=\"self\"")
    out += "</div></section>\n"

    // Callers and callees.
    out += "<section id=\"functions\"><h2>Callers and callees</h2>\n"
    out +=
      "<p class=\"note\">The \(sectioned.count) heaviest of \(functions.count) functions by total weight. "
    out += "Each sample counts once per function and once per edge, so recursion is not counted twice; "
    out += "shares are of the function's total.</p>\n"
    for view in sectioned {
      let id = "fn-" + Escaping.identifier(view.function)
      out += "<div class=\"fn\" id=\"\(id)\"><h3>\(Escaping.html(view.function)) "
      out +=
        HTMLPage.findLink(view.function) + "</h3>\n"
      let blocks = ranges?.views[view.function]
      // `W (S%)`, each part tagged with its per-block weights on interval pages.
      func weightAndShare(_ weight: UInt64, _ perBlock: BlockWeights?) -> String {
        ranges.wrap(scale.format(weight, grouped: true), ranges.weight(perBlock)) + " ("
          + ranges.wrap(
            "\(FlameGraphNumbers.percent(weight, of: total))%", ranges.share(perBlock, of: ranges?.totals))
          + ")"
      }
      out += "<p>total " + weightAndShare(view.totalWeight, blocks?.totalWeight)
      out += ", self " + weightAndShare(view.selfWeight, blocks?.selfWeight) + "</p>\n"
      out += "<div class=\"cols\">\n"
      out += edgeTable(
        "Callers", view.callers, of: view, selfRow: false, anchors: anchors, scale: scale, ranges: &ranges)
      out += edgeTable(
        "Callees", view.callees, of: view, selfRow: true, anchors: anchors, scale: scale, ranges: &ranges)
      out += "</div></div>\n"
    }
    out += "</section>\n"

    if !model.values.isEmpty {
      out +=
        "<section id=\"values\"><h2>Other maps</h2>\n<table>\n<tr><th>map</th><th>key</th><th>kind</th><th>value</th></tr>\n"
      for value in model.values {
        let text = MapValueText.value(value)
        out +=
          "<tr\(ranges.block(value.interval))><td>\(Escaping.html(value.map))</td><td>\(Escaping.html(value.key.joined(separator: ", ")))</td>"
        out += "<td>\(value.kind.rawValue)</td><td>\(Escaping.html(text))</td></tr>\n"
      }
      out += "</table></section>\n"
    }
    if ranges != nil {
      ranges!.setFunctions(functions.map(\.name), anchors: anchors)
      out += ranges!.element(countName: unit, factor: graph.factor, top: report.top)
      out += "<script>\n\(IntervalRangeScript.script)\n</script>\n"
    }
    return out + HTMLPage.end
  }

  /// One chart per latency probe, its origins side by side, with the percentiles beside it.
  func latencySection(_ summary: LatencySummary) -> String {
    var out = "<section id=\"latency\"><h2>Latency by origin path</h2>\n"
    if summary.probes.isEmpty { out += "<p class=\"note\">No hist() or lhist() maps in the input.</p>\n" }
    for probe in summary.probes {
      out += "<h3>\(Escaping.html(probe.probe)) (\(Escaping.html(probe.map)))</h3>\n"
      out += "<p>\(Escaping.html(LatencyReport.totals(probe.total, probe.nanosecondsPerUnit)))"
      out += "; \(Escaping.html(LatencyReport.percentileLine(probe.total, probe.nanosecondsPerUnit)))</p>\n"
      out += "<div class=\"graph\">" + LatencyChartSVG().render(probe) + "</div>\n<table>\n"
      out +=
        "<tr><th>origin</th><th class=\"n\">calls</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>\n"
      for origin in probe.origins {
        out += "<tr><td>\(Escaping.html(origin.label))</td><td class=\"n\">\(origin.histogram.count)</td>"
        for p in LatencyReport.percentiles {
          let text = LatencyReport.percentileText(origin.histogram, p, probe.nanosecondsPerUnit)
          out += "<td>\(Escaping.html(String(text.drop { $0 != "≤" })))</td>"
        }
        let max = LatencyReport.maxText(origin.histogram, probe.nanosecondsPerUnit)
        out +=
          "<td>\(Escaping.html(String(max.dropFirst(3)).trimmingCharacters(in: .whitespaces)))</td></tr>\n"
      }
      out += "</table>\n"
    }
    if !summary.lost.isEmpty {
      out += "<p class=\"note\">Lost: "
      out += summary.lost.map { Escaping.html("\($0.probe) \($0.reason) \($0.count)") }.joined(
        separator: "; ")
      out += "</p>\n"
    }
    return out + "</section>\n"
  }

  /// One table per TDP MMU group (map, init-sp, spte-change, zap, wrprot): for each probe, the
  /// weight by the path that reached it; then the probes in no group, so the weights add up.
  /// With `blocks`, the summaries of an interval capture's blocks (`Profile.intervalParts()`),
  /// every weight cell and caption weight carries its weights per block (`Table.Cell.blocks`).
  public static func tdpTables(_ summary: TDPSummary, blocks: [TDPSummary]? = nil) -> [Table] {
    // Per block, by group, by group and probe, by group, probe and origin path.
    var weights: [String: BlockWeights]? = nil
    if let blocks {
      var all: [String: BlockWeights] = [:]
      for (block, part) in blocks.enumerated() {
        for group in part.groups {
          all["g\u{0}" + group.group, default: BlockWeights()].add(group.weight, inBlock: block)
          for probe in group.probes {
            let key = "p\u{0}" + group.group + "\u{0}" + probe.probe
            all[key, default: BlockWeights()].add(probe.weight, inBlock: block)
            for origin in probe.origins {
              all[key + "\u{0}" + origin.label, default: BlockWeights()].add(origin.weight, inBlock: block)
            }
          }
        }
        for probe in part.elsewhere {
          all["e\u{0}" + probe.probe, default: BlockWeights()].add(probe.weight, inBlock: block)
        }
        all["e", default: BlockWeights()].add(part.elsewhereWeight, inBlock: block)
      }
      weights = all
    }
    func blocksOf(_ key: String) -> BlockWeights? { weights.map { $0[key] ?? BlockWeights() } }
    let scale = summary.weightScale
    func titled(_ title: String, _ weight: UInt64, _ key: String) -> (String, Table.Cell?) {
      guard let blocks = blocksOf(key) else {
        return ("\(title): \(scale.format(weight, grouped: true))", nil)
      }
      return ("\(title): ", Table.Cell(scale.format(weight, grouped: true), numeric: true, blocks: blocks))
    }
    var tables: [Table] = []
    for group in summary.groups {
      var rows: [[Table.Cell]] = []
      for probe in group.probes {
        let key = "p\u{0}" + group.group + "\u{0}" + probe.probe
        rows.append([
          .init(probe.probe), .init("all paths"),
          .init(scale.format(probe.weight, grouped: true), numeric: true, blocks: blocksOf(key)),
          .init("100.00%", numeric: true),
        ])
        for origin in probe.origins {
          let originBlocks = blocksOf(key + "\u{0}" + origin.label)
          rows.append([
            .init(""), .init(origin.label),
            .init(scale.format(origin.weight, grouped: true), numeric: true, blocks: originBlocks),
            .init(
              FlameGraphNumbers.percent(origin.weight, of: probe.weight) + "%", numeric: true,
              blocks: originBlocks, shareOf: blocksOf(key)),
          ])
        }
      }
      let (title, titleWeight) = titled(group.group, group.weight, "g\u{0}" + group.group)
      tables.append(
        Table(
          title: title, titleWeight: titleWeight, note: group.summary,
          columns: ["probe", "path", "weight", "share of probe"], rows: rows))
    }
    if !summary.elsewhere.isEmpty {
      let (title, titleWeight) = titled(
        "elsewhere (not a TDP MMU probe)", summary.elsewhereWeight, "e")
      tables.append(
        Table(
          title: title, titleWeight: titleWeight,
          columns: ["probe", "weight"],
          rows: summary.elsewhere.map {
            [
              .init($0.probe),
              .init(
                scale.format($0.weight, grouped: true), numeric: true, blocks: blocksOf("e\u{0}" + $0.probe)),
            ]
          }))
    }
    return tables
  }

  private func countName(_ unit: WeightUnit) -> String {
    switch unit {
    case .count: return graph.countName
    case .sum: return "total"
    case .period: return "period"
    case .mixed: return "weight"
    }
  }

  private func functionCell(_ name: String, anchors: Set<String>) -> String {
    anchors.contains(name)
      ? "<a href=\"#fn-\(Escaping.identifier(name))\">\(Escaping.html(name))</a>" : Escaping.html(name)
  }

  /// `rebuilt`: the attribute by which the range script finds the table to rebuild.
  private func topTable(
    _ caption: String, _ rows: [FunctionStat], total: UInt64, anchors: Set<String>, scale: WeightScale,
    rebuilt: String
  )
    -> String
  {
    var s = "<table\(rebuilt)>\n<caption>\(caption)</caption>\n"
    s +=
      "<tr><th class=\"n\">self</th><th class=\"n\">self %</th><th class=\"n\">total</th><th class=\"n\">total %</th><th>function</th></tr>\n"
    for f in rows {
      s +=
        "<tr><td class=\"n\">\(scale.format(f.selfWeight, grouped: true))</td><td class=\"n\">\(FlameGraphNumbers.percent(f.selfWeight, of: total))%</td>"
      s +=
        "<td class=\"n\">\(scale.format(f.totalWeight, grouped: true))</td><td class=\"n\">\(FlameGraphNumbers.percent(f.totalWeight, of: total))%</td>"
      s += "<td>\(functionCell(f.name, anchors: anchors))</td></tr>\n"
    }
    return s + "</table>\n"
  }

  private func edgeTable(
    _ caption: String, _ edges: [CallEdge], of view: CallersCallees, selfRow: Bool, anchors: Set<String>,
    scale: WeightScale, ranges: inout IntervalPageData?
  ) -> String {
    let blocks = ranges?.views[view.function]
    let edgeBlocks = selfRow ? blocks?.callees : blocks?.callers
    var s = "<table>\n<caption>\(caption)</caption>\n"
    s += "<tr><th class=\"n\">weight</th><th class=\"n\">share</th><th>function</th></tr>\n"
    for e in edges {
      let weights = edgeBlocks.map { $0[e.name] ?? BlockWeights() }
      s +=
        "<tr\(ranges.row(weights))><td class=\"n\"\(ranges.weight(weights))>\(scale.format(e.weight, grouped: true))</td>"
      s +=
        "<td class=\"n\"\(ranges.share(weights, of: blocks?.totalWeight))>\(FlameGraphNumbers.percent(e.weight, of: view.totalWeight))%</td>"
      s += "<td>\(functionCell(e.name, anchors: anchors))</td></tr>\n"
    }
    if selfRow && view.selfWeight > 0 {
      let weights = blocks?.selfWeight
      s += "<tr class=\"self\"\(ranges.row(weights))><td class=\"n\"\(ranges.weight(weights))>"
      s +=
        "\(scale.format(view.selfWeight, grouped: true))</td><td class=\"n\"\(ranges.share(weights, of: blocks?.totalWeight))>\(FlameGraphNumbers.percent(view.selfWeight, of: view.totalWeight))%</td><td>[self]</td></tr>\n"
    }
    if edges.isEmpty && !(selfRow && view.selfWeight > 0) { s += "<tr><td colspan=\"3\">none</td></tr>\n" }
    return s + "</table>\n"
  }

  private func render(_ table: Table, anchors: Set<String>, ranges: inout IntervalPageData?) -> String {
    var s = "<table>\n<caption>\(Escaping.html(table.title))"
    if let weight = table.titleWeight {
      s += ranges.wrap(Escaping.html(weight.text), ranges.weight(weight.blocks))
    }
    s += "</caption>\n<tr>"
    for c in table.columns { s += "<th>\(Escaping.html(c))</th>" }
    s += "</tr>\n"
    for r in table.rows {
      // A row goes when its first weight is zero in the range.
      s += "<tr\(ranges.row(r.first { $0.blocks != nil && $0.shareOf == nil }?.blocks))>"
      for cell in r {
        let text = cell.function ? functionCell(cell.text, anchors: anchors) : Escaping.html(cell.text)
        let attribute =
          cell.shareOf != nil ? ranges.share(cell.blocks, of: cell.shareOf) : ranges.weight(cell.blocks)
        s += cell.numeric ? "<td class=\"n\"\(attribute)>\(text)</td>" : "<td\(attribute)>\(text)</td>"
      }
      s += "</tr>\n"
    }
    s += "</table>\n"
    if let note = table.note { s += "<p class=\"note\">\(Escaping.html(note))</p>\n" }
    return s
  }
}
