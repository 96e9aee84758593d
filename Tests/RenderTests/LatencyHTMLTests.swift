import Render
import StackFold
import Testing
import TraceParse

/// The latency section of the HTML page: one chart per probe, and hostile names escaped in it.
@Suite struct LatencyHTMLTests {
  @Test func hostileNamesAreEscapedInTheChart() throws {
    var builder = ProfileBuilder()
    builder.addValue(
      MapValue(
        map: "@lat_ns", key: ["kprobe:<script>alert(1)</script>", "<img src=x>"], kind: .hist,
        buckets: [MapValue.Bucket(label: "[1K, 2K)", count: 3)]))
    let profile = builder.build()
    var page = HTMLReport()
    page.latency = LatencySummary(profile: profile)
    let html = try page.document(profile)
    #expect(html.contains("<section id=\"latency\">"))
    #expect(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"latency\""))
    #expect(!html.contains("<script>alert"))
    #expect(!html.contains("<img src=x>"))
    #expect(html.contains("&lt;img src=x&gt;"))
  }
}
