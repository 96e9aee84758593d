#!/usr/bin/env python3
"""Real-browser test of tdptrace's flame graph SVG and HTML report, in headless Chromium.

For each file it writes an instrumented copy: a sentinel script first (counts any alert() a
hostile name might run), and a driver script last that acts like a user -- clicks a frame to
zoom, clicks "Reset Zoom", runs a search -- and records what the DOM looks like after each step
in an attribute. `chromium --dump-dom` prints the DOM; this script asserts on it and takes a
screenshot of the searched-and-zoomed state.

On an interval capture's page (`report --html` with a chart over time), `--range A:B` also
selects blocks A..B (positions in the chart) as a user does -- mousedown on block A, mousemove
to block B, mouseup there -- and checks the flame graph's root, its title, the range status and
the summary's total against `--expect-range-total`, that every `--expect-hidden` frame is
hidden and every `--expect-shown` one is not, then clicks "Whole capture" and checks the root
against `--expect-whole-total` with no frame hidden.

Usage: browser-test.py --out DIR [--svg FILE]... [--html FILE]... --search TERM --zoom NAME
       [--expect-matched N] [--min-frames N]
       [--range A:B --expect-range-total N --expect-whole-total N [--expect-hidden NAME]...]
Exit 0 when every check passes, 1 with a list of failures, 77 when chromium is missing.
"""
import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys

SENTINEL = """
window.__alerts = 0;
window.alert = window.confirm = window.prompt = function () { window.__alerts++; return null; };
"""

