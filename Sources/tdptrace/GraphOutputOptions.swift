import ArgumentParser
import Render
import StackFold
import TraceParse

/// `report` and `diff` options for the flame graph SVG and the HTML page (for `diff`, the
/// differential flame graph and a page with the change table).
struct GraphOutputOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Also write an interactive flame graph (SVG: click to zoom, search, tooltips; differential for diff). '-' writes it to stdout instead of the text output.",
      valueName: "out.svg"))
  var svg: String?

  @Option(
    help: ArgumentHelp(
      "Also write a self-contained HTML page: for report, summary, TDP MMU paths, flame graph, top functions, linked callers and callees; for diff, totals, changed functions and the differential flame graph. '-' writes it to stdout instead of the text output.",
      valueName: "out.html"))
  var html: String?

  @Option(help: ArgumentHelp("Title of the flame graph and HTML report.", valueName: "text"))
  var title: String?

  @Option(help: ArgumentHelp("Second title line of the flame graph.", valueName: "text"))
  var subtitle: String?

  @Option(help: ArgumentHelp("Flame graph width in pixels (default 1200).", valueName: "px"))
  var width: Int?

  @Option(
    help: ArgumentHelp(
      "Omit frames narrower than this, in pixels (default 0.1) or percent of the width (0.5%); the graph says how many were omitted and their weight.",
      valueName: "px|pct%"))
  var minwidth: String?

  @Flag(help: "Draw an icicle graph: root at the top, callees below.")
  var inverted = false

  func validate() throws {
    if let width, width < 100 || width > 1_000_000 {
      throw ValidationError("--width must be between 100 and 1000000 pixels.")
    }
    if let minwidth, MinWidth(parsing: minwidth) == nil {
      throw ValidationError("--minwidth expects pixels (0.1, 2px) or a percentage (0.5%), got '\(minwidth)'.")
    }
  }

  /// The graph flags the user gave, for the request's check that some output reads them.
  var given: Set<ReportRequest.Given> {
    var flags: Set<ReportRequest.Given> = []
    if title != nil { flags.insert(.title) }
    if subtitle != nil { flags.insert(.subtitle) }
    if width != nil { flags.insert(.width) }
    if minwidth != nil { flags.insert(.minwidth) }
    if inverted { flags.insert(.inverted) }
    return flags
  }

  func graphOptions(naming: FrameNaming, unit: WeightUnit) -> FlameGraphOptions {
    FlameGraphOptions(
      title: title, subtitle: subtitle, width: width ?? 1200,
      minWidth: minwidth.flatMap(MinWidth.init(parsing:)) ?? .pixels(0.1), inverted: inverted,
      countName: unit == .count ? "samples" : unit.rawValue, naming: naming)
  }

  /// Sets the request's graph fields.
  func apply(to request: inout ReportRequest, unit: WeightUnit) {
    request.graph = graphOptions(naming: request.report.naming, unit: unit)
    request.svg = svg
    request.html = html
    request.title = title
    request.given.formUnion(given)
  }
}
