import StackFold
import TraceParse

/// The HTML report's "Over time" section for an interval capture: a stacked bar chart, one bar
/// per block and one band per probe group (`IntervalSeries`), and below it the flame graph and
/// tables of the selected range of blocks, drawn in the page from each call-tree node's weight
/// per block (`IntervalTree`). Click a bar for one block, drag across bars for a range,
/// "Whole capture" to go back. Names reach the page only as JSON strings (`Escaping.json`
/// escapes `<`, so no name can close the script) and are shown through `textContent`.
struct IntervalChartHTML {
  var series: IntervalSeries
  var tree: IntervalTree

  static let chartWidth = 900.0
  static let chartHeight = 160.0
  static let palette = [
    "#d9534f", "#f0ad4e", "#5bc0de", "#5cb85c", "#9b59b6", "#34495e", "#e67e22", "#95a5a6",
  ]

  /// Why the section cannot be drawn, or nil: the browser's numbers are exact only below 2^53.
  static func limit(_ profile: Profile) -> String? {
    if profile.weightScale != .integer { return "weights with fractions are not charted" }
    if profile.totalWeight >= 1 << 53 { return "weights of 2^53 or more are not exact in the browser" }
    return nil
  }

  func render() -> String {
    let blocks = series.blocks.count
    // The section's own style, so pages without intervals stay as they were.
    var out = "<section id=\"overtime\"><h2>Over time</h2>\n<style>\(Self.style)</style>\n"
    out +=
      "<p class=\"note\">\(blocks) blocks, read as \(series.mode.map { $0 == .cumulative ? "running totals (shown as differences)" : "deltas" } ?? "deltas"). "
    out +=
      "Click a bar for one block, drag across bars for a range; the flame graph and tables below show that range only.</p>\n"
    out += "<p class=\"legend\">"
    for (i, row) in series.rows.enumerated() {
      out +=
        "<span class=\"iv-key\" style=\"background:\(Self.palette[i % Self.palette.count])\"></span> \(Escaping.html(row.name)) "
    }
    out += "</p>\n"
    out += chart()
    out +=
      "<p><button type=\"button\" id=\"tdp-range-all\">Whole capture</button> <span id=\"tdp-range\" data-from=\"0\" data-to=\"\(blocks - 1)\" data-total=\"\"></span></p>\n"
    out +=
      "<svg id=\"tdp-range-flame\" xmlns=\"http://www.w3.org/2000/svg\" width=\"1200\" height=\"20\"></svg>\n"
    out +=
      "<div class=\"cols\"><table id=\"tdp-range-groups\"></table><table id=\"tdp-range-self\"></table></div>\n"
    out += "<script type=\"application/json\" id=\"tdp-interval-data\">" + data() + "</script>\n"
    out += "<script>\n" + Self.script + "\n</script>\n</section>\n"
    return out
  }

  /// The bars: each block's groups stacked, heights scaled to the busiest block.
  func chart() -> String {
    let blocks = series.blocks.count
    let totals = (0..<blocks).map { b in series.rows.reduce(UInt64(0)) { $0 &+ $1.weights[b] } }
    let peak = Double(max(1, totals.max() ?? 1))
    let slot = Self.chartWidth / Double(blocks)
    let bar = max(1, slot * 0.8)
    var out =
      "<svg id=\"tdp-interval-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(Self.chartWidth))\" height=\"\(Int(Self.chartHeight + 20))\">\n"
    for b in 0..<blocks {
      let x = Double(b) * slot
      let label = series.blocks[b].time ?? "block \(b)"
      out += "<g class=\"iv-bar\" data-block=\"\(b)\"><title>\(Escaping.html(label)): \(totals[b])</title>"
      out +=
        "<rect class=\"iv-hit\" x=\"\(fmt(x))\" y=\"0\" width=\"\(fmt(slot))\" height=\"\(Int(Self.chartHeight))\" fill=\"transparent\"/>"
      var y = Self.chartHeight
      for (i, row) in series.rows.enumerated() where row.weights[b] > 0 {
        let h = Double(row.weights[b]) / peak * Self.chartHeight
        y -= h
        out +=
          "<rect x=\"\(fmt(x + (slot - bar) / 2))\" y=\"\(fmt(y))\" width=\"\(fmt(bar))\" height=\"\(fmt(h))\" fill=\"\(Self.palette[i % Self.palette.count])\"/>"
      }
      out += "</g>\n"
    }
    let first = series.blocks.first?.time ?? "0"
    let last = series.blocks.last?.time ?? "\(blocks - 1)"
    out += "<text x=\"0\" y=\"\(Int(Self.chartHeight + 15))\" font-size=\"11\">\(Escaping.html(first))</text>"
    out +=
      "<text x=\"\(Int(Self.chartWidth))\" y=\"\(Int(Self.chartHeight + 15))\" font-size=\"11\" text-anchor=\"end\">\(Escaping.html(last))</text>\n</svg>\n"
    return out
  }

