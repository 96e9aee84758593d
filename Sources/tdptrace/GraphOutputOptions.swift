import ArgumentParser
import Foundation
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

  @Option(help: ArgumentHelp("Flame graph width in pixels.", valueName: "px"))
  var width = 1200

  @Option(
    help: ArgumentHelp(
      "Omit frames narrower than this, in pixels (0.1) or percent of the width (0.5%); the graph says how many were omitted and their weight.",
      valueName: "px|pct%"))
  var minwidth = "0.1"

  @Flag(help: "Draw an icicle graph: root at the top, callees below.")
  var inverted = false

  func validate() throws {
    if width < 100 || width > 1_000_000 {
      throw ValidationError("--width must be between 100 and 1000000 pixels.")
    }
    if MinWidth(parsing: minwidth) == nil {
      throw ValidationError("--minwidth expects pixels (0.1, 2px) or a percentage (0.5%), got '\(minwidth)'.")
    }
    if svg == "-" && html == "-" {
      throw ValidationError("Only one of --svg and --html can write to stdout ('-').")
    }
  }

  /// Whether any graph output was asked for.
  var any: Bool { svg != nil || html != nil }
  /// Whether a graph goes to stdout, in place of the text report.
  var usesStdout: Bool { svg == "-" || html == "-" }

  func graphOptions(naming: FrameNaming, unit: WeightUnit) -> FlameGraphOptions {
    FlameGraphOptions(
      title: title, subtitle: subtitle, width: width, minWidth: MinWidth(parsing: minwidth) ?? .pixels(0.1),
      inverted: inverted, countName: unit == .count ? "samples" : unit.rawValue, naming: naming)
  }

  /// Writes the SVG and HTML outputs asked for.
  func write(_ profile: Profile, report: ReportOptions) throws {
    let graph = graphOptions(naming: report.naming, unit: profile.unit)
    if let svg {
      try Self.write(Array(FlameGraphSVG(options: graph).document(profile, standalone: true).utf8), to: svg)
    }
    if let html {
      let page: String
      do { page = try HTMLReport(report: report, graph: graph, title: title).document(profile) } catch {
        throw CommandSupport.failure(error.description)
      }
      try Self.write(Array(page.utf8), to: html)
    }
  }

  /// Writes `bytes` to `path` (`-` is stdout) through a temporary file, so a failed run never
  /// leaves half a file behind.
  static func write(_ bytes: [UInt8], to path: String) throws {
    if path == "-" {
      try CommandSupport.writeOutput(bytes)
      return
    }
    do {
      try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw CommandSupport.failure("cannot write \(path): \((error as NSError).localizedDescription)")
    }
  }
}
