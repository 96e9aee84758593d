import Foundation
import StackFold

/// The HTML page's latency chart for one probe: an inline SVG bar chart of its histogram with
/// its origin paths side by side in every bucket, each bar the share of that origin's calls in
/// the bucket (so a rare slow path is as visible as a common fast one). Every text is escaped
/// with `Escaping.xml`; nothing in the chart comes from the input unescaped.
struct LatencyChartSVG {
  static let palette = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f",
  ]
  var height = 180
  var barWidth = 6

  /// One histogram of a chart and its legend.
  struct Series {
    var label: String
    var histogram: LatencyHistogram
    /// Set where one name keeps its color across charts; nil: the palette in chart order.
    var color: String? = nil
  }

  func render(_ probe: LatencySummary.ProbeRow) -> String {
    render(
      probe.origins.map { Series(label: $0.label, histogram: $0.histogram) },
      nanosecondsPerUnit: probe.nanosecondsPerUnit, name: "latency of " + probe.probe + " by origin")
  }

  /// The chart of `series` side by side in every bucket; `name` is its accessible label.
  func render(_ origins: [Series], nanosecondsPerUnit: Double, name: String) -> String {
    struct Edge: Hashable {
      var lower: Double
      var upper: Double
    }
    var edgeSet: Set<Edge> = []
    for origin in origins {
      for b in origin.histogram.buckets { edgeSet.insert(Edge(lower: b.lower, upper: b.upper)) }
    }
    let edges = edgeSet.sorted { (a: Edge, b: Edge) -> Bool in
      a.lower != b.lower ? a.lower < b.lower : a.upper < b.upper
    }
    let group = max(1, origins.count) * barWidth + 4
    let left = 40
    let plotHeight = height - 40
    let width = left + edges.count * group + 10
    var shares: [[Double]] = []
    var top = 0.0
    for origin in origins {
      var byEdge: [Edge: UInt64] = [:]
      for b in origin.histogram.buckets { byEdge[Edge(lower: b.lower, upper: b.upper)] = b.count }
      let n = Double(max(1, origin.histogram.count))
      let row = edges.map { Double(byEdge[$0] ?? 0) / n }
      top = max(top, row.max() ?? 0)
      shares.append(row)
    }
    top = max(top, 1e-9)
    var out =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"latency\" width=\"\(width)\" height=\"\(height)\""
    out += " role=\"img\" aria-label=\"" + Escaping.xml(name) + "\">\n"
    out +=
      "<line x1=\"\(left)\" y1=\"\(plotHeight)\" x2=\"\(width - 5)\" y2=\"\(plotHeight)\" stroke=\"#888\"/>\n"
    out += "<text x=\"2\" y=\"12\" font-size=\"10\">\(String(format: "%.0f%%", top * 100))</text>\n"
    for (i, edge) in edges.enumerated() {
      let x0 = left + i * group
      for (o, row) in shares.enumerated() where row[i] > 0 {
        let h = max(1, Int((row[i] / top * Double(plotHeight - 10)).rounded()))
        let color = origins[o].color ?? Self.palette[o % Self.palette.count]
        let range = Durations.range(
          edge.lower * nanosecondsPerUnit, edge.upper * nanosecondsPerUnit)
        let tip: String =
          origins[o].label + ": " + range + String(format: ", %.1f%% of its calls", row[i] * 100)
        out +=
          "<rect x=\"\(x0 + o * barWidth)\" y=\"\(plotHeight - h)\" width=\"\(barWidth - 1)\" height=\"\(h)\""
        out += " fill=\"\(color)\"><title>\(Escaping.xml(tip))</title></rect>\n"
      }
      if i % max(1, edges.count / 8) == 0 {
        out += "<text x=\"\(x0)\" y=\"\(plotHeight + 12)\" font-size=\"9\">"
        out += Escaping.xml(Durations.text(edge.lower * nanosecondsPerUnit)) + "</text>\n"
      }
    }
    for (o, origin) in origins.enumerated() {
      let y = plotHeight + 26
      let x = left + (o % 4) * 180
      out += "<rect x=\"\(x)\" y=\"\(y - 8 + (o / 4) * 12)\" width=\"8\" height=\"8\""
      out += " fill=\"\(origins[o].color ?? Self.palette[o % Self.palette.count])\"/>"
      out += "<text x=\"\(x + 11)\" y=\"\(y + (o / 4) * 12)\" font-size=\"10\">"
      out += Escaping.xml(origin.label + " (\(origin.histogram.count))") + "</text>\n"
    }
    return out + "</svg>\n"
  }
}
