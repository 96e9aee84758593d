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
    /// Latency by probe and origin path (`--latency`).
    case latency
    /// SPTE changes by origin path, kind and level (`--spte`).
    case spteLedger
    /// Faults per vCPU or VM, by outcome (`--faults`).
    case faultAnatomy
    /// `mmu_lock` waits per VM by holder, waiter and mode (`--mmu-lock`).
    case mmuLock
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
    case latency = "--latency", slowest = "--slowest", weightTime = "--weight time", spte = "--spte"
    case faults = "--faults", by = "--by", stuckRetries = "--stuck-retries", mmuLock = "--mmu-lock"
    // flamegraph.pl's options (docs/flamegraph-compat.md).
    case colors = "--colors", hash = "--hash", cp = "--cp", reverse = "--reverse", flamechart = "--flamechart"
    case negate = "--negate", factor = "--factor", countname = "--countname", nametype = "--nametype"
    case fonttype = "--fonttype", fontsize = "--fontsize", fontwidth = "--fontwidth", height = "--height"
    case nameattr = "--nameattr", bgcolors = "--bgcolors", total = "--total", notes = "--notes"

    /// Whether a run with these outputs reads the flag.
    func isRead(primary: Primary, svg: Bool, html: Bool) -> Bool {
      switch self {
      case .callers, .callees: return primary == .report
      case .top, .treeMinPercent, .treeMaxDepth: return primary == .report || html
      case .json:
        return primary == .report || primary == .tdpSummary || primary == .latency || primary == .spteLedger
          || primary == .faultAnatomy || primary == .mmuLock
      case .mmuLock: return primary == .mmuLock
      case .by: return primary == .faultAnatomy || primary == .latency || primary == .mmuLock
      case .faults, .stuckRetries: return primary == .faultAnatomy
      case .tdp: return primary == .tdpSummary
      case .spte: return primary == .spteLedger
      case .preset: return primary == .tdpSummary || primary == .latency || primary == .spteLedger || html
      case .latency: return primary == .latency || html
      case .slowest: return primary == .latency
      case .weightTime: return svg
      case .title, .subtitle, .width, .minwidth, .inverted: return svg || html
      case .colors, .hash, .cp, .reverse, .flamechart, .negate, .factor, .countname, .nametype, .fonttype,
        .fontsize, .fontwidth, .height, .nameattr, .bgcolors, .total, .notes:
        return svg || html
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
  /// The latency report in place of the report on stdout, and latency charts on the HTML page.
  public var latency: Bool
  /// The SPTE ledger (`SPTELedger`) in place of the report on stdout.
  public var spte = false
  /// The fault anatomy (`FaultAnatomy`) in place of the report on stdout, by vCPU or VM, with
  /// its stuck-vCPU threshold.
  public var faults = false
  public var faultGrouping = FaultAnatomy.Grouping.vcpu
  public var stuckRetries: UInt64 = 1000
  /// The `mmu_lock` waits (`MMULockWaits`) in place of the report on stdout.
  public var mmuLock = false
  /// `--lenient`: the SPTE ledger skips entries it cannot read, and counts them, as the parsers do.
  public var lenient = false
  /// Slowest calls the latency report lists.
  public var slowest: Int
  /// The flame graph weighted by time spent per stack (`LatencyTimeProfile`) instead of samples.
  public var timeWeighted: Bool
  /// `--svg`, `--html`, `--pprof`, `--speedscope`; `-` is stdout for the first two.
  public var svg: String?
  public var html: String?
  public var pprof: String?
  public var speedscope: String?
  /// Heading of the HTML page.
  public var title: String?
  /// The flags the user gave explicitly (defaults are not refused).
  public var given: Set<Given>
  /// The BEFORE side of a differential input (folded lines with two counts); the profile
  /// `run(on:)` is given is the AFTER side. With it `--svg` draws a differential flame graph,
  /// as flamegraph.pl does on such input.
  public var baseline: Profile?
  /// Where `--cp` writes the palette map back (flamegraph.pl's `palette.map`).
  public var paletteMapPath: String = PaletteMap.defaultPath

  public init(
    report: ReportOptions = ReportOptions(), graph: FlameGraphOptions = FlameGraphOptions(),
    json: Bool = false,
    tdp: Bool = false, table: ProbeTable = .tdpMMU, svg: String? = nil, html: String? = nil,
    pprof: String? = nil, speedscope: String? = nil, title: String? = nil, given: Set<Given> = [],
    latency: Bool = false, slowest: Int = 10, timeWeighted: Bool = false
  ) {
    self.latency = latency
    self.slowest = slowest
    self.timeWeighted = timeWeighted
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
    if latency { return .latency }
    if spte { return .spteLedger }
    if faults { return .faultAnatomy }
    if mmuLock { return .mmuLock }
    return tdp ? .tdpSummary : .report
  }

  /// Refuses flags that claim the same output or that no output of this run would read.
  public func validate() throws(ReportRequestError) {
    var stdout: [String] = []
    if svg == "-" { stdout.append("--svg -") }
    if html == "-" { stdout.append("--html -") }
    if tdp { stdout.append("--tdp") }
    if latency { stdout.append("--latency") }
    if spte { stdout.append("--spte") }
    if faults { stdout.append("--faults") }
    if mmuLock { stdout.append("--mmu-lock") }
    if json && !tdp && !latency && !spte && !faults && !mmuLock { stdout.append("--json") }
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
        throw ReportRequestError(
          "\(flag.rawValue) has no effect \(Self.reason(primary: primary, flag: flag))")
      }
    }
  }

  /// The inputs as errors name them: `a.txt`, `a.txt, b.txt`, or `<input>` when unknown.
  private var inputNames: String {
    report.inputs.isEmpty ? "<input>" : report.inputs.joined(separator: ", ")
  }

  private static func reason(primary: Primary, flag: Given) -> String {
    switch (primary, flag) {
    case (.tdpSummary, .callers), (.tdpSummary, .callees), (.tdpSummary, .top),
      (.tdpSummary, .treeMinPercent),
      (.tdpSummary, .treeMaxDepth):
      return "with --tdp, which prints the TDP MMU summary instead of the report; run the two separately"
    case (.latency, _):
      return "with --latency, which prints the latency report instead of the report; run the two separately"
    case (.spteLedger, _):
      return "with --spte, which prints the SPTE ledger instead of the report; run the two separately"
    case (.mmuLock, _):
      return "with --mmu-lock, which prints the mmu_lock waits instead of the report; run the two separately"
    case (.faultAnatomy, _):
      return "with --faults, which prints the fault anatomy instead of the report; run the two separately"
    case (.svg, _), (.html, _):
      return
        "when \(primary == .svg ? "--svg -" : "--html -") writes the page to stdout instead of the report"
    case (_, .by):
      return "without --faults, --latency or --mmu-lock, the reports it splits by VM or vCPU"
    default:
      return "without --svg or --html"
    }
  }

  /// What a run produced: files first (so a closed stdout never loses them), stdout last, and
  /// notes for stderr.
  public struct Result: Sendable {
    public var outputs: [RenderedOutput]
    public var notes: [String]
  }

  /// Computes every output. The TDP summary is computed once and shared by `--tdp` and the
  /// HTML page.
  public func run(on profile: Profile, exportName: String = "tdptrace") throws -> Result {
    try validate()
    var outputs: [RenderedOutput] = []
    var notes: [String] = []
    let needsSummary = primary == .tdpSummary || html != nil
    let summary = needsSummary ? TDPSummary(profile: profile, table: table) : nil
    // --by splits report --latency's rows only when asked: a plain page or graph keeps probes whole.
    let split =
      given.contains(.by) && primary == .latency
      ? LatencySummary.Split(rawValue: faultGrouping.rawValue) : nil
    let latencySummary = latency ? LatencySummary(profile: profile, table: table, split: split) : nil
    if let svg {
      var graphed = profile
      var options = graph
      if timeWeighted {
        let timed = LatencyTimeProfile(LatencySummary(profile: profile, table: table))
        graphed = timed.profile
        options.countName = "ns"
        notes += timed.notes
      }
      let document: String
      let palette: PaletteMap?
      if let baseline, !timeWeighted {
        let diff = DiffRequest(naming: report.naming, graph: options, svg: svg)
        document = try diff.differentialGraph(before: baseline, after: graphed)
        palette = nil
      } else {
        (document, palette) = FlameGraphSVG(options: options).documentAndPalette(graphed, standalone: true)
      }
      outputs.append(RenderedOutput(OutputDestination(svg), Array(document.utf8)))
      // --cp: the colors used, written back for the next graph, as flamegraph.pl does.
      if let palette { outputs.append(RenderedOutput(.file(paletteMapPath), Array(palette.text.utf8))) }
    }
    if let html, let summary {
      // The page of an interval capture shows its tables for a range of blocks too.
      let blocks =
        profile.intervals.count >= 2 && !graph.flameChart
        ? profile.intervalParts().map { TDPSummary(profile: $0, table: table) } : nil
      var page = HTMLReport(
        report: report, graph: graph, title: title, tdpTables: HTMLReport.tdpTables(summary, blocks: blocks))
      page.latency = latencySummary
      // A capture with @spte entries gets its ledger on the page; any other has none.
      do { page.spteLedger = try SPTELedger(profile: profile, table: table, lenient: lenient) } catch {
        if error != .noEntries { throw ReportRequestError("\(inputNames): \(error)") }
      }
      // So do fault and mmu_lock captures (or both, given together) their per-vCPU section.
      page.faults = try? FaultAnatomy(profile: profile, by: .vcpu, stuckRetries: stuckRetries)
      page.mmuLock = try? MMULockWaits(profile: profile, table: table)
      outputs.append(RenderedOutput(OutputDestination(html), Array(try page.document(profile).utf8)))
    }
    if let pprof {
      let bytes: [UInt8]
      do { bytes = try PprofExport().render(profile) } catch let failure as PprofExport.Failure {
        // The profile no longer knows which input a sample came from; the inputs do.
        throw ReportRequestError("\(inputNames): \(failure) (--pprof \(pprof))")
      }
      outputs.append(RenderedOutput(.file(pprof), bytes))
    }
    if let speedscope {
      let bytes = try SpeedscopeExport(naming: report.naming, name: exportName).render(profile)
      outputs.append(RenderedOutput(.file(speedscope), bytes))
      if !profile.values.isEmpty {
        let n = profile.values.count
        notes.append(
          "\(speedscope): \(n) non-stack map value\(n == 1 ? "" : "s") (hist, lhist, stats, scalars) not exported; speedscope has no place for them (see the report, --json or --pprof comments)"
        )
      }
    }
    switch primary {
    case .svg, .html: break
    case .latency:
      let text = LatencyReport(format: json ? .json : .text, slowest: slowest, inputs: report.inputs)
        .render(latencySummary!)
      outputs.append(RenderedOutput(.stdout, text))
    case .tdpSummary:
      let text = try TDPSummaryText(format: json ? .json : .text).render(summary!)
      outputs.append(RenderedOutput(.stdout, text))
    case .spteLedger:
      let ledger: SPTELedger
      do { ledger = try SPTELedger(profile: profile, table: table, lenient: lenient) } catch {
        // The profile no longer knows which input an entry came from; the inputs do.
        throw ReportRequestError("\(inputNames): \(error)")
      }
      outputs.append(RenderedOutput(.stdout, SPTELedgerText(format: json ? .json : .text).render(ledger)))
    case .faultAnatomy:
      let anatomy: FaultAnatomy
      do { anatomy = try FaultAnatomy(profile: profile, by: faultGrouping, stuckRetries: stuckRetries) } catch
      {
        throw ReportRequestError("\(inputNames): \(error)")
      }
      outputs.append(RenderedOutput(.stdout, FaultAnatomyText(format: json ? .json : .text).render(anatomy)))
    case .mmuLock:
      let waits: MMULockWaits
      do { waits = try MMULockWaits(profile: profile, table: table) } catch {
        throw ReportRequestError("\(inputNames): \(error)")
      }
      outputs.append(
        RenderedOutput(
          .stdout, MMULockText(format: json ? .json : .text, perVCPU: faultGrouping == .vcpu).render(waits)))
    case .report:
      let model = try ReportModel(profile: profile, options: report)
      outputs.append(
        RenderedOutput(.stdout, json ? try JSONReport.render(model) : Array(TextReport.render(model).utf8)))
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
