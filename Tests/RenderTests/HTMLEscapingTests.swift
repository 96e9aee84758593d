import StackFold
import Testing
import TraceParse

@testable import Render

@Suite struct HTMLEscapingTests {
  @Test func xmlEscapesMarkupQuotesAndAmpersands() {
    #expect(
      Escaping.xml("<script>alert(\"x\")</script>") == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;")
    #expect(Escaping.xml("a & b 'c'") == "a &amp; b &#39;c&#39;")
    #expect(Escaping.xml("std::vector<int>::push_back") == "std::vector&lt;int&gt;::push_back")
    #expect(Escaping.xml("]]>") == "]]&gt;")
    #expect(Escaping.xml("plain_name") == "plain_name")
  }

  @Test func xmlReplacesCharactersXMLForbids() {
    #expect(Escaping.xml("a\u{01}b\u{FFFE}c\td") == "a\u{FFFD}b\u{FFFD}c\td")
    #expect(Escaping.xml("ok\u{F000}") == "ok\u{F000}")
  }

  @Test func jsonEscapesForScriptEmbedding() {
    #expect(Escaping.json("</script><!--") == "\"\\u003c/script\\u003e\\u003c!--\"")
    #expect(Escaping.json("a\"b\\c\nd\u{01}") == "\"a\\\"b\\\\c\\nd\\u0001\"")
    #expect(Escaping.json("x\u{2028}y&") == "\"x\\u2028y\\u0026\"")
  }

  @Test func identifiersAreInjectiveAndSafe() {
    #expect(Escaping.identifier("kvm_tdp_mmu_map") == "kvm_tdp_mmu_map")
    #expect(Escaping.identifier("<T as X>::f") == ".3cT.20as.20X.3e.3a.3af")
    #expect(Escaping.identifier("a.b") != Escaping.identifier("a_b"))
  }

  @Test func intervalChartAndRangeDataEscapeNames() throws {
    var builder = ProfileBuilder()
    for block in 0..<2 {
      try builder.add(
        frames: [Frame(symbol: "<img src=x onerror=alert(1)>"), Frame(symbol: "a\u{2028}</script><!--")],
        labels: Labels([.init("probe", "<svg onload=alert(2)>"), .init(Labels.Name.interval, String(block))]),
        weight: 3)
    }
    var profile = builder.build()
    profile.intervals = [
      IntervalMark(index: 0, time: "\"></text><script>x()</script>", line: 1),
      IntervalMark(index: 1, time: "&amp;", line: 2),
    ]
    let chart = IntervalChartSVG().render(try #require(IntervalSeries(profile: profile)))
    #expect(!chart.contains("<script"))
    #expect(!chart.contains("<svg onload"))
    #expect(chart.contains("&quot;&gt;&lt;/text&gt;&lt;script&gt;x()&lt;/script&gt;"))
    #expect(chart.contains("&amp;amp;"))
    var data = try #require(
      try IntervalPageData(
        profile: profile, parts: profile.intervalParts(), naming: FrameNaming(), sectioned: []))
    data.setFunctions(["<img src=x onerror=alert(1)>", "a\u{2028}</script><!--"], anchors: [])
    let element = data.element(countName: "</script>", factor: 1, top: 5)
    // Only the element's own closing tag; names, times and the count name are \u escapes.
    #expect(element.components(separatedBy: "</script").count - 1 == 1)
    #expect(!element.contains("<!--"))
    #expect(!element.contains("<img"))
    #expect(!element.contains("\u{2028}"))
    #expect(element.contains("\\u003c/script\\u003e"))
  }
}