DRIVER = r"""
(function () {
  var svg = document.querySelector("svg.fg-root");
  var out = {scripts: document.querySelectorAll("script").length,
             imgs: document.querySelectorAll("img, foreignObject, iframe").length};
  function frames() { return Array.prototype.slice.call(svg.querySelectorAll(".fg-frames > g")); }
  function visible(g) { return g.getBoundingClientRect().width > 0 && getComputedStyle(g).display !== "none"; }
  function rectWidth(g) { return g.querySelector("rect").getBoundingClientRect().width; }
  function titled(name) {
    return frames().filter(function (g) {
      var t = g.querySelector("title").textContent; return t.slice(0, t.lastIndexOf(" (")) === name;
    }).sort(function (a, b) { return rectWidth(b) - rectWidth(a); })[0];
  }
  function click(el) { el.dispatchEvent(new MouseEvent("click", {bubbles: true, cancelable: true, view: window})); }
  out.api = !!(svg && svg.tdpflame);
  out.plotWidth = svg ? JSON.parse(svg.getAttribute("data-fg")).plotWidth : 0;
  out.frames = frames().length;
  out.rendered = frames().filter(function (g) { return rectWidth(g) > 0; }).length;
  out.names = frames().map(function (g) { var t = g.querySelector("title").textContent; return t.slice(0, t.lastIndexOf(" (")); });
  out.labels = frames().map(function (g) { return g.querySelector("text").textContent; });
  var target = titled(ZOOM);
  out.zoomFound = !!target;
  if (target) {
    out.beforeZoomWidth = rectWidth(target);
    click(target.querySelector("rect"));
    out.afterZoomWidth = rectWidth(target);
    out.zoomedAttr = svg.getAttribute("data-zoomed");
    out.zoomFull = Math.abs(parseFloat(target.querySelector("rect").getAttribute("width")) -
                            JSON.parse(svg.getAttribute("data-fg")).plotWidth) < 0.01;
    out.hiddenAfterZoom = frames().filter(function (g) { return !visible(g); }).length;
    out.unzoomShown = visible(svg.querySelector(".fg-unzoom"));
    click(svg.querySelector(".fg-unzoom"));
    out.afterResetWidth = rectWidth(target);
    out.hiddenAfterReset = frames().filter(function (g) { return !visible(g); }).length;
  }
  svg.tdpflame.search(SEARCH);
  out.highlighted = frames().filter(function (g) { return g.querySelector("rect").getAttribute("fill") === "rgb(230,0,230)"; }).length;
  out.matchedAttr = svg.getAttribute("data-matched");
  out.matchedText = svg.querySelector(".fg-matched").textContent;
  if (document.body) {  // an HTML page, not a bare SVG
    var links = document.querySelectorAll("a[href^='#']");
    out.links = links.length;
    out.brokenLinks = Array.prototype.filter.call(links, function (a) {
      return !document.getElementById(decodeURIComponent(a.getAttribute("href").slice(1)));
    }).length;
    out.tables = document.querySelectorAll("table").length;
  }
  var find = document.querySelector("a.fg-find");
  if (find) {
    svg.tdpflame.clearSearch();
    click(find);
    out.findName = find.getAttribute("data-name");
    out.findMatched = svg.getAttribute("data-matched");
  }
  if (RANGE) {
    var hits = document.querySelectorAll("svg.iv-chart .iv-hit");
    out.chartBlocks = hits.length;
    function mouse(el, type) {
      el.dispatchEvent(new MouseEvent(type, {bubbles: true, cancelable: true, view: window, buttons: 1}));
    }
    function root() { return frames()[0]; }
    function hiddenNames() {
      return frames().filter(function (g) { return !visible(g); }).map(function (g) {
        var t = g.querySelector("title").textContent; return t.slice(0, t.lastIndexOf(" ("));
      });
    }
    // Children lie inside their parents: each visible frame of depth d+1 within some visible
    // frame of depth d (by its rect), so a relayout that loses the nesting fails.
    function nested() {
      var boxes = frames().filter(visible).map(function (g) {
        var r = g.querySelector("rect");
        return {x: parseFloat(r.getAttribute("x")), w: parseFloat(r.getAttribute("width")), y: parseFloat(r.getAttribute("y"))};
      });
      var cfg = JSON.parse(svg.getAttribute("data-fg"));
      var step = cfg.inverted ? -cfg.fh : cfg.fh;  // from a frame's row to its parent's
      return boxes.every(function (b) {
        var parents = boxes.filter(function (p) { return Math.abs(p.y - (b.y + step)) < 0.5; });
        if (!boxes.some(function (p) { return (p.y - b.y) * step > 0; })) return true;  // the root
        return parents.some(function (p) { return b.x >= p.x - 0.02 && b.x + b.w <= p.x + p.w + 0.02; });
      });
    }
    if (hits[RANGE[0]] && hits[RANGE[1]]) {
      mouse(hits[RANGE[0]], "mousedown");
      mouse(hits[RANGE[1]], "mousemove");
      mouse(hits[RANGE[1]], "mouseup");
      out.rangeRootTitle = root().querySelector("title").textContent;
      out.rangeRootWidth = parseFloat(root().querySelector("rect").getAttribute("width"));
      out.rangeGraphTitle = svg.querySelector(".fg-title").textContent;
      out.rangeStatus = document.getElementById("iv-status").textContent;
      out.rangeTotalCell = document.querySelector("[data-iw='0']").textContent;
      out.rangeHidden = hiddenNames();
      out.rangeNested = nested();
      out.rangeTopRows = document.querySelectorAll("table[data-itop='total'] tr").length - 1;
      click(document.querySelector(".iv-reset"));
      out.wholeRootTitle = root().querySelector("title").textContent;
      out.wholeHidden = hiddenNames();
      out.wholeTotalCell = document.querySelector("[data-iw='0']").textContent;
    }
  }
  if (target) click(target.querySelector("rect"));
  out.alerts = window.__alerts;
  (document.documentElement).setAttribute("data-test-result", JSON.stringify(out));
})();
"""


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def instrument(text, kind, search, zoom, blocks=None):
    driver = DRIVER.replace("SEARCH", json.dumps(search)).replace("ZOOM", json.dumps(zoom))
    driver = driver.replace("RANGE", json.dumps(blocks))
    if kind == "svg":
        start = '<script type="text/ecmascript"><![CDATA[' + SENTINEL + "]]></script>"
        end = '<script type="text/ecmascript"><![CDATA[' + driver + "]]></script>"
        opening = re.search(r"<svg\b[^>]*>", text)
        text = text[: opening.end()] + start + text[opening.end():]
        cut = text.rstrip().rfind("</svg>")
        return text[:cut] + end + text[cut:]
    start = "<script>" + SENTINEL + "</script>"
    end = "<script>" + driver + "</script>"
    text = re.sub(r"<head>", lambda m: m.group(0) + start, text, count=1)
    cut = text.rfind("</body>")
    return text[:cut] + end + text[cut:]