  private func fmt(_ v: Double) -> String { String(format: "%.2f", v) }

  /// `{"blocks": [label...], "rows": [{"name", "w": [...]}], "names": [...], "nodes": [[parent,
  /// name, block, weight, block, weight...]...]}`.
  func data() -> String {
    var out = "{\"blocks\":["
    out += series.blocks.map { Escaping.json($0.time ?? "block \($0.index)") }.joined(separator: ",")
    out += "],\"rows\":["
    out += series.rows.map {
      "{\"name\":\(Escaping.json($0.name)),\"w\":[\($0.weights.map(String.init).joined(separator: ","))]}"
    }
    .joined(separator: ",")
    out += "],\"names\":["
    out += tree.names.map(Escaping.json).joined(separator: ",")
    out += "],\"nodes\":["
    var first = true
    for node in tree.nodes {
      if !first { out += "," }
      first = false
      out += "[\(node.parent),\(node.name)"
      for (b, w) in node.weights { out += ",\(b),\(w)" }
      out += "]"
    }
    return out + "]}"
  }

  static let style =
    ".iv-key { display: inline-block; width: 10px; height: 10px; margin-left: 8px; } #tdp-interval-chart .iv-bar { cursor: pointer; } #tdp-range-flame { max-width: 100%; font-family: \"DejaVu Sans Mono\", monospace; }"

