/// The range selection of an interval capture's HTML page, in the manner of FlameScope: drag
/// across the chart over time (`IntervalChartSVG`) or click one block, and the flame graph and
/// the tables show those blocks only; "Whole capture" puts the page back as it was written.
///
/// It reads the weights per block from the page's JSON element (`IntervalPageData`) and only
/// adds them up: a cell's `data-iw`/`data-ic`/`data-ip` name the series it shows, `data-ir` a
/// row hidden when its series is zero, `data-ib` a map value's block. Flame-graph frames are
/// laid out again left to right inside their parents from their range weights, zero-weight
/// frames hidden (`fg-out`), through `tdpflame.cfg` and `tdpflame.reset()`. Names are taken
/// from the DOM or the JSON and set with `textContent` only: a hostile name stays text.
enum IntervalRangeScript {
  static let style = """
    .fg-root .fg-frames g.fg-out { display: none; }
    svg.iv-chart { cursor: crosshair; user-select: none; -webkit-user-select: none; }
    svg.iv-chart .iv-hit:hover { fill-opacity: 0.06; }
    .iv-status { font-weight: bold; }
    """

  static let script = """
    (function () {
      "use strict";
      var holder = document.getElementById("tdp-ranges");
      var chart = document.querySelector("svg.iv-chart");
      var flame = window.tdpflame;
      if (!holder || !chart) return;
      var data = JSON.parse(holder.textContent);
      var big = data.big;
      function num(v) { return big ? BigInt(v) : v; }
      var ZERO = num(0);
      function unpack(flat, from) {
        var s = {b: [], w: []};
        for (var i = from; i + 1 < flat.length; i += 2) { s.b.push(flat[i]); s.w.push(num(flat[i + 1])); }
        return s;
      }
      var series = data.series.map(function (s) { return unpack(s, 0); });
      var frameData = data.frames.map(function (f) { return {parent: f[0], s: unpack(f, 1)}; });
      var blocks = data.blocks;
      function sumOf(s, lo, hi) {
        var t = ZERO;
        for (var i = 0; i < s.b.length; i++) if (s.b[i] >= lo && s.b[i] <= hi) t += s.w[i];
        return t;
      }
      function grouped(digits) {
        var out = "";
        for (var i = 0; i < digits.length; i++) {
          if (i && (digits.length - i) % 3 === 0) out += ",";
          out += digits[i];
        }
        return out;
      }
      function format(w) {
        var s = String(w);
        if (!data.decimals) return grouped(s);
        while (s.length <= data.decimals) s = "0" + s;
        return grouped(s.slice(0, s.length - data.decimals)) + "." + s.slice(s.length - data.decimals);
      }
      function count(w) {
        if (data.factor === 1) return format(w);
        var held = Math.round(Number(w) * data.factor);
        if (!isFinite(held) || Math.abs(held) > Number.MAX_SAFE_INTEGER) return String(Number(w) * data.factor);
        return (held < 0 ? "-" : "") + format(Math.abs(held));
      }
      function percent(part, whole) {
        if (whole == ZERO) return "0.00";
        var v = Math.round(Number(part) / Number(whole) * 100 * 100);
        var cents = v % 100;
        return Math.floor(v / 100) + (cents < 10 ? ".0" : ".") + cents;
      }
      function span(lo, hi) {
        var times = [];
        for (var i = lo; i <= hi; i++) if (blocks[i][1] !== null) times.push(blocks[i][1]);
        var text = "block" + (lo === hi ? " " + blocks[lo][0] : "s " + blocks[lo][0] + "\\u2013" + blocks[hi][0]);
        if (times.length) text += ", " + times[0] + (times.length > 1 ? "\\u2013" + times[times.length - 1] : "");
        return text;
      }

      // What the page showed as written, to put back for the whole capture.
      var cells = Array.prototype.slice.call(document.querySelectorAll("[data-iw],[data-ic],[data-ip],[data-ifn]"));
      var cellText = cells.map(function (c) { return c.textContent; });
      var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-ir],tr[data-ib]"));
      var tops = Array.prototype.slice.call(document.querySelectorAll("table[data-itop]")).map(function (t) {
        var trs = Array.prototype.slice.call(t.querySelectorAll("tr"));
        return {table: t, body: trs[0].parentNode, header: trs[0], rows: trs.slice(1), bySelf: t.getAttribute("data-itop") === "self"};
      });
      var status = document.getElementById("iv-status");
      var statusText = status ? status.textContent : "";
      var section = document.getElementById("over-time");
      var frames = flame && flame.cfg && flame.frames.length === frameData.length ? flame.frames : null;
      var saved = frames ? frames.map(function (f) { return {x: f.x, w: f.w, title: f.title}; }) : [];
      var graphTotal = frames ? flame.cfg.total : 0;
      var graphTitle = frames ? flame.frames[0].g.ownerSVGElement.querySelector(".fg-title") : null;
      var graphTitleText = graphTitle ? graphTitle.textContent : "";

      function setTitle(f, text) {
        f.title = text;
        var t = f.g.querySelector("title");
        if (t) t.textContent = text;
      }

      function layOut(lo, hi, total) {
        if (!frames) return;
        var w = frameData.map(function (f) { return sumOf(f.s, lo, hi); });
        var x = [], next = [];
        for (var i = 0; i < frames.length; i++) {
          var p = frameData[i].parent;
          if (p < 0) { x[i] = ZERO; } else { x[i] = next[p]; next[p] = next[p] + w[i]; }
          next[i] = x[i];
        }
        frames.forEach(function (f, i) {
          f.x = Number(x[i]);
          f.w = Number(w[i]);
          f.g.classList.toggle("fg-out", w[i] == ZERO);
          setTitle(f, f.name + " (" + count(w[i]) + " " + data.countName + ", " + percent(w[i], total) + "%)");
        });
        flame.cfg.total = Number(total);
        if (graphTitle) graphTitle.textContent = graphTitleText + ": " + span(lo, hi) + ", " + format(total) + " " + data.countName;
        flame.clearSearch();
        flame.reset();
      }

      function restoreGraph() {
        if (!frames) return;
        frames.forEach(function (f, i) {
          f.x = saved[i].x;
          f.w = saved[i].w;
          f.g.classList.remove("fg-out");
          setTitle(f, saved[i].title);
        });
        flame.cfg.total = graphTotal;
        if (graphTitle) graphTitle.textContent = graphTitleText;
        flame.clearSearch();
        flame.reset();
      }

      function cell(tag, text, numeric) {
        var td = document.createElement(tag);
        if (numeric) td.className = "n";
        td.textContent = text;
        return td;
      }

      function rebuildTop(top, sums, total) {
        var list = [];
        data.functions.forEach(function (f, i) {
          var self = sums(f[2]), tot = sums(f[3]);
          if (top.bySelf ? self > ZERO : tot > ZERO) list.push({i: i, self: self, total: tot});
        });
        list.sort(function (a, b) {
          var a1 = top.bySelf ? a.self : a.total, b1 = top.bySelf ? b.self : b.total;
          var a2 = top.bySelf ? a.total : a.self, b2 = top.bySelf ? b.total : b.self;
          if (a1 !== b1) return a1 > b1 ? -1 : 1;
          if (a2 !== b2) return a2 > b2 ? -1 : 1;
          return a.i - b.i;
        });
        top.body.querySelectorAll("tr").forEach(function (tr) { if (tr !== top.header) tr.remove(); });
        list.slice(0, data.top).forEach(function (r) {
          var f = data.functions[r.i];
          var tr = document.createElement("tr");
          tr.appendChild(cell("td", format(r.self), true));
          tr.appendChild(cell("td", percent(r.self, total) + "%", true));
          tr.appendChild(cell("td", format(r.total), true));
          tr.appendChild(cell("td", percent(r.total, total) + "%", true));
          var name = cell("td", "", false);
          if (f[1]) {
            var a = document.createElement("a");
            a.setAttribute("href", "#" + f[1]);
            a.textContent = f[0];
            name.appendChild(a);
          } else {
            name.textContent = f[0];
          }
          tr.appendChild(name);
          top.body.appendChild(tr);
        });
      }

      function restoreTop(top) {
        top.body.querySelectorAll("tr").forEach(function (tr) { if (tr !== top.header) tr.remove(); });
        top.rows.forEach(function (tr) { top.body.appendChild(tr); });
      }

      var range = null;
      function select(lo, hi) {
        if (lo <= 0 && hi >= blocks.length - 1) return whole();
        var memo = {};
        function sums(id) {
          if (!(id in memo)) memo[id] = sumOf(series[id], lo, hi);
          return memo[id];
        }
        var total = sums(0);
        cells.forEach(function (c) {
          if (c.hasAttribute("data-iw")) c.textContent = format(sums(+c.getAttribute("data-iw")));
          else if (c.hasAttribute("data-ic")) c.textContent = grouped(String(sums(+c.getAttribute("data-ic"))));
          else if (c.hasAttribute("data-ip")) {
            var pm = c.getAttribute("data-ip").split(":");
            c.textContent = percent(sums(+pm[0]), sums(+pm[1])) + "%";
          } else {
            var n = 0;
            data.functions.forEach(function (f) { if (sums(f[3]) > ZERO || sums(f[2]) > ZERO) n++; });
            c.textContent = grouped(String(n));
          }
        });
        rows.forEach(function (tr) {
          if (tr.hasAttribute("data-ir")) tr.hidden = sums(+tr.getAttribute("data-ir")) == ZERO;
          else { var b = +tr.getAttribute("data-ib"); tr.hidden = b < lo || b > hi; }
        });
        tops.forEach(function (top) { rebuildTop(top, sums, total); });
        layOut(lo, hi, total);
        range = [lo, hi];
        var all = series[0].w.reduce(function (a, b) { return a + b; }, ZERO);
        if (status) status.textContent = span(lo, hi) + ", " + format(total) + " " + data.countName + " (" + percent(total, all) + "% of " + format(all) + ")";
        mark(lo, hi);
        if (section) {
          section.setAttribute("data-range", blocks[lo][0] + "-" + blocks[hi][0]);
          section.setAttribute("data-range-total", String(total));
        }
      }

      function whole() {
        cells.forEach(function (c, i) { c.textContent = cellText[i]; });
        rows.forEach(function (tr) { tr.hidden = false; });
        tops.forEach(restoreTop);
        restoreGraph();
        range = null;
        if (status) status.textContent = statusText;
        mark(-1, -1);
        if (section) { section.removeAttribute("data-range"); section.removeAttribute("data-range-total"); }
      }

      var sel = chart.querySelector(".iv-sel");
      var hits = Array.prototype.slice.call(chart.querySelectorAll(".iv-hit"));
      function mark(lo, hi) {
        if (!sel) return;
        if (lo < 0) { sel.setAttribute("visibility", "hidden"); return; }
        var a = hits[lo], b = hits[hi];
        var x = parseFloat(a.getAttribute("x"));
        sel.setAttribute("x", String(x));
        sel.setAttribute("width", String(parseFloat(b.getAttribute("x")) + parseFloat(b.getAttribute("width")) - x));
        sel.setAttribute("visibility", "visible");
      }
      function blockOf(e) {
        var t = e.target;
        var b = t && t.getAttribute ? t.getAttribute("data-block") : null;
        return b === null ? null : parseInt(b, 10);
      }
      var anchor = null, current = null;
      chart.addEventListener("mousedown", function (e) {
        var b = blockOf(e);
        if (b === null) return;
        e.preventDefault();
        anchor = current = b;
        mark(b, b);
      });
      chart.addEventListener("mousemove", function (e) {
        if (anchor === null) return;
        var b = blockOf(e);
        if (b === null) return;
        current = b;
        mark(Math.min(anchor, b), Math.max(anchor, b));
      });
      document.addEventListener("mouseup", function (e) {
        if (anchor === null) return;
        var b = blockOf(e);
        if (b !== null) current = b;
        var lo = Math.min(anchor, current), hi = Math.max(anchor, current);
        anchor = current = null;
        select(lo, hi);
      });
      document.querySelectorAll(".iv-reset").forEach(function (button) {
        button.addEventListener("click", whole);
      });
      // "Reset Zoom" places frames by cfg.total, which a range has set: nothing more to do.
      window.tdpranges = {select: select, whole: whole, range: function () { return range; }};
    })();
    """
}
