import Foundation
import StackFold
import TestSupport
import Testing
import TraceParse

@testable import Render

/// The HTML report's "Over time" chart in headless Chromium, on the real interval capture
/// `fixtures/intervals/host-cleared.txt`: dragging across bars (the page's own mousedown and
/// mouseup handlers) shows that range's total in the range flame graph and its tables, one
/// click one block, "Whole capture" the whole; a frame absent from the range is not drawn;
/// hostile names stay text.
@Suite(.serialized) struct IntervalChartBrowserTests {
  static let driver = """
    (function () {
      var out = {alerts: 0};
      function bar(i) { return document.querySelector('#tdp-interval-chart .iv-bar[data-block="' + i + '"]'); }
      function ev(el, type) { el.dispatchEvent(new MouseEvent(type, {bubbles: true, cancelable: true, view: window})); }
      function frames() {
        return Array.prototype.slice.call(document.querySelectorAll("#tdp-range-flame .iv-frame"));
      }
      function state() {
        var f = frames();
        return {total: document.getElementById("tdp-range").getAttribute("data-total"),
                flame: document.getElementById("tdp-range-flame").getAttribute("data-total"),
                top: f.filter(function (g) { return g.getAttribute("transform") === "translate(0,0)"; })
                      .reduce(function (s, g) { return s + +g.getAttribute("data-weight"); }, 0),
                names: f.map(function (g) { return g.getAttribute("data-name"); }),
                groups: Array.prototype.slice.call(document.querySelectorAll("#tdp-range-groups td.n"))
                      .reduce(function (s, td) { return s + +td.textContent; }, 0),
                text: document.getElementById("tdp-range").textContent};
      }
      out.whole = state();
      ev(bar(FROM), "mousedown"); ev(bar(TO), "mouseup");
      out.range = state();
      ev(bar(ONE), "mousedown"); ev(bar(ONE), "mouseup");
      out.one = state();
      document.getElementById("tdp-range-all").click();
      out.reset = state();
      out.alerts = window.__alerts;
      out.imgs = document.querySelectorAll("img, iframe, foreignObject").length;
      document.documentElement.setAttribute("data-test-result", JSON.stringify(out));
    })();
    """

  struct State: Decodable {
    var total: String
    var flame: String?
    var top: UInt64
    var names: [String]
    var groups: UInt64
    var text: String
  }
  struct Result: Decodable {
    var whole: State
    var range: State
    var one: State
    var reset: State
    var alerts: Int
    var imgs: Int
  }

  /// Renders `profile`'s page, adds the sentinel and the driver, and returns what the driver saw.
  static func drive(_ profile: Profile, from: Int, to: Int, one: Int, name: String) throws -> Result {
    let dir = try FlameGraphBrowserTests.tempDir("interval-\(name)")
    var page = try HTMLReport().document(profile)
    let sentinel = "<script>window.__alerts = 0; window.alert = function () { window.__alerts++; };</script>"
    page = page.replacingOccurrences(of: "<head>\n", with: "<head>\n" + sentinel)
    let script = Self.driver.replacingOccurrences(of: "FROM", with: "\(from)").replacingOccurrences(
      of: "TO", with: "\(to)"
    ).replacingOccurrences(of: "ONE", with: "\(one)")
    page = page.replacingOccurrences(of: "</body>", with: "<script>" + script + "</script></body>")
    let file = dir.appendingPathComponent("\(name).html")
    try page.write(to: file, atomically: true, encoding: .utf8)
    let (status, dom) = try TDPFixture.run(
      FlameGraphBrowserTests.chromium ?? "/usr/bin/chromium",
      [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
        "--virtual-time-budget=5000", "--user-data-dir=" + dir.appendingPathComponent("profile").path,
        "--dump-dom",
        file.absoluteString,
      ])
    guard status == 0, let start = dom.range(of: "data-test-result=\""),
      let end = dom[start.upperBound...].firstIndex(of: "\"")
    else { throw TDPFixture.BadFixture(description: "the driver did not run: \(dom.prefix(500))") }
    let json = String(dom[start.upperBound..<end]).replacingOccurrences(of: "&quot;", with: "\"")
      .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
      .replacingOccurrences(of: "&amp;", with: "&")
    return try JSONDecoder().decode(Result.self, from: Data(json.utf8))
  }

