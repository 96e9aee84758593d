import Render
import StackFold
import Testing

/// `top`'s screen and CSV: whole outputs, and names from a hostile trace stay inert text.
@Suite struct TopScreenTests {
  static func table() -> TopTable {
    var now = TopTable.Totals()
    now.counts[.init(group: "zap")] = 30
    now.counts[.init(group: "zap", path: "VM destroy")] = 20
    now.counts[.init(group: "zap", path: "x\u{1B}[2J,\"y\"\n")] = 10
    var before = TopTable.Totals()
    before.counts[.init(group: "zap")] = 10
    before.counts[.init(group: "zap", path: "VM destroy")] = 10
    return TopTable(now: now, before: before, seconds: 2)
  }

  @Test func screenIsWholeAndEscaped() {
    let text = TopScreen(title: "tdptrace top: tdp-mmu").screen(
      Self.table(), clock: "12:00:00", elapsed: 4, width: 80, height: 24)
    #expect(
      text == """
        tdptrace top: tdp-mmu   12:00:00   4s   q quits
        10.0 events/s over 2.00s, 30 since attach

          EVENTS/S     EVENTS        TOTAL  GROUP / PATH
              10.0         20           30  zap
               5.0         10           20    VM destroy
               5.0         10           10    x\\x1b[2J,"y"\\x0a

        """)
    #expect(!text.contains("\u{1B}"))
  }

  @Test func csvIsOneLinePerRowAndQuoted() {
    let csv = TopScreen(title: "").csv(Self.table(), clock: "12:00:00")
    #expect(
      csv == """
        12:00:00,zap,,20,10.0,30
        12:00:00,zap,VM destroy,10,5.0,20
        12:00:00,zap,"x\\x1b[2J,""y""\\x0a",10,5.0,10

        """)
    #expect(TopScreen.csvHeader(timed: true) == "time,group,path,events,per_second,total,p99_ns\n")
  }

  /// With latency probes: a P99 column on the screen, a p99_ns field in CSV (empty for a row
  /// without calls in the interval).
  @Test func latencyRowsShowTheirP99() {
    var now = TopTable.Totals()
    now.counts[.init(group: "map")] = 4
    now.counts[.init(group: "zap")] = 1
    now.histograms[.init(group: "map")] = LatencyHistogram(logLinear: [1000, 1000, 1000, 250_000])
    var before = TopTable.Totals()
    before.counts[.init(group: "zap")] = 1
    let table = TopTable(now: now, before: before, interval: now, seconds: 1)
    let p99 = table.rows.first { $0.group == "map" }?.p99
    #expect(p99 != nil)
    let csv = TopScreen(title: "").csv(table, clock: "12:00:00")
    #expect(csv == "12:00:00,map,,4,4.0,4,\(String(format: "%.0f", p99 ?? 0))\n12:00:00,zap,,0,0.0,1,\n")
    let screen = TopScreen(title: "t").screen(table, clock: "12:00:00", elapsed: 1, width: 120, height: 24)
    #expect(screen.contains("EVENTS/S     EVENTS        TOTAL         P99  GROUP / PATH"))
    #expect(screen.contains("  map") && screen.contains("µs"))
  }

  @Test func rowsBeyondTheScreenAreCounted() {
    let text = TopScreen(title: "t").screen(Self.table(), clock: "12:00:00", elapsed: 1, width: 30, height: 6)
    #expect(text.split(separator: "\n").count <= 6)
    #expect(text.contains("more rows"))
    #expect(text.split(separator: "\n").allSatisfy { $0.count <= 30 })
  }
}