def run(chromium, args):
    base = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--no-first-run", "--disable-extensions", "--virtual-time-budget=5000",
            "--user-data-dir=" + os.path.join(ARGS.out, "profile")]
    return subprocess.run(base + args, capture_output=True, text=True, timeout=120)


def check(path, kind, failures):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    name = os.path.basename(path)
    probe = os.path.join(ARGS.out, "instrumented-" + name)
    with open(probe, "w", encoding="utf-8") as f:
        f.write(instrument(text, kind, ARGS.search, ARGS.zoom, ARGS.range))
    url = "file://" + os.path.abspath(probe)
    dom = run(CHROMIUM, ["--dump-dom", url]).stdout
    m = re.search(r'data-test-result="([^"]*)"', dom)
    if not m:
        failures.append(f"{name}: the driver script did not run (no data-test-result in the DOM)")
        return
    r = json.loads(html.unescape(m.group(1)))
    shot = os.path.join(ARGS.out, name + ".png")
    run(CHROMIUM, ["--window-size=1280,900", "--screenshot=" + shot, url])

    def expect(ok, what):
        if not ok:
            failures.append(f"{name}: {what} (result: {json.dumps({k: v for k, v in r.items() if k not in ('names', 'labels')})})")

    expect(r.get("api"), "flame graph script did not initialise")
    expect(r.get("frames", 0) >= ARGS.min_frames, f"expected at least {ARGS.min_frames} frames")
    expect(r.get("rendered") == r.get("frames"), "some frames render with zero width")
    expect(r.get("zoomFound"), f"no frame named {ARGS.zoom!r}")
    if r.get("zoomFound"):
        expect(r["afterZoomWidth"] > r["beforeZoomWidth"] + 1, "clicking a frame did not widen it")
        expect(r.get("zoomFull"), "zoomed frame is not full width")
        expect(r.get("zoomedAttr") == ARGS.zoom, "zoom state not recorded")
        expect(r.get("hiddenAfterZoom", 0) > 0, "zoom hid no frames outside the zoomed one")
        expect(r.get("unzoomShown"), "Reset Zoom not shown after zoom")
        expect(abs(r["afterResetWidth"] - r["beforeZoomWidth"]) < 0.5, "Reset Zoom did not restore the width")
        expect(r.get("hiddenAfterReset") == 0, "frames still hidden after Reset Zoom")
    expect(r.get("highlighted", 0) > 0, f"search {ARGS.search!r} highlighted nothing")
    if ARGS.expect_matched is not None:
        expect(r.get("matchedAttr") == str(ARGS.expect_matched), f"matched weight should be {ARGS.expect_matched}")
    expect(str(r.get("matchedText", "")).startswith("Matched: "), "matched share not shown")
    expect(r.get("alerts") == 0, "a name in the trace ran as script")
    expect(r.get("imgs") == 0, "a name in the trace became an element")
    for needle in ARGS.expect_name:
        expect(needle in r.get("names", []), f"frame name {needle!r} not shown verbatim")
    if kind == "html":
        expect(r.get("tables", 0) >= ARGS.min_tables, f"HTML page has fewer than {ARGS.min_tables} tables")
        expect(r.get("links", 0) > 0 and r.get("brokenLinks") == 0, "HTML report links are missing or broken")
        if "findName" in r:
            expect(r.get("findMatched") not in (None, "", "0"),
                   f"the search link for {r.get('findName')!r} did not highlight it in the graph")
    if kind == "html" and ARGS.range:
        check_range(r, expect)
    expect(os.path.exists(shot) and os.path.getsize(shot) > 1000, "no screenshot")
    print(f"{name}: {r.get('frames')} frames, {r.get('highlighted')} highlighted, matched {r.get('matchedText')!r}, "
          f"zoom {r.get('beforeZoomWidth')}->{r.get('afterZoomWidth')}px, screenshot {shot}")