  /// Weight of blocks `from...to`, and the frame names with weight there, from the model.
  static func expected(_ profile: Profile, _ from: Int, _ to: Int) -> (UInt64, Set<String>) {
    let blocks = profile.blockOfLabelSets
    var total: UInt64 = 0
    var names: Set<String> = []
    for sample in profile.samples {
      let b = blocks[Int(sample.labels)] ?? 0
      guard b >= from && b <= to, sample.weight > 0 else { continue }
      total += sample.weight
      for id in sample.stack { names.insert(profile.frame(id).name()) }
    }
    return (total, names)
  }

  @Test(
    .enabled(
      if: FlameGraphBrowserTests.runnable,
      "chromium is not installed (apt-get install chromium); skipped outside CI"))
  func selectingARangeShowsThatRangeOnly() throws {
    let profile = try TDPFixture.load("fixtures/intervals/host-cleared.txt")
    let blocks = profile.intervals.count
    try #require(blocks >= 4)
    // One block that lacks some of the capture's frames (the exit print's leftovers), if any.
    let allNames = Self.expected(profile, 0, blocks - 1).1
    let one = (0..<blocks).first { Self.expected(profile, $0, $0).1.count < allNames.count } ?? blocks - 1
    let r = try Self.drive(profile, from: 1, to: 2, one: one, name: "cleared")
    let (rangeTotal, rangeNames) = Self.expected(profile, 1, 2)
    let (oneTotal, oneNames) = Self.expected(profile, one, one)
    #expect(r.whole.total == String(profile.totalWeight))
    #expect(r.whole.top == profile.totalWeight && r.whole.groups == profile.totalWeight)
    #expect(r.range.total == String(rangeTotal) && r.range.flame == String(rangeTotal))
    #expect(r.range.top == rangeTotal && r.range.groups == rangeTotal)
    #expect(Set(r.range.names) == rangeNames)
    #expect(r.range.text.hasPrefix("blocks 1–2 ("), "\(r.range.text)")
    #expect(r.one.total == String(oneTotal) && r.one.top == oneTotal)
    #expect(Set(r.one.names) == oneNames)
    // The whole capture draws frames that the last block lacks, and the last block hides them.
    #expect(Set(r.whole.names) == allNames)
    if oneNames.count < allNames.count { #expect(Set(r.whole.names).count > Set(r.one.names).count) }
    #expect(r.reset.total == String(profile.totalWeight))
    #expect(r.alerts == 0 && r.imgs == 0)
  }

  @Test(
    .enabled(
      if: FlameGraphBrowserTests.runnable,
      "chromium is not installed (apt-get install chromium); skipped outside CI"))
  func hostileNamesStayText() throws {
    let hostile = ["</script><script>alert(1)</script>", "<img src=x onerror=alert(2)>", "\"]}',x"]
    var text = "Attaching 1 probe...\n"
    for (i, name) in hostile.enumerated() {
      text += "0\(i):00:00\n@[tracepoint:kvmmmu:evil, \n    \(name)+1\n    root+2\n]: \(i + 1)\n"
    }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tdptrace-hostile-\(getpid()).txt")
    try text.write(to: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: path) }
    let profile = try ProfileLoader().load(path: path.path)
    try #require(profile.intervals.count == 3)
    let r = try Self.drive(profile, from: 0, to: 1, one: 2, name: "hostile")
    #expect(r.alerts == 0 && r.imgs == 0)
    #expect(Set(r.whole.names) == Set(hostile + ["root"]))
    #expect(r.range.total == "3" && r.one.total == "3")
    #expect(Set(r.one.names) == [hostile[2], "root"])
  }
}
