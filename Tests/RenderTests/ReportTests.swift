import Foundation
import Render
import StackFold
import TestSupport
import Testing
import TraceParse

@Suite struct ReportTests {
  static let options = ReportOptions(inputs: ["seed (built in code)"])

  @Test func seedTextReport() throws {
    let text = String(
      decoding: try TextReport(options: Self.options).render(ReportGolden.seed()), as: UTF8.self)
    try TDPFixture.expectGolden(text, "fixtures/expected/report/seed-model.txt")
  }

  @Test func seedJSONReport() throws {
    let json = String(
      decoding: try JSONReport(options: Self.options).render(ReportGolden.seed()), as: UTF8.self)
    try TDPFixture.expectGolden(json, "fixtures/expected/report/seed-model.json")
    let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    #expect(object?["totalWeight"] as? Int == 1_065_373)
  }

  @Test func seedCallersReport() throws {
    var options = Self.options
    options.callers = [NamePattern("tdp_mmu_init_sp")]
    options.callees = [NamePattern("__handle_changed_spte")]
    let profile = try ReportGolden.seed()
    let text = String(decoding: try TextReport(options: options).render(profile), as: UTF8.self)
    try TDPFixture.expectGolden(text, "fixtures/expected/report/seed-model-peek.txt")
    #expect(text.contains("     2192   97.60%  kvm_tdp_mmu_map\n"))
    #expect(text.contains("       54    2.40%  kvm_tdp_mmu_get_vcpu_root_hpa\n"))
    let json = String(decoding: try JSONReport(options: options).render(profile), as: UTF8.self)
    try TDPFixture.expectGolden(json, "fixtures/expected/report/seed-model-peek.json")
  }

  @Test func treeSummarisesSmallChildrenWithoutLosingWeight() throws {
    var options = Self.options
    options.treeMinPercent = 1
    let model = try ReportModel(profile: ReportGolden.seed(), options: options)
    let tree = try #require(model.tree)
    func check(_ node: ReportModel.TreeNode) {
      let children = node.children.reduce(0) { $0 + $1.totalWeight } + node.elidedWeight
      #expect(children + node.selfWeight == node.totalWeight, "\(node.name)")
      node.children.forEach(check)
    }
    check(tree)
    #expect(tree.totalWeight == 1_065_373)
  }

  @Test func hostileNamesAreEscaped() throws {
    let names = [
      "<script>alert(1)</script>", "\"quoted\" & 'single'", "back\\slash", "ctl\u{1}\u{1b}[31m", "a\u{2028}b",
    ]
    var builder = ProfileBuilder()
    try builder.add(
      frames: names.map { Frame(symbol: $0) }, labels: Labels([.init("map", "@<x>")]), weight: 3)
    builder.addValue(
      MapValue(map: "@h\"", key: ["</script>"], kind: .hist, buckets: [.init(label: "[0, 1)", count: 2)]))
    builder.note("note with \u{7} bell")
    let profile = builder.build()
    let json = try JSONReport(options: ReportOptions(inputs: ["in<put>"], treeMinPercent: 0)).render(profile)
    let text = String(decoding: json, as: UTF8.self)
    #expect(!text.contains("<"))
    #expect(!text.contains(">"))
    #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
    let top = try #require(object["topByTotal"] as? [[String: Any]])
    #expect(Set(top.compactMap { $0["function"] as? String }) == Set(names))

    let report = String(
      decoding: try TextReport(options: ReportOptions(treeMinPercent: 0)).render(profile), as: UTF8.self)
    #expect(!report.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7f })
    #expect(report.contains("ctl\\x01\\x1b[31m"))
  }

  @Test func emptyProfileReports() throws {
    let text = String(decoding: try TextReport().render(Profile()), as: UTF8.self)
    #expect(text.contains("total: 0 (count) in 0 unique stacks"))
    #expect(text.contains("(no stack samples)"))
  }

  @Test func percentFormatting() {
    #expect(ReportModel.percent(1, of: 3) == "33.33")
    #expect(ReportModel.percent(2, of: 3) == "66.67")
    #expect(ReportModel.percent(0, of: 0) == "0.00")
    #expect(ReportModel.percent(UInt64.max, of: UInt64.max) == "100.00")
    #expect(ReportModel.percent(5, of: 10000) == "0.05")
  }
}
