import StackFold
import TraceParse

/// An interactive, self-contained flame graph (or icicle graph) in SVG, in the manner of
/// flamegraph.pl and inferno: click a frame to zoom, "Reset Zoom", "Search" (regular
/// expression) highlighting matches with their share, tooltips with count and percent, colors
/// by frame category (see `FlameGraphPalette`). Frames narrower than `minWidth` are pruned and
/// the subtitle says how many and what they weighed, so no weight disappears unannounced.
public struct FlameGraphSVG: Renderer {
  public var options: FlameGraphOptions

  public init(options: FlameGraphOptions = FlameGraphOptions()) { self.options = options }

  public func render(_ profile: Profile) throws -> [UInt8] {
    Array(document(profile, standalone: true).utf8)
  }

  /// The SVG as text. `standalone: false` leaves out the XML prolog, for inlining in HTML.
  public func document(_ profile: Profile, standalone: Bool) -> String {
    documentAndPalette(profile, standalone: standalone).svg
  }

  /// The SVG and, with `--cp` (`options.paletteMap`), the palette map with every color the
  /// graph used, for the caller to write back to `palette.map`.
  public func documentAndPalette(_ profile: Profile, standalone: Bool = true) -> (
    svg: String, palette: PaletteMap?
  ) {
    let drawn = draw(profile, standalone: standalone, exposingConfig: false)
    return (drawn.svg, drawn.palette)
  }

  /// A graph as drawn, for the HTML page's range selection: the SVG, the tree it shows, the
  /// tree node of each frame in document order, and the profile the tree is of (reversed
  /// under `--reverse`).
  struct Drawn {
    var svg: String
    var palette: PaletteMap?
    var tree: CallTree
    var frames: [Int]
    var profile: Profile
  }

  /// The graph inlined in HTML with `tdpflame.cfg` exposed (`FlameGraphScript.script(exposingConfig:)`).
  func drawnForRanges(_ profile: Profile) -> Drawn {
    draw(profile, standalone: false, exposingConfig: true)
  }

  private func draw(_ profile: Profile, standalone: Bool, exposingConfig: Bool) -> Drawn {
    // Reversing keeps every sum (the same samples, reordered frames): it cannot overflow.
    let profile = options.reverse ? ((try? StackReversal.reversed(profile)) ?? profile) : profile
    let tree =
      options.flameChart
      ? CallTree.flameChart(profile: profile, naming: options.naming)
      : CallTree(profile: profile, naming: options.naming)
    let categories = FlameGraphPalette.categories([profile], naming: options.naming)
    var notes: [String] = []
    let scale = profile.weightScale
    if profile.skipped.records > 0 {
      notes.append(
        "\(FlameGraphNumbers.grouped(UInt64(profile.skipped.records))) records skipped (weight \(scale.format(profile.skipped.weight, grouped: true)))"
      )
    }
    let countName = options.countName
    let total = max(tree.totalWeight, options.totalWeight ?? 0)
    let defaultTitle = options.flameChart ? "Flame Chart" : options.inverted ? "Icicle Graph" : "Flame Graph"
    var writer = FlameGraphWriter(options: options, defaultTitle: defaultTitle, notes: notes)
    writer.scale = scale
    writer.exposesConfig = exposingConfig
    var palette = options.paletteMap
    if let colors = options.colors {
      writer.legend = []
      writer.background = options.background ?? colors.background
    } else if let background = options.background {
      writer.background = background
    }
    let (svg, boxes) = writer.writeLaidOut(
      tree: tree, standalone: standalone,
      category: { index, depth in
        depth == 0
          ? .synthetic : (categories[tree.nodes[index].name] ?? Self.fallbackCategory(tree.nodes[index]))
      },
      fill: { index, category in
        let node = tree.nodes[index]
        guard let colors = options.colors else {
          return FlameGraphPalette.color(name: node.name, category: category)
        }
        // flamegraph.pl colors the name as the input wrote it, annotation included; its root
        // is the empty name.
        let name = index == 0 ? "" : node.name + (FrameAnnotations.all.suffix(node.kind) ?? "")
        if name == "--" { return "rgb(160,160,160)" }
        if name == "-" { return "rgb(200,200,200)" }
        if palette != nil {
          return palette!.color(name) { colors.color(name: name, hash: options.hashColors) }
        }
        return colors.color(name: name, hash: options.hashColors)
      },
      tooltip: { index in
        let w = tree.nodes[index].totalWeight
        return
          " (\(FlameGraphNumbers.count(w, scale: scale, factor: options.factor)) \(countName), \(FlameGraphNumbers.percent(w, of: total))%)"
      })
    return Drawn(svg: svg, palette: palette, tree: tree, frames: boxes.map(\.node), profile: profile)
  }

