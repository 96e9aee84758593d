import StackFold
import TraceParse

/// The HTML page's chart over time for an interval capture: one stacked bar per block, one
/// band per `IntervalSeries` row (TDP MMU group, or probe outside the table), heaviest at the
/// bottom, with a legend, the blocks' times (or indices) under them and the weight up the side.
/// Each block also has a transparent column over its bar (`iv-hit`, `data-block` = its position
/// in `Profile.intervals`) that `IntervalRangeScript` selects by. Every name is escaped.
struct IntervalChartSVG {
  var width = 1200
  var plotHeight = 160
  var fontSize = 11
  /// What the weights count (`samples`), for the tooltips.
  var countName = "samples"

  static let left = 70
  static let right = 10
  static let top = 10

  /// The color of the row at `position`: the latency chart's palette, then colors by name.
  static func color(_ row: IntervalSeries.Row, position: Int) -> String {
    position < LatencyChartSVG.palette.count
      ? LatencyChartSVG.palette[position]
      : FlameGraphPalette.color(name: row.name, category: row.isGroup ? .kvm : .kernel)
  }

  /// How a row is named in the legend and tooltips.
  static func label(_ row: IntervalSeries.Row) -> String { row.isGroup ? "group " + row.name : row.name }

  /// `07:59:41`, or `#4` for a block without a `time()` header (bpftrace's exit print).
  static func blockLabel(_ mark: IntervalMark) -> String { mark.time ?? "#\(mark.index)" }

  func render(_ series: IntervalSeries) -> String {
    let scale = series.weightScale
    let count = series.blocks.count
    let plotWidth = Double(max(width - Self.left - Self.right, 10))
    let slot = plotWidth / Double(max(count, 1))
    let bar = slot >= 3 ? slot * 0.8 : slot
    var blockTotals = [UInt64](repeating: 0, count: count)
    for row in series.rows {
      for (b, w) in row.weights.enumerated() where b < count { blockTotals[b] &+= w }
    }
    let peak = blockTotals.max() ?? 0
    let baseline = Self.top + plotHeight
    let legendTop = baseline + fontSize * 2 + 10
    var legend: [(x: Int, y: Int, row: Int)] = []
    var lx = Self.left
    var ly = legendTop
    for (i, row) in series.rows.enumerated() {
      let text = Self.label(row) + ": " + scale.format(row.total, grouped: true)
      let itemWidth = fontSize + 18 + Int(Double(text.count * fontSize) * 0.62)
      if lx + itemWidth > width && lx > Self.left {
        lx = Self.left
        ly += fontSize + 6
      }
      legend.append((lx, ly, i))
      lx += itemWidth
    }
    let height = (legend.last?.y ?? legendTop) + fontSize
    var out =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"iv-chart\" width=\"\(width)\" height=\"\(height)\""
    out += " viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"weight per interval block\""
    out += " font-family=\"Verdana, 'DejaVu Sans', sans-serif\" font-size=\"\(fontSize)\">\n"
    // Weight axis: 0, half and the busiest block.
    for (value, y) in [
      (0, Double(baseline)), (peak / 2, Double(baseline) - Double(plotHeight) / 2),
      (peak, Double(Self.top)),
    ] {
      out += "<line x1=\"\(Self.left)\" y1=\"\(FlameGraphNumbers.fixed2(y))\" x2=\"\(width - Self.right)\""
      out += " y2=\"\(FlameGraphNumbers.fixed2(y))\" stroke=\"#ddd\"/>"
      out += "<text x=\"\(Self.left - 4)\" y=\"\(FlameGraphNumbers.fixed2(y + 4))\" text-anchor=\"end\">"
      out += scale.format(value, grouped: true) + "</text>\n"
    }
    out += "<g class=\"iv-bars\">\n"
    for b in 0..<count where blockTotals[b] > 0 {
      let x = Double(Self.left) + Double(b) * slot + (slot - bar) / 2
      var y = Double(baseline)
      for (i, row) in series.rows.enumerated() where row.weights[b] > 0 {
        let h = Double(row.weights[b]) / Double(peak) * Double(plotHeight)
        y -= h
        out += "<rect x=\"\(FlameGraphNumbers.fixed2(x))\" y=\"\(FlameGraphNumbers.fixed2(y))\""
        out += " width=\"\(FlameGraphNumbers.fixed2(bar))\" height=\"\(FlameGraphNumbers.fixed2(h))\""
        out += " fill=\"\(Self.color(row, position: i))\"/>"
      }
      out += "\n"
    }
    out += "</g>\n"
    // Block labels, as many as fit side by side.
    let labelWidth = Double(fontSize) * 0.62 * 9
    let every = max(1, Int((labelWidth / slot).rounded(.up)))
    for b in stride(from: 0, to: count, by: every) {
      let x = Double(Self.left) + (Double(b) + 0.5) * slot
      out +=
        "<text x=\"\(FlameGraphNumbers.fixed2(x))\" y=\"\(baseline + fontSize + 3)\" text-anchor=\"middle\">"
      out += Escaping.xml(Self.blockLabel(series.blocks[b])) + "</text>\n"
    }
    out +=
      "<rect class=\"iv-sel\" x=\"\(Self.left)\" y=\"\(Self.top)\" width=\"0\" height=\"\(plotHeight)\""
    out += " fill=\"rgb(0,90,200)\" fill-opacity=\"0.18\" stroke=\"rgb(0,90,200)\" visibility=\"hidden\""
    out += " pointer-events=\"none\"/>\n"
    out += "<g class=\"iv-hits\">\n"
    for b in 0..<count {
      let mark = series.blocks[b]
      var tip =
        "block \(mark.index)" + (mark.time.map { ", " + $0 } ?? " (no time() header)") + ": "
        + scale.format(blockTotals[b], grouped: true) + " " + countName
      for row in series.rows where row.weights[b] > 0 {
        tip += "\n" + Self.label(row) + ": " + scale.format(row.weights[b], grouped: true)
      }
      out +=
        "<rect class=\"iv-hit\" data-block=\"\(b)\" x=\"\(FlameGraphNumbers.fixed2(Double(Self.left) + Double(b) * slot))\""
      out += " y=\"\(Self.top)\" width=\"\(FlameGraphNumbers.fixed2(slot))\" height=\"\(plotHeight)\""
      out += " fill=\"#000\" fill-opacity=\"0\"><title>\(Escaping.xml(tip))</title></rect>\n"
    }
    out += "</g>\n<g class=\"iv-legend\">"
    for item in legend {
      let row = series.rows[item.row]
      out +=
        "<rect x=\"\(item.x)\" y=\"\(item.y - fontSize + 2)\" width=\"\(fontSize)\" height=\"\(fontSize)\""
      out += " fill=\"\(Self.color(row, position: item.row))\"/>"
      out += "<text x=\"\(item.x + fontSize + 4)\" y=\"\(item.y)\">"
      out += Escaping.xml(Self.label(row) + ": " + scale.format(row.total, grouped: true)) + "</text>"
    }
    return out + "</g>\n</svg>\n"
  }
}
