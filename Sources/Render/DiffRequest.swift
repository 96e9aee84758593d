import StackFold
import TraceParse

/// One `diff` run as data: the change table on stdout, and the differential flame graph and
/// page where asked, run on two profiles. The CLI maps flags to it, as it does `ReportRequest`.
public struct DiffRequest: Sendable {
  public var naming: FrameNaming
  /// Rows of the change table; nil lists all.
  public var limit: Int?
  /// Scale BEFORE to AFTER's total first (difffolded.pl -n).
  public var normalize: Bool
  public var graph: FlameGraphOptions
  /// `--svg` and `--html`; `-` is stdout, in place of the table.
  public var svg: String?
  public var html: String?
  public var title: String?
  /// The two inputs as given, for the page.
  public var inputs: [String]
  /// Graph flags the user gave (`--title`, `--width`, ...), refused when no graph reads them.
  public var given: Set<ReportRequest.Given>
  /// The latency table (`LatencyComparison`) in place of the change table; no graphs.
  public var latency: Bool
  /// The SPTE ledgers compared (`SPTELedgerDiff`) in place of the change table; no graphs.
  public var spte = false
  /// `--lenient`, for the SPTE ledgers.
  public var lenient = false

  public init(
    naming: FrameNaming = FrameNaming(), limit: Int? = 20, normalize: Bool = false,
    graph: FlameGraphOptions = FlameGraphOptions(), svg: String? = nil, html: String? = nil,
    title: String? = nil,
    inputs: [String] = [], given: Set<ReportRequest.Given> = [], latency: Bool = false
  ) {
    self.latency = latency
    self.naming = naming
    self.limit = limit
    self.normalize = normalize
    self.graph = graph
    self.svg = svg
    self.html = html
    self.title = title
    self.inputs = inputs
    self.given = given
  }

  /// Refuses two outputs on stdout, and graph flags with no graph to read them.
  public func validate() throws(ReportRequestError) {
    if latency && spte {
      throw ReportRequestError("--latency and --spte both write to stdout; run them separately")
    }
    for (given, mode) in [(latency, "--latency"), (spte, "--spte")] where given {
      if let flag = svg != nil ? "--svg" : html != nil ? "--html" : nil {
        throw ReportRequestError("\(flag) has no effect with \(mode), which compares tables only")
      }
    }
    if svg == "-" && html == "-" {
      throw ReportRequestError("--svg - and --html - both write to stdout; give a file name to one of them")
    }
    if svg == nil && html == nil, let flag = given.sorted(by: { $0.rawValue < $1.rawValue }).first {
      throw ReportRequestError("\(flag.rawValue) has no effect without --svg or --html")
    }
  }

  /// The outputs, files first.
  public func run(before: Profile, after: Profile) throws -> [RenderedOutput] {
    try validate()
    if latency {
      let comparison = LatencyComparison(
        before: LatencySummary(profile: before), after: LatencySummary(profile: after))
      return [RenderedOutput(.stdout, Array(LatencyDiffTable().render(comparison).utf8))]
    }
    if spte {
      var ledgers: [SPTELedger] = []
      for (profile, input) in zip([before, after], inputs + ["<before>", "<after>"].dropFirst(inputs.count)) {
        do { ledgers.append(try SPTELedger(profile: profile, lenient: lenient)) } catch {
          throw ReportRequestError("\(input == "-" ? "<stdin>" : input): \(error)")
        }
      }
      return [RenderedOutput(.stdout, SPTELedgerDiff().render(before: ledgers[0], after: ledgers[1]))]
    }
    let diff = try profileDiff(before: before, after: after)
    let table = DiffTable(limit: limit)
    var files: [RenderedOutput] = []
    var stdout: [RenderedOutput] = []
    func add(_ path: String, _ bytes: [UInt8]) {
      let output = RenderedOutput(OutputDestination(path), bytes)
      if output.destination == .stdout { stdout.append(output) } else { files.append(output) }
    }
    if let svg { add(svg, DiffFlameGraph(options: graph).render(diff)) }
    if let html {
      let page = DiffHTMLReport(graph: graph, table: table, title: title, inputs: inputs)
      add(html, Array(page.document(diff).utf8))
    }
    if stdout.isEmpty { stdout.append(RenderedOutput(.stdout, Array(table.render(diff).utf8))) }
    return files + stdout
  }

  /// The differential flame graph of `before` and `after` alone (`report --svg` on a
  /// differential folded input).
  public func differentialGraph(before: Profile, after: Profile) throws -> String {
    DiffFlameGraph(options: graph).document(try profileDiff(before: before, after: after), standalone: true)
  }

  /// The two profiles compared as the graph options ask: held at one weight scale, reversed
  /// with `--reverse`.
  func profileDiff(before: Profile, after: Profile) throws -> ProfileDiff {
    // Fractional inputs of different precision are compared at the finer one.
    let scale = max(before.weightScale, after.weightScale)
    var before = try before.held(at: scale)
    var after = try after.held(at: scale)
    if graph.reverse {
      before = try StackReversal.reversed(before)
      after = try StackReversal.reversed(after)
    }
    if graph.flameChart && (svg != nil || html != nil) {
      throw ReportRequestError("--flamechart draws one profile in time order; a differential graph has two")
    }
    return ProfileDiff(before: before, after: after, naming: naming, normalize: normalize)
  }
}
