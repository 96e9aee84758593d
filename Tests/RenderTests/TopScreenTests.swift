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

  @Test func rowsBeyondTheScreenAreCounted() {
    let text = TopScreen(title: "t").screen(Self.table(), clock: "12:00:00", elapsed: 1, width: 30, height: 6)
    #expect(text.split(separator: "\n").count <= 6)
    #expect(text.contains("more rows"))
    #expect(text.split(separator: "\n").allSatisfy { $0.count <= 30 })
  }
}
