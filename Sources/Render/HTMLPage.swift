/// The frame every tdptrace HTML page shares: a head whose Content-Security-Policy forbids any
/// fetch (everything is inline), the style sheet, and the script that makes function links
/// search the inline flame graph.
enum HTMLPage {
  /// `<!DOCTYPE html>` through the page's `<h1>`; `title` is escaped here. `extraStyle` goes
  /// after the shared style sheet (interval pages' range selection).
  static func start(title: String, extraStyle: String? = nil) -> String {
    var out = ""
    out.reserveCapacity(64 << 10)
    out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    out +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
    out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    out += "<title>\(Escaping.html(title))</title>\n<style>\n\(style)\n"
    if let extraStyle { out += extraStyle + "\n" }
    out += "</style>\n</head>\n<body>\n"
    out += "<h1>\(Escaping.html(title))</h1>\n"
    return out
  }

  /// The script and the closing tags.
  static let end = "<script>\n\(script)\n</script>\n</body>\n</html>\n"

  /// The ⌕ link that searches the page's flame graph for exactly `function` (the script
  /// reads the name from the attribute; it is never pasted into code).
  static func findLink(_ function: String) -> String {
    "<a class=\"fg-find\" href=\"#flamegraph\" data-name=\"\(Escaping.html(function))\" title=\"show in the flame graph\">⌕</a>"
  }

  /// A table row of already-escaped cells; with `header`, the first is a `<th>`.
  static func row(_ cells: [String], header: Bool) -> String {
    var s = "<tr>"
    for (i, c) in cells.enumerated() { s += i == 0 && header ? "<th>\(c)</th>" : "<td>\(c)</td>" }
    return s + "</tr>\n"
  }

  static let style = """
    body { font: 14px/1.4 -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 1em 2em; color: #222; }
    h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; margin-top: 1.6em; } h3 { margin-bottom: 0.2em; }
    nav a { text-decoration: none; }
    table { border-collapse: collapse; margin: 0.5em 1.5em 0.5em 0; }
    th, td { padding: 2px 8px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
    th { background: #f4f4f4; } caption { text-align: left; font-weight: bold; padding: 4px 0; }
    td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
    td { font-family: "DejaVu Sans Mono", monospace; font-size: 13px; word-break: break-all; }
    table.kv td { font-family: inherit; }
    .cols { display: flex; flex-wrap: wrap; align-items: flex-start; }
    .note { color: #666; } .notes { color: #a40; }
    .graph svg { max-width: 100%; height: auto; }
    .fn { margin-bottom: 1em; } .fn:target { background: #fffbe0; }
    .fg-find { text-decoration: none; font-size: 0.9em; }
    tr.self td { color: #666; }
    """

  /// Links to a function search the flame graph for exactly that name. The name comes from
  /// the element's attribute and is regex-escaped, never pasted into code.
  static let script = """
    (function () {
      "use strict";
      function escapeRegExp(s) { return s.replace(/[.*+?^${}()|[\\]\\\\]/g, "\\\\$&"); }
      document.addEventListener("click", function (e) {
        var a = e.target.closest ? e.target.closest("a.fg-find") : null;
        if (!a || !window.tdpflame) return;
        window.tdpflame.search("^" + escapeRegExp(a.getAttribute("data-name")) + "$");
      });
    })();
    """
}
