import StackFold
import TDPTable
import TraceParse

/// One `report` run as data: what to compute and where each output goes, run on a `Profile`.
///
/// The CLI maps flags to it and writes what `run` returns, as pprof's `commands.go` hands a
/// request to `report.Generate`. `validate()` is where flags that cannot go together are
/// refused, with one message, so nothing a user asked for is dropped silently.
public struct ReportRequest: Sendable {
  /// What goes to standard output.
  public enum Primary: Sendable, Hashable {
    /// The report: totals, top functions, call tree, or the `--callers`/`--callees` views.
    case report
    /// The TDP MMU summary by group, probe and origin (`--tdp`).
    case tdpSummary
    /// The flame graph SVG (`--svg -`).
    case svg
    /// The HTML page (`--html -`).
    case html
  }

  /// A flag the user gave, by the outputs that read it, for `validate()`.
  public enum Given: String, Sendable, Hashable, CaseIterable {
    case callers = "--callers", callees = "--callees", top = "--top", treeMinPercent = "--tree-min-percent"
    case treeMaxDepth = "--tree-max-depth", json = "--json", tdp = "--tdp", preset = "--preset"
    case title = "--title", subtitle = "--subtitle", width = "--width", minwidth = "--minwidth"
    case inverted = "--inverted"

    /// Whether a run with these outputs reads the flag.
    func isRead(primary: Primary, svg: Bool, html: Bool) -> Bool {
      switch self {
      case .callers, .callees: return primary == .report
      case .top, .treeMinPercent, .treeMaxDepth: return primary == .report || html
      case .json: return primary == .report || primary == .tdpSummary
      case .tdp: return primary == .tdpSummary
      case .preset: return primary == .tdpSummary || html
      case .title, .subtitle, .width, .minwidth, .inverted: return svg || html
      }
    }
  }

  public var report: ReportOptions
  public var graph: FlameGraphOptions
  /// Text or JSON, for the report and the TDP summary.
  public var json: Bool
  /// The TDP summary in place of the report on stdout.
  public var tdp: Bool
  /// The probe table the TDP summary files samples by.
  public var table: ProbeTable
  /// `--svg`, `--html`, `--pprof`, `--speedscope`; `-` is stdout for the first two.
  public var svg: String?
  public var html: String?
  public var pprof: String?
  public var speedscope: String?
  /// Heading of the HTML page.
  public var title: String?
  /// The flags the user gave explicitly (defaults are not refused).
  public var given: Set<Given>

  public init(
    report: ReportOptions = ReportOptions(), graph: FlameGraphOptions = FlameGraphOptions(), json: Bool = false,
    tdp: Bool = false, table: ProbeTable = .tdpMMU, svg: String? = nil, html: String? = nil,
    pprof: String? = nil, speedscope: String? = nil, title: String? = nil, given: Set<Given> = []
  ) {
    self.report = report
    self.graph = graph
    self.json = json
    self.tdp = tdp
    self.table = table
    self.svg = svg
    self.html = html
    self.pprof = pprof
    self.speedscope = speedscope
    self.title = title
    self.given = given
  }

  /// What stdout carries.
  public var primary: Primary {
    if svg == "-" { return .svg }
    if html == "-" { return .html }
    return tdp ? .tdpSummary : .report
  }

  /// Refuses flags that claim the same output or that no output of this run would read.
  public func validate() throws(ReportRequestError) {
    var stdout: [String] = []
    if svg == "-" { stdout.append("--svg -") }
    if html == "-" { stdout.append("--html -") }
    if tdp { stdout.append("--tdp") }
    if json && !tdp { stdout.append("--json") }
    if stdout.count > 1 {
      throw ReportRequestError(
        "\(stdout.joined(separator: " and ")) all write to stdout; give a file name to all but one")
    }
    for (flag, path) in [("--pprof", pprof), ("--speedscope", speedscope)] where path == "-" || path == "" {
      throw ReportRequestError("\(flag) needs a file name (stdout carries the report)")
    }
    let primary = self.primary
    for flag in Given.allCases where given.contains(flag) {
      if !flag.isRead(primary: primary, svg: svg != nil, html: html != nil) {
        throw ReportRequestError("\(flag.rawValue) has no effect \(Self.reason(primary: primary, flag: flag))")
      }
    }
  }

