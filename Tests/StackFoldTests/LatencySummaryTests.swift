import StackFold
import TDPTable
import TestSupport
import Testing
import TraceParse

/// `LatencySummary` on the latency fixtures: pairing by name stem and key, origins, lost events
/// and slow calls; `LatencyComparison` on two captures.
@Suite struct LatencySummaryTests {
  @Test func recordCaptureByOrigin() throws {
    let s = LatencySummary(profile: try TDPFixture.load("fixtures/latency/record-latency.txt"))
    #expect(s.probes.map(\.probe) == ["kprobe:kvm_tdp_mmu_map", "kprobe:kvm_tdp_mmu_zap_leafs"])
    let map = s.probes[0]
    #expect(map.origins.map(\.origin) == [.vcpuFault])
    #expect(map.origins[0].entries == 2)
    #expect(map.total.count == 244)
    #expect(map.total.sum != nil && map.total.min != nil && map.total.max == 15250)
    #expect(s.probes[1].origins.map(\.origin) == [.notifierInvalidate, .memslotIoctl])
    #expect(s.lost.map(\.count) == [2, 1])
    #expect(s.slowest.count == 12 && s.slowest[0].origin == "memslot ioctl")
    #expect(s.slowest.map(\.durationNanoseconds) == s.slowest.map(\.durationNanoseconds).sorted(by: >))
    #expect(s.slowDropped == 0)
    #expect(s.notes.isEmpty, "\(s.notes)")
  }

  @Test func histogramsWithoutStatsSayTheyAreEstimated() throws {
    let s = LatencySummary(profile: try TDPFixture.load("fixtures/latency/bpftrace-hist-017.txt"))
    let byMap = Dictionary(grouping: s.probes, by: \.map)
    #expect(byMap["@ns"]?.first?.total.sum == 1_129_760)
    #expect(byMap["@stack_ns"]?.first?.origins.first?.origin == .vcpuFault)
    #expect(byMap["@by_comm"]?.first?.origins.map(\.label) == ["qemu-system-x86", "kworker/2:1"])
    #expect(s.notes.contains { $0.hasPrefix("@by_comm: no stats() map") })
    let timed = LatencyTimeProfile(s)
    #expect(timed.profile.totalWeight > 1_129_760)
    #expect(timed.notes.count == 2)
  }

  @Test func slowerPathIsMarkedAndUnchangedOnesAreNot() throws {
    let before = LatencySummary(profile: try TDPFixture.load("fixtures/latency/record-latency.txt"))
    let after = LatencySummary(profile: try TDPFixture.load("fixtures/latency/record-latency-after.txt"))
    let rows = LatencyComparison(before: before, after: after).rows
    let fault = try #require(rows.first { $0.origin == "vCPU page fault" })
    #expect(fault.changed && fault.direction == 1)
    #expect(rows.filter { $0.probe == "kprobe:kvm_tdp_mmu_zap_leafs" }.allSatisfy { !$0.changed })
    let same = LatencyComparison(before: before, after: before).rows
    #expect(same.allSatisfy { $0.ksStatistic == 0 && !$0.changed })
    let c = LatencyComparison.criticalValue(100, 100)
    #expect(abs(c - 1.6276 * (0.02).squareRoot()) < 1e-3)
  }
}
