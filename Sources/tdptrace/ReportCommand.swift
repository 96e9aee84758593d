import ArgumentParser
import Render
import StackFold
import TraceParse

struct ReportCommand: ProducesOutputs {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Summarise stacks: totals per map or probe, top functions, call tree, callers and callees.",
    discussion: """
      The text report shows the inputs and total weight, what --lenient skipped and what the filters removed, totals per map/probe/event, the top functions by self weight (flat: the function is the leaf) and by total weight (cum: the function is anywhere on the stack, counted once per stack), the call tree with percentages, non-stack map values (hist, stats) and notes. --callers/--callees show those views instead of the tables and tree. --json writes the same content as JSON. --tdp prints the TDP MMU summary instead; --spte prints the SPTE ledger of a `record --spte` capture (changes by origin path, transition kind and level); --latency prints latency by origin path (docs/latency.md); --weight time --svg draws the flame graph weighted by time from latency histograms; flags only the report reads (--callers, --top, ...) are refused with --tdp, and so are two outputs on stdout (--svg - with --json).

      Examples:
        tdptrace report trace.txt
        tdptrace report --callers tdp_mmu_init_sp trace.txt
        tdptrace report --callees 'kvm_tdp_mmu_*' --json trace.txt
        tdptrace report --focus kvm_tdp_mmu_map --tree-min-percent 0 trace.txt
        tdptrace report --latency --slowest 5 latency.txt
        tdptrace report --spte spte.txt
        tdptrace report --weight time --svg time.svg latency.txt
        perf script | tdptrace report --event cpu-clock -
      """)

  @OptionGroup var input: InputOptions
  @OptionGroup var naming: NamingOptions
  @OptionGroup var filters: FilterOptions
  @OptionGroup var trim: TrimOptions
  @OptionGroup(title: "Debuginfo") var symbols: SymbolOptions
  @OptionGroup(title: "TDP summary and exports") var exports: ExportOptions
  @OptionGroup(title: "Latency") var latency: LatencyOptions
  @OptionGroup(title: "Flame graph and HTML") var graphs: GraphOutputOptions

  @Option(
    help: ArgumentHelp(
      "Show who calls functions matching this glob, with counts and shares (repeatable).", valueName: "func"))
  var callers: [String] = []

  @Option(
    help: ArgumentHelp(
      "Show what functions matching this glob call, with counts and shares (repeatable).", valueName: "func"))
  var callees: [String] = []

  @Option(help: ArgumentHelp("Rows in each top-functions table (default 20).", valueName: "n"))
  var top: Int?

  @Option(
    help: ArgumentHelp(
      "Summarise call-tree children under this percentage of the total in one line (default 0.5).",
      valueName: "pct"))
  var treeMinPercent: Double?

  @Option(help: ArgumentHelp("Deepest call-tree level shown (deeper levels are summarised).", valueName: "n"))
  var treeMaxDepth: Int?

  @Flag(help: "Write the report (or with --tdp, the TDP MMU summary) as JSON instead of text.")
  var json = false

  func validate() throws {
    if let top, top < 0 { throw ValidationError("--top must be 0 or more.") }
    if let treeMinPercent, !(treeMinPercent >= 0 && treeMinPercent <= 100) {
      throw ValidationError("--tree-min-percent must be between 0 and 100.")
    }
    if let treeMaxDepth, treeMaxDepth < 0 { throw ValidationError("--tree-max-depth must be 0 or more.") }
    // Conflicts need only the flags, so they are refused before any input is read.
    do { try request(naming: naming.naming, unit: .count).validate() } catch {
      throw ValidationError(error.description)
    }
  }

  /// The library request these flags ask for.
  func request(
    naming: FrameNaming, unit: WeightUnit, scale: WeightScale = .integer, filtered: [FilterRemoval] = []
  ) -> ReportRequest {
    var request = ReportRequest(
      report: ReportOptions(
        inputs: input.displayNames, naming: naming, top: top ?? 20, treeMinPercent: treeMinPercent ?? 0.5,
        treeMaxDepth: treeMaxDepth, callers: callers.map(NamePattern.init),
        callees: callees.map(NamePattern.init),
        filtered: filtered),
      json: json)
    exports.apply(to: &request)
    request.lenient = input.lenient
    latency.apply(to: &request)
    request.timeWeighted = input.weight == .time
    if input.weight == .time { request.given.insert(.weightTime) }
    graphs.apply(to: &request, unit: unit, scale: scale)
    let given: [(Bool, ReportRequest.Given)] = [
      (!callers.isEmpty, .callers), (!callees.isEmpty, .callees), (top != nil, .top),
      (treeMinPercent != nil, .treeMinPercent), (treeMaxDepth != nil, .treeMaxDepth), (json, .json),
    ]
    for (isGiven, flag) in given where isGiven { request.given.insert(flag) }
    return request
  }

  func outputs() throws -> [RenderedOutput] {
    let loaded = try CommandSupport.load(input, threadLabels: filters.needsThreadLabels)
    // A differential input (two counts per folded line) is two profiles: every step below
    // runs on each side, the report shows AFTER, and --svg draws the differential graph.
    let sides = loaded.differentialSides()
    let (trimmed, trimSummary) = try trim.apply(to: sides?.after ?? loaded, announce: false)
    let (profile, sizes) = symbols.expand(trimmed)
    let filter = filters.filter(naming: naming.naming)
    let filtered = try CommandSupport.filter(profile, with: filter, announce: false)
    let name =
      input.files.count == 1 ? String(input.files[0].split(separator: "/").last ?? "tdptrace") : "tdptrace"
    var request = request(
      naming: naming.naming, unit: filtered.profile.unit, scale: filtered.profile.weightScale,
      filtered: filtered.removals)
    try graphs.loadFiles(into: &request.graph)
    if let before = sides?.before {
      let (trimmedBefore, _) = try trim.apply(to: before, announce: false)
      let (expandedBefore, _) = symbols.expand(trimmedBefore)
      request.baseline = try CommandSupport.filter(expandedBefore, with: filter, announce: false).profile
    }
    request.report.bpfFrames = trimSummary
    request.report.symbolSizes = sizes
    return try CommandSupport.outputs(of: request, on: filtered.profile, exportName: name)
  }
}
