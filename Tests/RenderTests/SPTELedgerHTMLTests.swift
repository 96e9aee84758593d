import Foundation
import Render
import StackFold
import TestSupport
import Testing
import TraceParse

/// The SPTE section of the HTML page: the same cells as `report --spte`, and hostile frame
/// names (an `other` origin's label is made of them) escaped.
@Suite struct SPTELedgerHTMLTests {
  static func page(_ profile: Profile) throws -> String {
    var page = HTMLReport()
    page.spteLedger = try SPTELedger(profile: profile)
    return try page.document(profile)
  }

  /// The numbers of each `<tr>` of each `table.spte`, by the heading above it.
  static func tables(_ html: String) -> [String: [[String]]] {
    var out: [String: [[String]]] = [:]
    var heading = ""
    guard let start = html.range(of: "<section id=\"spte\">") else { return [:] }
    let section = html[start.lowerBound...]
    let end = section.range(of: "</section>")?.lowerBound ?? section.endIndex
    for line in section[..<end].split(separator: "\n").map(String.init) {
      if line.hasPrefix("<h3>") {
        let title = line.dropFirst(4)
        heading = String(title[..<(title.range(of: ": ", options: .backwards)?.lowerBound ?? title.endIndex)])
      } else if line.hasPrefix("<tr><td>") || line.hasPrefix("<tr class=\"also\">") {
        let cells = line.components(separatedBy: "<td").dropFirst().map { cell in
          String(cell.drop { $0 != ">" }.dropFirst().prefix { $0 != "<" })
        }
        out[heading, default: []].append(cells)
      }
    }
    return out
  }

  @Test func everyCellOfTheLedgerIsOnThePage() throws {
    let profile = try TDPFixture.load("fixtures/spte/spte-npt-before.txt")
    let ledger = try SPTELedger(profile: profile)
    let html = try Self.page(profile)
    #expect(html.contains("<a href=\"#spte\">SPTE changes</a>"))
    let tables = Self.tables(html)
    func rows(_ counts: [SPTELedger.Cell: UInt64], _ events: [String: UInt64]) -> [[String]] {
      let kinds = SPTETransition.Kind.allCases.filter { kind in counts.contains { $0.key.kind == kind } }
      let changes = kinds.map { kind in
        let cells = ledger.levels.map { counts[SPTELedger.Cell(kind: kind, level: $0)] ?? 0 }
        return [kind.rawValue] + cells.map(String.init) + [String(cells.reduce(0, +))]
      }
      let also = ledger.eventOrder.compactMap { name in
        events[name].map { ["also: " + name, "", String($0)] }
      }
      return changes + also
    }
    #expect(tables["All origins"] == rows(ledger.counts, ledger.events))
    for origin in ledger.origins {
      #expect(tables[origin.label] == rows(origin.counts, origin.events), "\(origin.label)")
    }
    #expect(tables.count == ledger.origins.count + 1)
  }

  @Test func hostileFrameNamesAreEscaped() throws {
    let text = """
      @spte[tracepoint:kvmmmu:kvm_tdp_mmu_spte_changed, 4K, --------, PLWADX--, pfn-same, 
          <script>alert(1)</script>+1
          "><img src=x onerror=alert(2)>+2
      ]: 7

      """
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("spte-hostile-\(getpid()).txt")
    try text.write(to: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: path) }
    let profile = try ProfileLoader().load(path: path.path)
    let html = try Self.page(profile)
    #expect(html.contains("<section id=\"spte\">"))
    #expect(!html.contains("<script>alert"))
    #expect(!html.contains("<img src=x"))
    #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    #expect(html.contains("<td class=\"n\">7</td>"))
  }

  /// The per-operation table: every operation of the capture, the one that returned with
  /// unflushed zaps first, and a hostile comm (a hand-edited capture) escaped.
  @Test func theOperationsTableListsEveryOperationEscaped() throws {
    let text = try String(
      contentsOf: TDPFixture.url("fixtures/record/capture-spte-ops.golden.txt"), encoding: .utf8
    ).replacingOccurrences(of: ", kworker, ", with: ", <script>k</script>, ")
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("spte-ops-\(getpid()).txt")
    try text.write(to: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: path) }
    let html = try Self.page(try ProfileLoader().load(path: path.path))
    #expect(!html.contains("<script>k"))
    let rows = Self.tables(html)["Operations"] ?? []
    #expect(rows.map(\.first) == ["op1", "op2"])
    #expect(
      rows.first
        == [
          "op1", "kvm_set_memslot", "vCPU page fault", "4242", "4243", "qemu??kvm?", "2.50 ms", "7", "7",
          "2 !",
          "1", "1", "zap-leaf 4K 7",
        ])
    #expect(rows.last?[5] == "&lt;script&gt;k&lt;/script&gt;" && rows.last?[6] == "running")
    #expect(html.contains("operations: 2 (2 vCPU page fault); 8 of 4114 changes inside them; 1 returned"))
  }

  @Test func aPageWithoutSPTEEntriesHasNoSection() throws {
    let outputs = try ReportRequest(report: ReportOptions(inputs: ["x"]), html: "/tmp/unused.html").run(
      on: try TDPFixture.load("fixtures/seed/tdp_mmu-notes.txt"))
    let page = String(decoding: outputs.outputs.first { $0.destination != .stdout }!.bytes, as: UTF8.self)
    #expect(!page.contains("id=\"spte\""))
    let spte = try ReportRequest(report: ReportOptions(inputs: ["x"]), html: "/tmp/unused.html").run(
      on: try TDPFixture.load("fixtures/spte/spte-npt-before.txt"))
    let spage = String(decoding: spte.outputs.first { $0.destination != .stdout }!.bytes, as: UTF8.self)
    #expect(spage.contains("<section id=\"spte\">"))
  }
}