  /// The inputs as errors name them: `a.txt`, `a.txt, b.txt`, or `<input>` when unknown.
  private var inputNames: String {
    report.inputs.isEmpty ? "<input>" : report.inputs.joined(separator: ", ")
  }

  private static func reason(primary: Primary, flag: Given) -> String {
    switch (primary, flag) {
    case (.tdpSummary, .callers), (.tdpSummary, .callees), (.tdpSummary, .top), (.tdpSummary, .treeMinPercent),
      (.tdpSummary, .treeMaxDepth):
      return "with --tdp, which prints the TDP MMU summary instead of the report; run the two separately"
    case (.svg, _), (.html, _):
      return "when \(primary == .svg ? "--svg -" : "--html -") writes the page to stdout instead of the report"
    default:
      return "without --svg or --html"
    }
  }

  /// One output of a run.
  public struct Output: Sendable {
    public var destination: OutputDestination
    public var bytes: [UInt8]
  }

  /// What a run produced: files first (so a closed stdout never loses them), stdout last, and
  /// notes for stderr.
  public struct Result: Sendable {
    public var outputs: [Output]
    public var notes: [String]
  }

  /// Computes every output. The TDP summary is computed once and shared by `--tdp` and the
  /// HTML page.
  public func run(on profile: Profile, exportName: String = "tdptrace") throws -> Result {
    try validate()
    var outputs: [Output] = []
    var notes: [String] = []
    let needsSummary = primary == .tdpSummary || html != nil
    let summary = needsSummary ? TDPSummary(profile: profile, table: table) : nil
    if let svg {
      outputs.append(
        Output(
          destination: OutputDestination(svg),
          bytes: Array(FlameGraphSVG(options: graph).document(profile, standalone: true).utf8)))
    }
    if let html, let summary {
      let page = HTMLReport(report: report, graph: graph, title: title, tdpTables: HTMLReport.tdpTables(summary))
      outputs.append(Output(destination: OutputDestination(html), bytes: Array(try page.document(profile).utf8)))
    }
    if let pprof {
      let bytes: [UInt8]
      do { bytes = try PprofExport().render(profile) } catch let failure as PprofExport.Failure {
        // The profile no longer knows which input a sample came from; the inputs do.
        throw ReportRequestError("\(inputNames): \(failure) (--pprof \(pprof))")
      }
      outputs.append(Output(destination: .file(pprof), bytes: bytes))
    }
    if let speedscope {
      let bytes = try SpeedscopeExport(naming: report.naming, name: exportName).render(profile)
      outputs.append(Output(destination: .file(speedscope), bytes: bytes))
      if !profile.values.isEmpty {
        let n = profile.values.count
        notes.append(
          "\(speedscope): \(n) non-stack map value\(n == 1 ? "" : "s") (hist, lhist, stats, scalars) not exported; speedscope has no place for them (see the report, --json or --pprof comments)"
        )
      }
    }
    switch primary {
    case .svg, .html: break
    case .tdpSummary:
      let text = try TDPSummaryText(format: json ? .json : .text).render(summary!)
      outputs.append(Output(destination: .stdout, bytes: text))
    case .report:
      let model = try ReportModel(profile: profile, options: report)
      outputs.append(
        Output(destination: .stdout, bytes: json ? try JSONReport.render(model) : Array(TextReport.render(model).utf8)))
    }
    let files = outputs.filter { $0.destination != .stdout }
    return Result(outputs: files + outputs.filter { $0.destination == .stdout }, notes: notes)
  }
}

/// Flags of a report request that cannot go together.
public struct ReportRequestError: Error, Sendable, Equatable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}
