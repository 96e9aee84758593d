import StackFold
import TraceParse

/// `tdptrace diff --html`: one self-contained page with both inputs' totals, the table of
/// functions whose share changed most (each name links to a search of the graph), and the
/// differential flame graph inline. Same rules as `HTMLReport`: no network, every name
/// escaped.
public struct DiffHTMLReport {
  public var graph: FlameGraphOptions
  public var table: DiffTable
  /// Page heading; nil means "tdptrace diff".
  public var title: String?
  /// The inputs as the user named them: BEFORE then AFTER.
  public var inputs: [String]

  public init(
    graph: FlameGraphOptions = FlameGraphOptions(), table: DiffTable = DiffTable(), title: String? = nil,
    inputs: [String] = []
  ) {
    self.graph = graph
    self.table = table
    self.title = title
    self.inputs = inputs
  }

  public func document(_ diff: ProfileDiff) -> String {
    var out = HTMLPage.start(title: title ?? "tdptrace diff")
    out += "<nav><a href=\"#summary\">Summary</a> · <a href=\"#changes\">Changed functions</a> · "
    out += "<a href=\"#flamegraph\">Differential flame graph</a></nav>\n"

    out += "<section id=\"summary\"><h2>Summary</h2>\n<table class=\"kv\">\n"
    for (label, path) in zip(["Before", "After"], inputs) {
      out += HTMLPage.row([label, Escaping.html(path)], header: true)
    }
    out += HTMLPage.row(
      ["Total before", diff.weightScale.format(diff.beforeTotal, grouped: true)], header: true)
    out += HTMLPage.row(
      ["Total after", diff.weightScale.format(diff.afterTotal, grouped: true)], header: true)
    out += HTMLPage.row(
      ["Deltas", diff.normalized ? "before normalized to after's total" : "raw counts"], header: true)
    out += "</table></section>\n"

    let rows = table.rows(diff)
    out += "<section id=\"changes\"><h2>Changed functions</h2>\n<table>\n"
    out +=
      "<caption>\(Escaping.html(DiffTable.caption(shown: rows.count, of: diff.functions.count)))</caption>\n<tr>"
    for (i, column) in DiffTable.header.enumerated() {
      out += i + 1 < DiffTable.header.count ? "<th class=\"n\">\(column)</th>" : "<th>\(column)</th>"
    }
    out += "</tr>\n"
    for (function, cells) in rows {
      out += "<tr>"
      for cell in cells.dropLast() { out += "<td class=\"n\">\(Escaping.html(cell))</td>" }
      out += "<td>\(Escaping.html(function.name))\(Escaping.html(DiffTable.marker(function))) "
      if function.afterTotal > 0 { out += HTMLPage.findLink(function.name) }  // only AFTER is drawn
      out += "</td></tr>\n"
    }
    if rows.isEmpty { out += "<tr><td colspan=\"\(DiffTable.header.count)\">none</td></tr>\n" }
    out += "</table></section>\n"

    out += "<section id=\"flamegraph\"><h2>Differential flame graph</h2>\n"
    out += "<p class=\"note\">Widths follow AFTER; red frames grew, blue shrank. Click to zoom, "
    out += "“Search” for a regular expression; the ⌕ links above highlight a function.</p>\n"
    out += "<div class=\"graph\">\n" + DiffFlameGraph(options: graph).document(diff, standalone: false)
    out += "</div></section>\n"
    return out + HTMLPage.end
  }
}
