import StackFold
import TDPTable
import TestSupport
import Testing
import TraceParse

/// `top`'s rows on real guest captures: events are differences of running totals, groups and
/// paths add up, rows are ordered by events, and with latency probes p99 is the merged
/// histogram's.
@Suite struct TopTableTests {
  @Test func eventsAreDifferencesOfRunningTotals() throws {
    let now = try TDPFixture.load("fixtures/qemu-tdp/tdptrace-kprobe.txt")
    // An earlier read: each stack at half its count.
    let before = now.subset { _, sample in sample.weight / 2 }
    let nowSummary = TDPSummary(profile: now)
    let table = TopTable(
      now: TopTable.Totals(nowSummary), before: TopTable.Totals(TDPSummary(profile: before)), seconds: 2)
    #expect(table.total == nowSummary.groupedWeight + nowSummary.elsewhereWeight)
    #expect(table.total == now.totalWeight)
    #expect(table.events == now.totalWeight - before.totalWeight)
    #expect(!table.timed && table.rows.allSatisfy { $0.p99 == nil })
    let groups = table.rows.filter { $0.path == nil }
    #expect(groups.map(\.events) == groups.map(\.events).sorted(by: >))
    for group in groups {
      let paths = table.rows.filter { $0.group == group.group && $0.path != nil }
      #expect(paths.reduce(0) { $0 + $1.total } == group.total, "\(group.group)")
      #expect(paths.reduce(0) { $0 + $1.events } == group.events, "\(group.group)")
      #expect(group.perSecond == Double(group.events) / 2)
    }
    // A group filter keeps only that group, and the header counts only what is shown.
    let map = TopTable(now: TopTable.Totals(nowSummary), before: nil, seconds: 1, groups: ["map"])
    #expect(Set(map.rows.map(\.group)) == ["map"])
    #expect(map.total == nowSummary.groups.first { $0.group == "map" }?.weight)
  }

  @Test func latencyRowsCarryTheIntervalsP99() throws {
    let profile = try TDPFixture.load("fixtures/qemu-tdp/latency-tdptrace.txt")
    let summary = LatencySummary(profile: profile, table: .tdpMMULatency)
    let totals = TopTable.Totals(summary, table: .tdpMMULatency)
    let table = TopTable(now: totals, before: nil, interval: totals, seconds: 1)
    #expect(table.timed)
    let calls = summary.probes.reduce(UInt64(0)) { $0 + $1.total.count }
    #expect(table.total == calls && calls > 0)
    for probe in summary.probes {
      let group = ProbeTable.tdpMMULatency.group(of: probe.probe)?.name ?? probe.probe
      let members = summary.probes.filter {
        (ProbeTable.tdpMMULatency.group(of: $0.probe)?.name ?? $0.probe) == group
      }
      let merged = members.dropFirst().reduce(members[0].total) { $0.merged(with: $1.total) }
      let row = table.rows.first { $0.group == group && $0.path == nil }
      #expect(row?.p99 == merged.percentile(0.99)?.estimate, "\(group)")
      #expect(row?.total == merged.count)
    }
  }
}
