import Foundation
import Render
import StackFold
import TestSupport
import Testing
import TraceParse

@Suite struct TDPSummaryTextTests {
  static let seed = "fixtures/seed/tdp_mmu-notes.txt"
  static let qemu = "fixtures/bpftrace/qemu-tdp-bpftrace-kprobe-kstack.txt"
  static let tracepoints = "fixtures/bpftrace/bpftrace-kvm-mmu-tracepoints-kstack.txt"

  /// The library renders what `report --tdp [--json] INPUT` prints: the same goldens as
  /// GoldenCLITests, beside the input.
  @Test(arguments: [seed, qemu, tracepoints])
  func textAndJSONMatchGoldens(input: String) throws {
    let profile = try TDPFixture.load(input)
    let text = try TDPSummaryText().render(profile)
    #expect(try TDPFixture.golden("\(input).report.tdp.golden", text))
    let json = try TDPSummaryText(format: .json).render(profile)
    #expect(try TDPFixture.golden("\(input).report.tdp.json.golden", json))
    #expect(try JSONSerialization.jsonObject(with: Data(json)) is [String: Any])
  }

  @Test func seedCountsAreExactAndSplitByPath() throws {
    let summary = TDPSummary(profile: try TDPFixture.load(Self.seed))
    #expect(summary.totalWeight == 1_065_373)
    #expect(summary.groupedWeight == 1_065_373)
    #expect(summary.elsewhere.isEmpty)
    let rows = summary.rows.map { "\($0.group) \($0.probe) \($0.origin.rawValue) \($0.weight)" }
    #expect(
      rows == [
        "map kvm_tdp_mmu_map vcpu-fault 465",
        "init-sp tdp_mmu_init_sp vcpu-fault 2192",
        "init-sp tdp_mmu_init_sp root-load 54",
        "spte-change __handle_changed_spte zap-worker 614912",
        "spte-change __handle_changed_spte vcpu-fault 447750",
      ])
  }

  @Test func everyWeightIsAccountedFor() throws {
    for input in [
      Self.seed, Self.qemu, Self.tracepoints, "fixtures/bpftrace/libbpf-loader-tp_btf-kvm-kstack.txt",
    ] {
      let profile = try TDPFixture.load(input)
      let summary = TDPSummary(profile: profile)
      #expect(summary.groupedWeight + summary.elsewhereWeight == profile.totalWeight, "\(input)")
      for group in summary.groups {
        #expect(group.weight == group.probes.reduce(0) { $0 + $1.weight })
        for probe in group.probes { #expect(probe.weight == probe.origins.reduce(0) { $0 + $1.weight }) }
      }
    }
  }

  @Test func perfSampleWithTDPLeafFilesUnderTheLeafFunction() throws {
    var builder = ProfileBuilder()
    try builder.add(
      frames: [Frame(symbol: "kvm_mmu_page_fault"), Frame(symbol: "kvm_tdp_mmu_map")],
      labels: Labels([.init("event", "cpu-clock")]), weight: 3)
    try builder.add(
      frames: [Frame(symbol: "memcpy")], labels: Labels([.init("event", "cpu-clock")]), weight: 4)
    try builder.add(frames: [], labels: Labels(), weight: 1)
    let summary = TDPSummary(profile: builder.build())
    #expect(
      summary.rows.map { "\($0.group) \($0.probe) \($0.origin.rawValue) \($0.weight)" } == [
        "map kvm_tdp_mmu_map vcpu-fault 3"
      ])
    #expect(summary.elsewhere.map { "\($0.probe) \($0.weight)" } == ["cpu-clock 4", "[empty stack] 1"])
  }

  @Test func hostileNamesStayInertInJSON() throws {
    var builder = ProfileBuilder()
    try builder.add(
      frames: [Frame(symbol: "</script><script>alert(1)</script>"), Frame(symbol: "\"&<>")],
      labels: Labels([.init("probe", "kprobe:kvm_tdp_mmu_zap_leafs")]), weight: 2)
    let json = try TDPSummaryText(format: .json).render(builder.build())
    let text = String(decoding: json, as: UTF8.self)
    #expect(!text.contains("<"))
    #expect(!text.contains(">"))
    #expect(!text.contains("&"))
    let object = try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any]
    let groups = object?["groups"] as? [[String: Any]]
    let probes = groups?.first?["probes"] as? [[String: Any]]
    let origins = probes?.first?["origins"] as? [[String: Any]]
    #expect(origins?.first?["topFrames"] as? [String] == ["\"&<>", "</script><script>alert(1)</script>"])
  }

  @Test func textNeverCarriesTerminalControlCharacters() throws {
    var builder = ProfileBuilder()
    try builder.add(
      frames: [Frame(symbol: "\u{1b}]0;pwned\u{7}"), Frame(symbol: "x\u{1b}[2J")],
      labels: Labels([.init("probe", "kprobe:kvm_tdp_mmu_zap_all")]), weight: 1)
    try builder.add(frames: [], labels: Labels([.init("probe", "\u{1b}[31mred")]), weight: 1)
    let text = try TDPSummaryText().render(builder.build())
    #expect(!text.contains(0x1b))
    #expect(!text.contains(0x07))
    #expect(String(decoding: text, as: UTF8.self).contains("other: x\\u{1b}[2J < \\u{1b}]0;pwned\\u{7}"))
  }
}
