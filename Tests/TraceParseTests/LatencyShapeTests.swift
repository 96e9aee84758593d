import Testing

@testable import TraceParse

/// The latency shapes of docs/latency.md as the text parser reads them: hist/lhist/stats/min/max
/// keyed by probe, stack, tuple or nothing, bpftrace 0.17 and newer.
@Suite struct LatencyShapeTests {
  @Test func recordLatencyCaptureKeepsProbeAndEntryStack() throws {
    let p = try BpftraceTestSupport.parseFile("latency/record-latency.txt", parser: BpftraceTextParser())
    let hists = p.values.filter { $0.map == "@latency_ns" }
    #expect(hists.count == 4)
    let first = try #require(hists.first)
    #expect(first.kind == .lhist)  // log-linear rows are not log2
    #expect(first.key[0] == "kprobe:kvm_tdp_mmu_map")
    #expect(first.stacks.count == 1)
    #expect(first.stacks[0].position == 1)
    #expect(first.stacks[0].frames.last?.name(keepOffset: true) == "kvm_tdp_mmu_map+0")
    #expect(first.stacks[0].frames.first?.symbol == "kvm_arch_vcpu_ioctl_run")
    #expect(first.buckets.first?.label == "[704, 768)")
    let stats = p.values.filter { $0.map == "@latency_stats_ns" }
    #expect(stats.count == 4 && stats.allSatisfy { $0.kind == .stats && !$0.stacks.isEmpty })
    // An integer keyed by a stack is a sample: min/max by stack, and every slow call.
    let maps = Set(p.samples.compactMap { p.labels(of: $0).map })
    #expect(maps == ["@latency_min_ns", "@latency_max_ns", "@tdptrace_slow"])
    let lost = p.values.filter { $0.map == "@tdptrace_latency_lost" }
    #expect(
      lost.map(\.key) == [
        ["kprobe:kvm_tdp_mmu_map", "exit_without_entry"], ["kprobe:kvm_tdp_mmu_zap_leafs", "stack_failed"],
      ])
    #expect(p.values.contains { $0.map == "@tdptrace_slow_dropped" && $0.numbers == [0] })
  }

  @Test func log2HistogramsWithSuffixesByProbeTupleStackAndNothing() throws {
    let p = try BpftraceTestSupport.parseFile("latency/bpftrace-hist-017.txt", parser: BpftraceTextParser())
    let byMap = Dictionary(grouping: p.values, by: \.map)
    let ns = try #require(byMap["@ns"]?.first)
    #expect(ns.kind == .hist && ns.key == ["kprobe:kvm_tdp_mmu_map"] && ns.stacks.isEmpty)
    #expect(ns.buckets.last.flatMap(\.bounds).map { [$0.lower, $0.upper] } == [1_048_576, 2_097_152])
    #expect(byMap["@ns_stats"]?.first?.numbers == [80, 14122, 1_129_760])
    #expect(byMap["@ns_max"]?.first?.numbers == [1_048_700])
    #expect(
      byMap["@by_comm"]?.map(\.key) == [
        ["kprobe:kvm_tdp_mmu_zap_leafs", "qemu-system-x86"], ["kprobe:kvm_tdp_mmu_zap_leafs", "kworker/2:1"],
      ])
    let stack = try #require(byMap["@stack_ns"]?.first)
    #expect(stack.stacks.map(\.position) == [0])
    #expect(stack.buckets.first.flatMap(\.bounds).map { [$0.lower, $0.upper] } == [0, 1])
    #expect(byMap["@stack_ns_stats"]?.first?.stacks == stack.stacks)
    #expect(byMap["@all_ns"]?.first?.key == [])
  }

  @Test func newerStatsAndLhistWithOpenBuckets() throws {
    let p = try BpftraceTestSupport.parseFile("latency/bpftrace-lhist-new.txt", parser: BpftraceTextParser())
    let ns = try #require(p.values.first { $0.map == "@ns" })
    #expect(ns.kind == .lhist)
    let bounds = ns.buckets.compactMap(\.bounds)
    #expect(bounds.count == 4)
    #expect(bounds.first?.lower == -Double.infinity)
    #expect(bounds.last?.upper == Double.infinity)
    #expect(p.values.first { $0.map == "@ns_stats" }?.numbers == [6, 45, 270])
    let lat = try #require(p.values.first { $0.map == "@lat" })
    #expect(lat.stacks.first?.frames.count == 3)
    #expect(p.values.first { $0.map == "@lat_stats" }?.numbers == [4, 18000, 72000])
    #expect(p.samples.count == 1 && p.samples[0].weight == 40000)
  }
}