  /// Names not among the profile's frames are the synthetic source roots (map or probe).
  static func fallbackCategory(_ node: CallTree.Node) -> FrameCategory { .synthetic }
}

/// Writes the SVG of a laid-out call tree; shared by the flame graph and the differential
/// flame graph, which differ only in fill colors and tooltips.
struct FlameGraphWriter {
  var options: FlameGraphOptions
  var defaultTitle: String
  /// Extra lines under the title (skipped records, normalization).
  var notes: [String]
  var legend: [(String, String)]? = nil
  var background: (String, String) = ("#eeeeee", "#eeeeb0")
  /// How weights print (pruned weight in the subtitle).
  var scale = WeightScale.integer
  /// Whether the script exposes `tdpflame.cfg` (interval pages only).
  var exposesConfig = false

  static let xpad = 10
  static let matchColor = "rgb(230,0,230)"

  func write(
    tree: CallTree, standalone: Bool, category: (Int, Int) -> FrameCategory,
    fill: (Int, FrameCategory) -> String, tooltip: (Int) -> String
  ) -> String {
    writeLaidOut(tree: tree, standalone: standalone, category: category, fill: fill, tooltip: tooltip).svg
  }

  /// The SVG and the frames drawn, in document order.
  func writeLaidOut(
    tree: CallTree, standalone: Bool, category: (Int, Int) -> FrameCategory,
    fill: (Int, FrameCategory) -> String, tooltip: (Int) -> String
  ) -> (svg: String, boxes: [FlameGraphLayout.Box]) {
    let width = max(options.width, 2 * Self.xpad + 10)
    let plotWidth = Double(width - 2 * Self.xpad)
    let fontSize = options.fontSize
    let fh = options.frameHeight
    // flamegraph.pl's --total widens the plot beyond the samples' total.
    let total = max(tree.totalWeight, options.totalWeight ?? 0)
    let layout = FlameGraphLayout(
      tree: tree, plotWidth: plotWidth, minPixels: options.minWidth.pixels(plotWidth: plotWidth),
      inSequence: options.flameChart, width: total)

    var subtitles: [String] = []
    if let subtitle = options.subtitle, !subtitle.isEmpty { subtitles.append(subtitle) }
    subtitles.append(contentsOf: notes)
    if layout.prunedFrames > 0 {
      subtitles.append(
        "\(FlameGraphNumbers.grouped(UInt64(layout.prunedFrames))) frames narrower than \(options.minWidth) not shown (\(scale.format(layout.prunedWeight, grouped: true)) \(options.countName), \(FlameGraphNumbers.percent(layout.prunedWeight, of: total))%)"
      )
    }
    if tree.totalWeight == 0 { subtitles.append("No samples") }

    // Used categories, in legend order, for the legend row.
    var used = Set<FrameCategory>()
    var boxCategories: [FrameCategory] = []
    boxCategories.reserveCapacity(layout.boxes.count)
    for box in layout.boxes {
      let c = category(box.node, box.depth)
      boxCategories.append(c)
      used.insert(c)
    }
    let legendItems: [(String, String)] =
      legend
      ?? FlameGraphPalette.legend.filter { used.contains($0.0) }.map {
        (FlameGraphPalette.color(name: "legend", category: $0.0), $0.1)
      }

    let top = fontSize * 3 + subtitles.count * (fontSize + 5)
    let bottomPad = fontSize * 2 + 10 + (legendItems.isEmpty ? 0 : fontSize + 8)
    let depthCount = tree.totalWeight == 0 ? 0 : layout.maxDepth + 1
    let height = top + depthCount * fh + bottomPad
    let bottom = height - bottomPad
    let title = options.title ?? defaultTitle

    var out = ""
    out.reserveCapacity(4096 + layout.boxes.count * 220)
    if standalone {
      out += "<?xml version=\"1.0\" standalone=\"no\"?>\n"
    }
    var cfg =
      "{\"plotWidth\":\(Int(plotWidth)),\"xpad\":\(Self.xpad),\"fh\":\(fh),\"fontSize\":\(fontSize),\"inverted\":\(options.inverted),\"top\":\(top),\"bottom\":\(bottom),\"total\":\(total),\"matchColor\":\"\(Self.matchColor)\""
    // Only options the user changed are added, so a default graph's bytes stay as they were.
    if options.nameType != "Function:" { cfg += ",\"nameType\":" + Self.jsonString(options.nameType + " ") }
    if options.fontWidth != 0.59 { cfg += ",\"fontWidth\":\(options.fontWidth)" }
    cfg += "}"
    out +=
      "<svg version=\"1.1\" class=\"fg-root\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\""
    out += " xmlns=\"http://www.w3.org/2000/svg\" data-fg=\"\(Escaping.xml(cfg))\">\n"
    out += "<defs><linearGradient id=\"fg-background\" y1=\"0\" y2=\"1\" x1=\"0\" x2=\"0\">"
    out +=
      "<stop stop-color=\"\(background.0)\" offset=\"5%\"/><stop stop-color=\"\(background.1)\" offset=\"95%\"/>"
    out += "</linearGradient></defs>\n"
    out += "<style type=\"text/css\"><![CDATA[\n\(FlameGraphScript.style)\n"
    if options.fontType != "Verdana" || options.fontSize != 12 {
      // --fonttype/--fontsize: after the default rule, so it wins. A font name cannot end the
      // CDATA section or the rule: it is quoted with its quotes and angle brackets removed.
      let family = options.fontType.filter { !"\"'<>;{}\\]".contains($0) }
      out += ".fg-root text { font-family: \"\(family)\"; font-size: \(fontSize)px; }\n"
      out += ".fg-root .fg-title { font-size: \(fontSize + 5)px; }\n"
    }
    out += "]]></style>\n"
    if let notes = options.notes {
      // --notes: a comment, as flamegraph.pl writes it; "--" cannot appear inside one.
      out += "<!-- NOTES: \(Self.commentSafe(Escaping.xml(notes))) -->\n"
    }
    out += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"url(#fg-background)\"/>\n"
    out += "<text class=\"fg-title\" x=\"\(width / 2)\" y=\"\(fontSize * 2)\">\(Escaping.xml(title))</text>\n"
    for (i, line) in subtitles.enumerated() {
      out += "<text class=\"fg-subtitle\" x=\"\(width / 2)\" y=\"\(fontSize * 3 + i * (fontSize + 5) + 4)\">"
      out += Escaping.xml(line) + "</text>\n"
    }
    out +=
      "<text class=\"fg-unzoom fg-button fg-hide\" x=\"\(Self.xpad)\" y=\"\(fontSize * 2)\">Reset Zoom</text>\n"
    out +=
      "<text class=\"fg-searchbtn fg-button\" x=\"\(width - Self.xpad)\" y=\"\(fontSize * 2)\">Search</text>\n"
    let detailsY = bottom + fontSize + 8
    out += "<text class=\"fg-details\" x=\"\(Self.xpad)\" y=\"\(detailsY)\"> </text>\n"
    out += "<text class=\"fg-matched\" x=\"\(width - Self.xpad)\" y=\"\(detailsY)\"> </text>\n"
    if !legendItems.isEmpty {
      var lx = Self.xpad
      let ly = detailsY + fontSize + 6
      out += "<g class=\"fg-legend\">"
      for (color, text) in legendItems {
        out +=
          "<rect x=\"\(lx)\" y=\"\(ly - fontSize + 2)\" width=\"\(fontSize)\" height=\"\(fontSize)\" fill=\"\(color)\"/>"
        out += "<text x=\"\(lx + fontSize + 4)\" y=\"\(ly)\">\(Escaping.xml(text))</text>"
        lx += fontSize + 14 + Int(Double(text.count * fontSize) * 0.62)
      }
      out += "</g>\n"
    }

    out += "<g class=\"fg-frames\">\n"
    if total > 0 {
      let scale = plotWidth / Double(total)
      let charWidth = Double(fontSize) * options.fontWidth
      let rectHeight = String(fh - 1)
      for (i, box) in layout.boxes.enumerated() {
        let node = tree.nodes[box.node]
        let x = Double(Self.xpad) + Double(box.start) * scale
        let w = Double(node.totalWeight) * scale
        let y = options.inverted ? top + box.depth * fh : bottom - (box.depth + 1) * fh
        let textY = Double(y) + Double(fh - 1) / 2 + 3
        // --nameattr: a function's own title, link, class and id (values escaped).
        let attributes = box.depth == 0 ? nil : options.nameAttributes[node.name]
        out += "<g"
        if let id = attributes?["id"] { out += " id=\"\(Escaping.xml(id))\"" }
        if let c = attributes?["class"] { out += " class=\"\(Escaping.xml(c))\"" }
        out += "><title>"
        if let title = attributes?["title"] {
          Escaping.appendXML(title, to: &out)
        } else {
          Escaping.appendXML(node.name, to: &out)
          out += Escaping.xml(tooltip(box.node))
        }
        out += "</title>"
        if let href = attributes?["href"] {
          out +=
            "<a href=\"\(Escaping.xml(href))\" target=\"\(Escaping.xml(attributes?["target"] ?? "_top"))\">"
        }
        out += "<rect x=\""
        out += FlameGraphNumbers.fixed2(x)
        out += "\" y=\"\(y)\" width=\""
        out += FlameGraphNumbers.fixed2(w)
        out += "\" height=\""
        out += rectHeight
        out += "\" fill=\""
        out += fill(box.node, boxCategories[i])
        out += "\" rx=\"2\" ry=\"2\" data-x=\"\(box.start)\" data-w=\"\(node.totalWeight)\"/><text x=\""
        out += FlameGraphNumbers.fixed2(x + 3)
        out += "\" y=\""
        out += FlameGraphNumbers.fixed2(textY)
        out += "\">"
        Escaping.appendXML(Self.label(node.name, chars: Int(w / charWidth)), to: &out)
        out += "</text>"
        if attributes?["href"] != nil { out += "</a>" }
        out += "</g>\n"
      }
    }
    out += "</g>\n"
    // The script comes last so the frames above exist when it runs, with or without a load
    // event (an SVG inlined in HTML gets none).
    let script = exposesConfig ? FlameGraphScript.script(exposingConfig: true) : FlameGraphScript.script
    out += "<script type=\"text/ecmascript\"><![CDATA[\n\(script)\n]]></script>\n"
    out += "</svg>\n"
    return (out, layout.boxes)
  }

  static func jsonString(_ text: String) -> String {
    var bytes: [UInt8] = []
    JSONValue.writeString(text, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// `text` with no `--` (which would end an XML comment early).
  static func commentSafe(_ text: String) -> String {
    var out = ""
    for c in text {
      if c == "-" && out.hasSuffix("-") { out += " " }
      out.append(c)
    }
    return out
  }

  /// The text that fits in a frame `chars` characters wide, cut with `..` as flamegraph.pl does.
  static func label(_ name: String, chars: Int) -> String {
    if chars < 3 { return "" }
    var count = 0
    var end = name.startIndex
    while end != name.endIndex {
      count += 1
      if count > chars { return String(name[..<name.index(name.startIndex, offsetBy: chars - 2)]) + ".." }
      end = name.index(after: end)
    }
    return name
  }
}
