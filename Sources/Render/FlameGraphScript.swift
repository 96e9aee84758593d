/// The style and script embedded in every flame graph, so the SVG needs no network and works
/// both opened on its own and inlined in the HTML report. Selectors are scoped to `.fg-root`
/// so the style cannot leak into a page the SVG is inlined in. No name from the trace ever
/// enters the script: the script reads names from the DOM (`<title>` text), so a hostile name
/// stays data.
enum FlameGraphScript {
  static let style = """
    .fg-root text { font-family: Verdana, "DejaVu Sans", sans-serif; font-size: 12px; fill: rgb(0,0,0); }
    .fg-root .fg-title { text-anchor: middle; font-size: 17px; }
    .fg-root .fg-subtitle { text-anchor: middle; fill: rgb(80,80,80); }
    .fg-root .fg-frames text { pointer-events: none; }
    .fg-root .fg-frames g:hover rect { stroke: rgb(0,0,0); stroke-width: 0.5; cursor: pointer; }
    .fg-root .fg-button { cursor: pointer; }
    .fg-root .fg-button:hover { text-decoration: underline; }
    .fg-root .fg-parent { opacity: 0.5; }
    .fg-root .fg-hide { display: none; }
    .fg-root .fg-matched { text-anchor: end; }
    .fg-root .fg-searchbtn { text-anchor: end; }
    """

  /// The behaviour: zoom on click, reset, search (regular expression, or plain text when the
  /// term is not a valid one) with the matched share, and the details bar. Exposes
  /// `svg.tdpflame` and `window.tdpflame` (`search`, `clearSearch`, `zoom`, `zoomTo`, `reset`)
  /// for the browser test and for the HTML report.
  static let script = source

  /// `script`, and with `exposingConfig` also `tdpflame.cfg`: the HTML page's range selection
  /// (`IntervalRangeScript`) sets the graph's `total` to the range's before `reset()` places
  /// the frames again. Only interval pages ask for it, so every other graph keeps its bytes.
  static func script(exposingConfig: Bool) -> String {
    exposingConfig ? source.replacingOccurrences(of: exposedAPI, with: "cfg: cfg, " + exposedAPI) : source
  }

  private static let exposedAPI = "search: search, clearSearch: clearSearch,"

