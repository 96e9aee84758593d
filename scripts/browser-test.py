#!/usr/bin/env python3
"""Real-browser test of tdptrace's flame graph SVG and HTML report, in headless Chromium.

For each file it writes an instrumented copy: a sentinel script first (counts any alert() a
hostile name might run), and a driver script last that acts like a user -- clicks a frame to
zoom, clicks "Reset Zoom", runs a search -- and records what the DOM looks like after each step
in an attribute. `chromium --dump-dom` prints the DOM; this script asserts on it and takes a
screenshot of the searched-and-zoomed state.

Usage: browser-test.py --out DIR [--svg FILE]... [--html FILE]... --search TERM --zoom NAME
       [--expect-matched N] [--min-frames N]
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


def instrument(text, kind, search, zoom):
    driver = DRIVER.replace("SEARCH", json.dumps(search)).replace("ZOOM", json.dumps(zoom))
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
        f.write(instrument(text, kind, ARGS.search, ARGS.zoom))
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
    expect(os.path.exists(shot) and os.path.getsize(shot) > 1000, "no screenshot")
    print(f"{name}: {r.get('frames')} frames, {r.get('highlighted')} highlighted, matched {r.get('matchedText')!r}, "
          f"zoom {r.get('beforeZoomWidth')}->{r.get('afterZoomWidth')}px, screenshot {shot}")


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
    ARGS = p.parse_args()
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
