import Foundation
import StackFold
import TestSupport
import Testing
import TraceParse

@testable import Render

/// The HTML page of an interval capture (docs/intervals.md): the chart over time and the
/// weights per block its range selection adds up, on the real capture
/// `fixtures/intervals/host-cleared.txt`, read as the CLI reads it. The block totals are
/// checked against a reading of the fixture's text that shares no code with the parsers.
@Suite struct IntervalHTMLTests {
  static let cleared = "fixtures/intervals/host-cleared.txt"
  static let hostile = "fixtures/intervals/hostile-intervals.txt"

  /// The page `report --html` writes for `relative`: the loader's profile through the same
  /// `ReportRequest` the CLI runs.
  static func page(_ relative: String) throws -> (profile: Profile, html: String) {
    let profile = try TDPFixture.load(relative)
    let request = ReportRequest(report: ReportOptions(inputs: [relative]), html: "out.html")
    let output = try #require(try request.run(on: profile).outputs.first { $0.destination != .stdout })
    return (profile, String(decoding: output.bytes, as: UTF8.self))
  }

  /// The `@` map's weight in each block, from the text by the rule docs/intervals.md gives: a
  /// `time()` header begins a block, and so does an `@[` entry after another map's entries
  /// (bpftrace's exit print, which has no header).
  static func textBlockTotals(_ relative: String) throws -> [UInt64] {
    let text = try String(contentsOf: TDPFixture.url(relative), encoding: .utf8)
    var blocks: [UInt64] = []
    var lastMap: Substring?
    var open = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.wholeMatch(of: /\d\d:\d\d:\d\d/) != nil {
        blocks.append(0)
        lastMap = nil
        continue
      }
      if line.hasPrefix("@") {
        let map = line.prefix { $0 != "[" }
        if map == "@" && (blocks.isEmpty || (lastMap != nil && lastMap != "@")) { blocks.append(0) }
        lastMap = map
        guard map == "@" else { continue }
        if let close = line.range(of: "]: ") {
          blocks[blocks.count - 1] += UInt64(line[close.upperBound...])!
        } else {
          open = true
        }
      } else if open, line.hasPrefix("]: ") {
        blocks[blocks.count - 1] += UInt64(line.dropFirst(3))!
        open = false
      }
    }
    return blocks
  }

  /// The page's embedded range data (`IntervalPageData`), parsed by Foundation's JSON reader.
  static func embedded(_ html: String) throws -> [String: Any] {
    let start = try #require(html.range(of: "<script type=\"application/json\" id=\"tdp-ranges\">"))
    let end = try #require(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
    let json = Data(html[start.upperBound..<end.lowerBound].utf8)
    return try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
  }

  /// `block,weight,...` from `from` on; a weight is a number, or a decimal string on a page
  /// whose total is past 2^53.
  static func pairs(_ flat: [Any], from: Int = 0) throws -> [(block: Int, weight: UInt64)] {
    var out: [(Int, UInt64)] = []
    var i = from
    while i + 1 < flat.count {
      let block = try #require((flat[i] as? NSNumber)?.intValue)
      let weight: UInt64
      if let text = flat[i + 1] as? String {
        weight = try #require(UInt64(text))
      } else {
        weight = try #require((flat[i + 1] as? NSNumber)?.uint64Value)
      }
      out.append((block, weight))
      i += 2
    }
    return out
  }

  static func dense(_ pairs: [(block: Int, weight: UInt64)], count: Int) -> [UInt64] {
    var out = [UInt64](repeating: 0, count: count)
    for p in pairs { out[p.block] += p.weight }
    return out
  }

  /// Frames: one per drawn rect, in document order, each summing to its rect's weight, none
  /// heavier in a block than its parent, children adding up to at most their parent in every
  /// block. Returns each frame's weights per block.
  static func checkFrames(_ html: String, blocks: Int) throws -> [[UInt64]] {
    let data = try embedded(html)
    let frames = try #require(data["frames"] as? [[Any]])
    let graph = try #require(html.range(of: "<g class=\"fg-frames\">"))
    let drawn = html[graph.upperBound...].matches(of: /data-w="(\d+)"/).map { UInt64($0.1)! }
    #expect(frames.count == drawn.count)
    var perBlock: [[UInt64]] = []
    for (i, frame) in frames.enumerated() {
      let weights = dense(try pairs(frame, from: 1), count: blocks)
      perBlock.append(weights)
      #expect(weights.reduce(0, +) == drawn[i], "frame \(i)")
    }
    #expect((frames.first?.first as? NSNumber)?.intValue == -1)
    var children = [[Int]](repeating: [], count: frames.count)
    for (i, frame) in frames.enumerated().dropFirst() {
      let parent = try #require((frame[0] as? NSNumber)?.intValue)
      #expect(parent >= 0 && parent < i)
      guard parent >= 0 && parent < i else { continue }
      children[parent].append(i)
      for b in 0..<blocks { #expect(perBlock[i][b] <= perBlock[parent][b]) }
    }
    for (p, kids) in children.enumerated() {
      for b in 0..<blocks { #expect(kids.reduce(0) { $0 + perBlock[$1][b] } <= perBlock[p][b]) }
    }
    return perBlock
  }

  @Test func embeddedWeightsAddUpToTheCapture() throws {
    let (profile, html) = try Self.page(Self.cleared)
    let data = try Self.embedded(html)
    let blocks = try #require(data["blocks"] as? [[Any]])
    #expect(blocks.count == profile.intervals.count)
    #expect(blocks.count == 5)
    let series = try #require(data["series"] as? [[Any]])
    let totals = Self.dense(try Self.pairs(series[0]), count: blocks.count)
    // The capture's text, read apart from the parsers, and the chart's rows block by block.
    #expect(totals == (try Self.textBlockTotals(Self.cleared)))
    let rows = try #require(IntervalSeries(profile: profile)).rows
    #expect(totals == (0..<blocks.count).map { b in rows.reduce(0) { $0 + $1.weights[b] } })
    #expect(totals.reduce(0, +) == profile.totalWeight)
    #expect(profile.totalWeight == 11068)
    #expect(data["big"] as? Bool == false)

    let frames = try Self.checkFrames(html, blocks: blocks.count)
    #expect(frames.count == 15)
    #expect(frames[0] == totals)

    // Every cell that follows a range shows, as written, its series over every block.
    var cells = 0
    for match in html.matches(of: /data-iw="(\d+)">([^<]*)</) {
      let weights = try Self.pairs(series[Int(match.1)!])
      let sum = weights.reduce(UInt64(0)) { $0 + $1.weight }
      #expect(String(match.2) == FlameGraphNumbers.grouped(sum), "cell \(match.0)")
      cells += 1
    }
    #expect(cells > 20)
    // The functions the top tables are rebuilt from: all of them, with their whole weights.
    let functions = try #require(data["functions"] as? [[Any]])
    let table = try FunctionTable(profile: profile).functions
    #expect(functions.count == table.count)
    for f in functions {
      let name = try #require(f[0] as? String)
      let stat = try #require(table.first { $0.name == name })
      let total = try Self.pairs(series[try #require((f[3] as? NSNumber)?.intValue)])
      #expect(total.reduce(UInt64(0)) { $0 + $1.weight } == stat.totalWeight)
    }
  }

  @Test func chartHasOneBandPerRowAndBlock() throws {
    let (profile, html) = try Self.page(Self.cleared)
    let series = try #require(IntervalSeries(profile: profile))
    let chart = IntervalChartSVG().render(series)
    #expect(html.contains(chart))
    #expect(chart.matches(of: /class="iv-hit" data-block="\d+"/).count == 5)
    let bars = try #require(chart.range(of: "<g class=\"iv-bars\">"))
    let end = try #require(chart.range(of: "</g>", range: bars.upperBound..<chart.endIndex))
    // Every block has both groups (zap and init-sp).
    #expect(chart[bars.upperBound..<end.lowerBound].components(separatedBy: "<rect ").count - 1 == 10)
    #expect(chart.contains(">group zap: 7,416</text>"))
    #expect(chart.contains(">group init-sp: 3,652</text>"))
    #expect(chart.contains(">07:59:41</text>"))
    #expect(chart.contains(">#4</text>"))
    #expect(html.contains("<a href=\"#over-time\">Over time</a>"))
    #expect(html.contains("Whole capture: blocks 0–4, 07:59:41–07:59:44, 11,068 samples"))
  }

  /// Without two blocks nothing of the range selection is written: the page is the one
  /// tdptrace always wrote (the goldens in HTMLReportTests hold those bytes for other inputs).
  @Test func pageWithoutIntervalsIsUnchanged() throws {
    var flat = try TDPFixture.load(Self.cleared)
    flat.intervals = []
    let oneBlock = try IntervalRange(from: "2", to: "2").apply(
      to: try TDPFixture.load(Self.cleared), source: Self.cleared)
    #expect(oneBlock.intervals.count == 1)
    for profile in [flat, oneBlock] {
      let html = try HTMLReport().document(profile)
      for marker in [
        "tdp-ranges", "data-iw", "data-ir", "data-ip", "data-ib", "data-itop", "iv-", "over-time",
      ] {
        #expect(!html.contains(marker), "\(marker)")
      }
      #expect(html.contains(FlameGraphScript.script))
      #expect(!html.contains("cfg: cfg"))
      #expect(html.components(separatedBy: "<script").count - 1 == 2)
    }
    // The seed page is byte for byte its golden (also checked in HTMLReportTests).
    let seed = try GraphFixtures.profile(file: "fixtures/graphs/seed.folded")
    try TDPFixture.expectGolden(
      try HTMLReport(report: ReportOptions(inputs: ["seed.folded"])).document(seed),
      "fixtures/expected/graphs/seed.html")
  }

  @Test func hostileIntervalPageKeepsNamesAsText() throws {
    let (profile, html) = try Self.page(Self.hostile)
    #expect(profile.intervals.count == 3)
    #expect(!html.contains("<script>alert"))
    #expect(!html.contains("<img"))
    #expect(!html.contains("]]><!--"))
    // The flame graph's, the JSON element, the range script and the page's: no other.
    #expect(html.components(separatedBy: "<script").count - 1 == 4)
    #expect(html.components(separatedBy: "</script>").count - 1 == 4)
    let data = try Self.embedded(html)
    let names = try #require(data["functions"] as? [[Any]]).compactMap { $0[0] as? String }
    #expect(names.contains("<img src=x onerror=alert(2)>"))
    #expect(names.contains("]]><!--"))
    #expect(names.contains("\"quoted\" & 'single'"))
    let opening = try #require(html.range(of: "id=\"tdp-ranges\">"))
    let element = html[opening.lowerBound...]
    #expect(element.contains("\\u003cimg src=x onerror=alert(2)\\u003e"))
    let chart = try #require(IntervalSeries(profile: profile))
    let svg = IntervalChartSVG().render(chart)
    #expect(svg.contains("kprobe:&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;: 12"))
    #expect(!svg.contains("<script"))
    // Block 1 has one source only: its frames still count under the source roots.
    let frames = try Self.checkFrames(html, blocks: 3)
    #expect(frames.count == 8)
    // The hostile stack is in blocks 0 and 2 only: the data says so.
    let series = try #require(data["series"] as? [[Any]])
    #expect(Self.dense(try Self.pairs(series[0]), count: 3) == [18, 13, 22])
    #expect((try Self.textBlockTotals(Self.hostile)) == [18, 13, 22])
  }

  /// Totals past 2^53 do not fit a JavaScript number: every weight is then a string, exact.
  @Test func weightsPastTwoToThe53AreStrings() throws {
    var builder = ProfileBuilder()
    let big: UInt64 = 1 << 60
    for (block, weight) in [(0, big), (1, big + 1), (1, 3)] {
      try builder.add(
        frames: [Frame(symbol: "kvm_tdp_mmu_map"), Frame(symbol: "leaf\(weight % 2)")],
        labels: Labels([.init("map", "@"), .init(Labels.Name.interval, String(block))]), weight: weight)
    }
    var profile = builder.build()
    profile.intervals = [
      IntervalMark(index: 0, time: "10:00:00", line: 1), IntervalMark(index: 1, time: "10:00:01", line: 5),
    ]
    let html = try HTMLReport().document(profile)
    let data = try Self.embedded(html)
    #expect(data["big"] as? Bool == true)
    let series = try #require(data["series"] as? [[Any]])
    #expect(series[0][1] is String)
    #expect(Self.dense(try Self.pairs(series[0]), count: 2) == [big, big + 4])
    #expect(html.contains("\"big\":true"))
    #expect(html.contains("0,\"\(big)\",1,\"\(big + 4)\""))
  }
}