  static let script = """
    (function () {
      "use strict";
      var data = JSON.parse(document.getElementById("tdp-interval-data").textContent);
      var NS = "http://www.w3.org/2000/svg";
      var nodes = data.nodes, kids = nodes.map(function () { return []; });
      nodes.forEach(function (n, i) { if (n[0] >= 0) kids[n[0]].push(i); });
      var last = data.blocks.length - 1;
      function weights(a, b) {
        return nodes.map(function (n) {
          var s = 0;
          for (var k = 2; k < n.length; k += 2) if (n[k] >= a && n[k] <= b) s += n[k + 1];
          return s;
        });
      }
      function cell(tr, text, numeric) {
        var td = document.createElement("td");
        td.textContent = text;
        if (numeric) td.className = "n";
        tr.appendChild(td);
      }
      function table(el, title, rows) {
        while (el.firstChild) el.removeChild(el.firstChild);
        var cap = document.createElement("caption"); cap.textContent = title; el.appendChild(cap);
        rows.forEach(function (r) { var tr = document.createElement("tr"); cell(tr, r[0]); cell(tr, String(r[1]), true); el.appendChild(tr); });
      }
      function show(a, b) {
        var w = weights(a, b), total = w[0];
        var range = document.getElementById("tdp-range");
        range.setAttribute("data-from", a); range.setAttribute("data-to", b); range.setAttribute("data-total", total);
        range.textContent = (a === b ? "block " + a + " (" + data.blocks[a] + ")" : "blocks " + a + "–" + b + " (" + data.blocks[a] + " – " + data.blocks[b] + ")") + ": " + total + " events";
        document.querySelectorAll("#tdp-interval-chart .iv-bar").forEach(function (g) {
          var i = +g.getAttribute("data-block");
          g.setAttribute("opacity", i >= a && i <= b ? "1" : "0.3");
        });
        var svg = document.getElementById("tdp-range-flame");
        while (svg.firstChild) svg.removeChild(svg.firstChild);
        var width = 1200, rowH = 16, depthMax = 0;
        function draw(i, x, depth) {
          if (w[i] === 0) return;
          var px = total > 0 ? w[i] / total * width : 0;
          if (i !== 0) {
            var g = document.createElementNS(NS, "g");
            g.setAttribute("class", "iv-frame");
            g.setAttribute("data-name", data.names[nodes[i][1]]);
            g.setAttribute("data-weight", w[i]);
            var t = document.createElementNS(NS, "title");
            t.textContent = data.names[nodes[i][1]] + " (" + w[i] + ")";
            g.appendChild(t);
            var r = document.createElementNS(NS, "rect");
            r.setAttribute("x", x.toFixed(2)); r.setAttribute("y", 0); r.setAttribute("width", Math.max(0.5, px - 0.5).toFixed(2));
            r.setAttribute("height", rowH - 1); r.setAttribute("fill", "hsl(" + (20 + (nodes[i][1] * 37) % 40) + ",80%," + (55 + depth % 3 * 5) + "%)");
            g.appendChild(r);
            if (px > 30) {
              var s = document.createElementNS(NS, "text");
              s.setAttribute("x", (x + 3).toFixed(2)); s.setAttribute("y", rowH - 4); s.setAttribute("font-size", "11");
              var name = data.names[nodes[i][1]], fit = Math.floor((px - 6) / 6.5);
              s.textContent = name.length > fit ? name.slice(0, Math.max(0, fit - 2)) + ".." : name;
              g.appendChild(s);
            }
            g.setAttribute("transform", "translate(0," + (depth - 1) * rowH + ")");
            svg.appendChild(g);
            depthMax = Math.max(depthMax, depth);
          } else {
            svg.setAttribute("data-total", total);
          }
          var cx = x;
          kids[i].forEach(function (k) { draw(k, cx, depth + 1); cx += total > 0 ? w[k] / total * width : 0; });
        }
        draw(0, 0, 0);
        svg.setAttribute("height", Math.max(1, depthMax) * rowH + 4);
        var groups = data.rows.map(function (r) {
          var s = 0; for (var k = a; k <= b; k++) s += r.w[k]; return [r.name, s];
        }).filter(function (r) { return r[1] > 0; }).sort(function (p, q) { return q[1] - p[1]; });
        table(document.getElementById("tdp-range-groups"), "By group", groups);
        var self = {};
        nodes.forEach(function (n, i) {
          if (i === 0) return;
          var s = w[i]; kids[i].forEach(function (k) { s -= w[k]; });
          if (s > 0) { var name = data.names[n[1]]; self[name] = (self[name] || 0) + s; }
        });
        var top = Object.keys(self).map(function (k) { return [k, self[k]]; }).sort(function (p, q) { return q[1] - p[1]; }).slice(0, 20);
        table(document.getElementById("tdp-range-self"), "Top functions by self weight", top);
      }
      var start = null;
      document.querySelectorAll("#tdp-interval-chart .iv-bar").forEach(function (g) {
        var i = +g.getAttribute("data-block");
        g.addEventListener("mousedown", function (e) { start = i; e.preventDefault(); });
        g.addEventListener("mouseup", function () {
          var a = start === null ? i : start; start = null;
          show(Math.min(a, i), Math.max(a, i));
        });
      });
      document.getElementById("tdp-range-all").addEventListener("click", function () { show(0, last); });
      window.tdpinterval = { show: show };
      show(0, last);
    })();
    """
}