  private static let source = """
    (function () {
      "use strict";
      var script = document.currentScript;
      var svg = (script && (script.ownerSVGElement || script.closest("svg"))) || document.documentElement;
      var cfg = JSON.parse(svg.getAttribute("data-fg"));
      var frames = svg.querySelector(".fg-frames");
      var details = svg.querySelector(".fg-details");
      var matchedText = svg.querySelector(".fg-matched");
      var unzoomBtn = svg.querySelector(".fg-unzoom");
      var searchBtn = svg.querySelector(".fg-searchbtn");
      var standalone = svg === document.documentElement;
      var info = [];
      var byGroup = new Map();
      function depthOf(rect) {
        var y = parseFloat(rect.getAttribute("y"));
        return Math.round(cfg.inverted ? (y - cfg.top) / cfg.fh : (cfg.bottom - y) / cfg.fh - 1);
      }
      Array.prototype.forEach.call(frames.children, function (g) {
        var rect = g.querySelector("rect");
        var title = g.querySelector("title").textContent;
        var cut = title.lastIndexOf(" (");
        var f = {
          g: g, rect: rect, text: g.querySelector("text"), title: title,
          name: cut >= 0 ? title.slice(0, cut) : title,
          x: parseFloat(rect.getAttribute("data-x")), w: parseFloat(rect.getAttribute("data-w")),
          d: depthOf(rect), fill: rect.getAttribute("fill")
        };
        info.push(f);
        byGroup.set(g, f);
      });
      function fixed(v) { return (Math.round(v * 100) / 100).toFixed(2); }
      function label(f, width) {
        var chars = Math.floor(width / (cfg.fontSize * (cfg.fontWidth || 0.59)));
        if (chars < 3) return "";
        return f.name.length <= chars ? f.name : f.name.slice(0, chars - 2) + "..";
      }
      function place(f, x, w) {
        f.rect.setAttribute("x", fixed(x));
        f.rect.setAttribute("width", fixed(w));
        f.text.setAttribute("x", fixed(x + 3));
        f.text.textContent = label(f, w);
      }
      var zoomed = null;
      function zoom(target) {
        if (!target || !(target.w > 0)) return;
        var scale = cfg.plotWidth / target.w;
        info.forEach(function (f) {
          var inside = f.d >= target.d && f.x >= target.x && f.x + f.w <= target.x + target.w;
          var ancestor = f.d < target.d && f.x <= target.x && f.x + f.w >= target.x + target.w;
          if (inside) {
            place(f, cfg.xpad + (f.x - target.x) * scale, f.w * scale);
            f.g.classList.remove("fg-hide", "fg-parent");
          } else if (ancestor) {
            place(f, cfg.xpad, cfg.plotWidth);
            f.g.classList.remove("fg-hide");
            f.g.classList.add("fg-parent");
          } else {
            f.g.classList.add("fg-hide");
          }
        });
        zoomed = target;
        unzoomBtn.classList.remove("fg-hide");
        svg.setAttribute("data-zoomed", target.name);
      }
      function reset() {
        var scale = cfg.plotWidth / cfg.total;
        info.forEach(function (f) {
          place(f, cfg.xpad + f.x * scale, f.w * scale);
          f.g.classList.remove("fg-hide", "fg-parent");
        });
        zoomed = null;
        unzoomBtn.classList.add("fg-hide");
        svg.removeAttribute("data-zoomed");
      }
      var searching = false;
      function clearSearch() {
        info.forEach(function (f) { f.rect.setAttribute("fill", f.fill); f.g.classList.remove("fg-match"); });
        matchedText.textContent = " ";
        searchBtn.textContent = "Search";
        searching = false;
        svg.removeAttribute("data-matched");
      }
      function search(term) {
        clearSearch();
        if (!term) return 0;
        var re;
        try { re = new RegExp(term); } catch (e) { re = new RegExp(term.replace(/[.*+?^${}()|[\\]\\\\]/g, "\\\\$&")); }
        var hits = info.filter(function (f) { return re.test(f.name); });
        hits.forEach(function (f) { f.rect.setAttribute("fill", cfg.matchColor); f.g.classList.add("fg-match"); });
        // The share of samples under any match: the union of the matched ranges, so a function
        // nested in itself (recursion) is counted once.
        hits.sort(function (a, b) { return a.x - b.x; });
        var sum = 0, end = -Infinity;
        hits.forEach(function (f) {
          var right = f.x + f.w;
          if (f.x >= end) { sum += f.w; end = right; }
          else if (right > end) { sum += right - end; end = right; }
        });
        var pct = cfg.total > 0 ? sum / cfg.total * 100 : 0;
        matchedText.textContent = "Matched: " + fixed(pct) + "% (" + hits.length + " frames)";
        searchBtn.textContent = "Reset Search";
        searching = true;
        svg.setAttribute("data-matched", String(sum));
        return sum;
      }
      function ask() {
        var term = window.prompt("Search for (regular expression or text):", "");
        if (term !== null) search(term);
      }
      frames.addEventListener("click", function (e) {
        var g = e.target.closest("g");
        if (g && byGroup.has(g)) zoom(byGroup.get(g));
      });
      frames.addEventListener("mouseover", function (e) {
        var g = e.target.closest("g");
        if (g && byGroup.has(g)) details.textContent = (cfg.nameType || "") + byGroup.get(g).title;
      });
      frames.addEventListener("mouseout", function () { details.textContent = " "; });
      unzoomBtn.addEventListener("click", reset);
      searchBtn.addEventListener("click", function () { if (searching) clearSearch(); else ask(); });
      if (standalone) {
        window.addEventListener("keydown", function (e) {
          if (e.keyCode === 114 || ((e.ctrlKey || e.metaKey) && e.keyCode === 70)) { e.preventDefault(); ask(); }
          else if (e.key === "Escape") { clearSearch(); }
        });
        try {
          var s = new URLSearchParams(window.location.search).get("s");
          if (s) search(s);
        } catch (e) {}
      }
      var api = {
        search: search, clearSearch: clearSearch, zoom: zoom, reset: reset, frames: info,
        zoomTo: function (name) {
          var best = null;
          info.forEach(function (f) { if (f.name === name && (!best || f.w > best.w)) best = f; });
          zoom(best);
          return best !== null;
        },
        zoomed: function () { return zoomed; }
      };
      svg.tdpflame = api;
      window.tdpflame = api;
    })();
    """
}