def weight_in(text):
    """The weight in `name (1,234 samples, 100.00%)` or in a status line, as an integer."""
    m = re.search(r"\(([\d,]+(?:\.\d+)?) ", text)
    return int(m.group(1).replace(",", "").replace(".", "")) if m else None


def grouped(n):
    return f"{n:,}"


def check_range(r, expect):
    expect(r.get("chartBlocks", 0) > max(ARGS.range), f"the chart has no block {max(ARGS.range)}")
    if "rangeRootTitle" not in r:
        return
    total = ARGS.expect_range_total
    expect(weight_in(r["rangeRootTitle"]) == total,
           f"range root shows {r['rangeRootTitle']!r}, expected the range total {total}")
    expect(abs(r.get("rangeRootWidth", 0) - json_plot_width(r)) < 0.01, "the range's root is not full width")
    expect(grouped(total) in r.get("rangeGraphTitle", ""), f"graph title {r.get('rangeGraphTitle')!r} lacks {grouped(total)}")
    expect(grouped(total) in r.get("rangeStatus", ""), f"status {r.get('rangeStatus')!r} lacks {grouped(total)}")
    expect(r.get("rangeTotalCell") == grouped(total), f"summary total {r.get('rangeTotalCell')!r} is not {grouped(total)}")
    expect(r.get("rangeNested"), "after the range, a frame lies outside its parent")
    expect(r.get("rangeTopRows", 0) > 0, "the top table is empty for the range")
    for name in ARGS.expect_hidden:
        expect(name in r.get("rangeHidden", []), f"frame {name!r} (absent in the range) is not hidden")
    for name in ARGS.expect_shown:
        expect(name not in r.get("rangeHidden", []), f"frame {name!r} is hidden in the range")
    if ARGS.expect_whole_total is not None:
        whole = ARGS.expect_whole_total
        expect(weight_in(r.get("wholeRootTitle", "")) == whole,
               f"after Whole capture the root shows {r.get('wholeRootTitle')!r}, expected {whole}")
        expect(r.get("wholeTotalCell") == grouped(whole), "after Whole capture the summary total is not the profile's")
    expect(r.get("wholeHidden") == [], f"frames still hidden after Whole capture: {r.get('wholeHidden')}")


def json_plot_width(r):
    return r.get("plotWidth", 1180)


def main():
    global ARGS, CHROMIUM
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--svg", action="append", default=[])
    p.add_argument("--html", action="append", default=[])
    p.add_argument("--search", required=True)
    p.add_argument("--zoom", required=True)
    p.add_argument("--expect-matched", type=int)
    p.add_argument("--expect-name", action="append", default=[])
    p.add_argument("--min-frames", type=int, default=2)
    p.add_argument("--min-tables", type=int, default=3)
    p.add_argument("--range", type=lambda v: [int(x) for x in v.split(":")])
    p.add_argument("--expect-range-total", type=int)
    p.add_argument("--expect-whole-total", type=int)
    p.add_argument("--expect-hidden", action="append", default=[])
    p.add_argument("--expect-shown", action="append", default=[])
    ARGS = p.parse_args()
    if ARGS.range and ARGS.expect_range_total is None:
        p.error("--range needs --expect-range-total")
    CHROMIUM = chromium_binary()
    if not CHROMIUM:
        print("chromium not found", file=sys.stderr)
        return 77
    os.makedirs(ARGS.out, exist_ok=True)
    failures = []
    for path in ARGS.svg:
        check(path, "svg", failures)
    for path in ARGS.html:
        check(path, "html", failures)
    for f in failures:
        print("FAIL " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
