import ArgumentParser
import Render
import StackFold
import TraceParse

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension FlameGraphColors: ExpressibleByArgument {}

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

  @Flag(help: "Draw an icicle graph: root at the top, callees below (flamegraph.pl --inverted).")
  var inverted = false

  // flamegraph.pl's options, same names and meanings (docs/flamegraph-compat.md).

  @Option(
    help: ArgumentHelp(
      "flamegraph.pl palette: hot, mem, io, wakeup, chain, java, js, perl, red, green, blue, aqua, yellow, purple, orange (default: colors by frame category: kernel, KVM, module, user, JIT, inlined).",
      valueName: "palette"))
  var colors: FlameGraphColors?

  @Flag(help: "With --colors, colors keyed by the function name's characters (flamegraph.pl --hash).")
  var hash = false

  @Flag(
    help:
      "Consistent palette: read colors from palette.map in the working directory and write them back (flamegraph.pl --cp; implies --colors hot unless --colors is given)."
  )
  var cp = false

  @Flag(help: "Reverse every stack (leaf first), merging by the sampled function (flamegraph.pl --reverse).")
  var reverse = false

  @Flag(
    help:
      "Draw a flame chart: stacks in input order along x, merged only with the one before (flamegraph.pl --flamechart)."
  )
  var flamechart = false

  @Flag(help: "Differential graphs: swap red and blue (flamegraph.pl --negate).")
  var negate = false

  @Option(help: ArgumentHelp("Multiply counts in tooltips by this (flamegraph.pl --factor).", valueName: "n"))
  var factor: Double?

  @Option(
    help: ArgumentHelp(
      "What the counts are, in tooltips (default 'samples', or the unit).", valueName: "text"))
  var countname: String?

  @Option(
    help: ArgumentHelp(
      "Prefix of the details line (flamegraph.pl --nametype, 'Function:').", valueName: "text"))
  var nametype: String?

  @Option(help: ArgumentHelp("Font family (default Verdana).", valueName: "font"))
  var fonttype: String?

  @Option(help: ArgumentHelp("Font size in pixels (default 12).", valueName: "n"))
  var fontsize: Double?

  @Option(
    help: ArgumentHelp(
      "Average character width as a fraction of the font size (default 0.59).", valueName: "n"))
  var fontwidth: Double?

  @Option(
    help: ArgumentHelp(
      "Height of each frame in pixels (default 16; flamegraph.pl --height).", valueName: "px"))
  var height: Int?

  @Option(
    help: ArgumentHelp(
      "File of per-function attributes: name, TAB, then TAB-separated title=, href=, target=, class=, id= (flamegraph.pl --nameattr).",
      valueName: "file"))
  var nameattr: String?

  @Option(
    help: ArgumentHelp(
      "Background: yellow, blue, green, grey, or a flat #rrggbb (default: the palette's).", valueName: "color"
    ))
  var bgcolors: String?

  @Option(
    help: ArgumentHelp(
      "Width of the graph in count units, when larger than the total (flamegraph.pl --total).", valueName: "n"
    ))
  var total: Double?

  @Option(help: ArgumentHelp("A comment put in the SVG (flamegraph.pl --notes).", valueName: "text"))
  var notes: String?

  func validate() throws {
    if let width, width < 100 || width > 1_000_000 {
      throw ValidationError("--width must be between 100 and 1000000 pixels.")
    }
    if let minwidth, MinWidth(parsing: minwidth) == nil {
      throw ValidationError("--minwidth expects pixels (0.1, 2px) or a percentage (0.5%), got '\(minwidth)'.")
    }
    if let factor, !(factor.isFinite && factor > 0) {
      throw ValidationError("--factor must be a positive number.")
    }
    if let fontsize, !(fontsize >= 1 && fontsize <= 200) {
      throw ValidationError("--fontsize must be between 1 and 200 pixels.")
    }
    if let fontwidth, !(fontwidth > 0 && fontwidth <= 5) {
      throw ValidationError("--fontwidth must be in (0, 5].")
    }
    if let height, height < 2 || height > 1000 {
      throw ValidationError("--height must be between 2 and 1000 pixels.")
    }
    if let bgcolors, Self.background(bgcolors) == nil {
      throw ValidationError("--bgcolors expects yellow, blue, green, grey or #rrggbb, got '\(bgcolors)'.")
    }
    if let total, !(total.isFinite && total >= 0) { throw ValidationError("--total must be 0 or more.") }
  }

  /// flamegraph.pl's `--bgcolors` names and flat `#rrggbb`.
  static func background(_ text: String) -> (String, String)? {
    switch text {
    case "yellow": return ("#eeeeee", "#eeeeb0")
    case "blue": return ("#eeeeee", "#e0e0ff")
    case "green": return ("#eef2ee", "#e0ffe0")
    case "grey", "gray": return ("#f8f8f8", "#e8e8e8")
    default:
      let hex = text.utf8.dropFirst()
      guard text.hasPrefix("#"), hex.count == 6,
        hex.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) })
      else { return nil }
      return (text, text)
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
    let more: [(Bool, ReportRequest.Given)] = [
      (colors != nil, .colors), (hash, .hash), (cp, .cp), (reverse, .reverse), (flamechart, .flamechart),
      (negate, .negate), (factor != nil, .factor), (countname != nil, .countname),
      (nametype != nil, .nametype),
      (fonttype != nil, .fonttype), (fontsize != nil, .fontsize), (fontwidth != nil, .fontwidth),
      (height != nil, .height), (nameattr != nil, .nameattr), (bgcolors != nil, .bgcolors),
      (total != nil, .total), (notes != nil, .notes),
    ]
    for (isGiven, flag) in more where isGiven { flags.insert(flag) }
    return flags
  }

  /// The graph options, without the files `--nameattr` and `--cp` read (see `loadFiles`).
  func graphOptions(naming: FrameNaming, unit: WeightUnit, scale: WeightScale = .integer) -> FlameGraphOptions
  {
    var options = FlameGraphOptions(
      title: title, subtitle: subtitle, width: width ?? 1200,
      minWidth: minwidth.flatMap(MinWidth.init(parsing:)) ?? .pixels(0.1), inverted: inverted,
      frameHeight: height ?? 16, fontSize: fontsize.map { Int($0.rounded()) } ?? 12,
      countName: countname ?? (unit == .count ? "samples" : unit.rawValue), naming: naming)
    options.colors = colors ?? (cp ? .hot : nil)
    options.hashColors = hash
    options.reverse = reverse
    options.flameChart = flamechart
    options.negate = negate
    options.factor = factor ?? 1
    if let nametype { options.nameType = nametype }
    if let fonttype { options.fontType = fonttype }
    if let fontwidth { options.fontWidth = fontwidth }
    options.background = bgcolors.flatMap(Self.background)
    // --total is in count units; the graph works in weights at the profile's scale.
    if let total { options.totalWeight = UInt64(min(total * Double(scale.unit), 0x1p63)) }
    options.notes = notes
    if cp { options.paletteMap = PaletteMap() }
    return options
  }

  /// Reads `--nameattr` and, with `--cp`, an existing `palette.map` into `options`.
  func loadFiles(into options: inout FlameGraphOptions) throws {
    if let nameattr {
      let text = try CommandSupport.readTextFile(nameattr, what: "--nameattr")
      do { options.nameAttributes = try NameAttributes(parsing: text, file: nameattr) } catch {
        throw CommandSupport.failure(error.description)
      }
    }
    // flamegraph.pl starts a palette when there is none yet.
    if cp, access(PaletteMap.defaultPath, F_OK) == 0 {
      let text = try CommandSupport.readTextFile(PaletteMap.defaultPath, what: "--cp")
      options.paletteMap = PaletteMap(parsing: text)
    }
  }

  /// Sets the request's graph fields.
  func apply(to request: inout ReportRequest, unit: WeightUnit, scale: WeightScale = .integer) {
    request.graph = graphOptions(naming: request.report.naming, unit: unit, scale: scale)
    request.svg = svg
    request.html = html
    request.title = title
    request.given.formUnion(given)
  }
}
