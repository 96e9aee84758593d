import CTDPTraceBPF
import Testing

@testable import LiveCapture

/// The user-space half of the stack fallback (bpf/tdptrace.h, "stack ids"): counts and
/// histograms keyed by stack-map ids and by fallback ids come out once per (probe, stack).
@Suite struct StackMergeTests {
  static let a: [UInt64] = [0xffff_ffff_8100_1000, 0xffff_ffff_8100_2000, 0xffff_ffff_8100_3000]
  static let b: [UInt64] = [0xffff_ffff_8100_1004, 0xffff_ffff_8100_2000, 0xffff_ffff_8100_3000]
  static let c: [UInt64] = [0xffff_ffff_8100_5000]

  /// Stack map: id 3 is a, id 7 is b, id 9 is gone. Fallback: 0 is a (the same stack under both
  /// paths), 1 is c, and 2 is b again.
  static func stacks() -> StackIDs {
    StackIDs(
      stackMap: { id in [3: a, 7: b][id] },
      fallback: [0: a, 1: c, 2: b])
  }

  @Test func stackIDsAreTheHeaders() {
    #expect(NO_STACKID == -1)
    #expect(fallback_stackid(0) == -2)
    #expect(fallback_stackid(1023) == -1025)
    for id: UInt32 in [0, 1, 5, 1023, 100_000] { #expect(fallback_id(fallback_stackid(id)) == id) }
    let s = Self.stacks()
    #expect(s.frames(3) == Self.a)
    #expect(s.frames(fallback_stackid(1)) == Self.c)
    #expect(s.frames(NO_STACKID) == [])
    #expect(s.frames(9) == nil)
    #expect(s.frames(fallback_stackid(5)) == nil)
  }

  @Test func countsOfTheSameStackAreSummedAndDistinctOnesKept() {
    let counts: [CountKey: UInt64] = [
      .init(probe: 0, stackid: 3): 5,  // a by the stack map
      .init(probe: 0, stackid: fallback_stackid(0)): 2,  // a by the fallback
      .init(probe: 0, stackid: fallback_stackid(1)): 4,  // c, only by the fallback
      .init(probe: 1, stackid: fallback_stackid(0)): 1,  // a under another probe: its own entry
      .init(probe: 1, stackid: 7): 10,  // b by the stack map
      .init(probe: 1, stackid: fallback_stackid(2)): 6,  // b by the fallback
      .init(probe: 1, stackid: 9): 3,  // its stack is gone
      .init(probe: 1, stackid: fallback_stackid(40)): 2,  // an id the fallback map does not have
    ]
    let (entries, unreadable) = StackMerge.counts(counts, stacks: Self.stacks())
    #expect(
      entries == [
        .init(probe: 0, addresses: Self.a, count: 7),
        .init(probe: 0, addresses: Self.c, count: 4),
        .init(probe: 1, addresses: Self.a, count: 1),
        .init(probe: 1, addresses: Self.b, count: 16),
      ])
    #expect(unreadable == [1: 5])
    // Nothing is lost: every event is in an entry or counted unreadable.
    #expect(
      entries.reduce(0) { $0 + $1.count } + unreadable.values.reduce(0, +) == counts.values.reduce(0, +))
  }

  /// Through the writer: the capture text has each (probe, stack) once.
  @Test func mergedCaptureHasEachStackOnce() {
    let counts: [CountKey: UInt64] = [
      .init(probe: 0, stackid: 3): 5, .init(probe: 0, stackid: fallback_stackid(0)): 2,
      .init(probe: 0, stackid: fallback_stackid(1)): 1,
    ]
    let probe = AttachOutcome(group: nil, spec: .tracepoint("kvmmmu", "kvm_mmu_get_page"), method: .tpBTF)
    let raw = RawCapture(probes: [probe], entries: StackMerge.counts(counts, stacks: Self.stacks()).entries)
    let symbols = KernelSymbols(
      text: """
        ffffffff81001000 t one
        ffffffff81002000 t two
        ffffffff81003000 t three
        ffffffff81005000 t five
        """)
    #expect(
      CaptureWriter().render(raw, symbols: symbols) == """
        Attaching 1 probe...


        @[tracepoint:kvmmmu:kvm_mmu_get_page, 
            five+0
        ]: 1
        @[tracepoint:kvmmmu:kvm_mmu_get_page, 
            one+0
            two+0
            three+0
        ]: 7

        """)
  }

  @Test func latencyHistogramsAreMergedBucketByBucket() {
    let b100 = LatencyCounts.bucket(of: 100)
    let b1000 = LatencyCounts.bucket(of: 1000)
    let b5000 = LatencyCounts.bucket(of: 5000)
    let byMap = LatencyCounts(count: 3, total: 2100, min: 100, max: 1000, buckets: [(b100, 1), (b1000, 2)])
    let byFallback = LatencyCounts(
      count: 4, total: 8100, min: 100, max: 5000, buckets: [(b100, 1), (b1000, 1), (b5000, 2)])
    let other = LatencyCounts(count: 1, total: 1000, min: 1000, max: 1000, buckets: [(b1000, 1)])
    let untimedStack = LatencyCounts(count: 2, total: 200, min: 100, max: 100, buckets: [(b100, 2)])
    let hists: [CountKey: LatencyCounts] = [
      .init(probe: 0, stackid: 3): byMap,
      .init(probe: 0, stackid: fallback_stackid(0)): byFallback,
      .init(probe: 0, stackid: fallback_stackid(1)): other,
      .init(probe: 0, stackid: NO_STACKID): untimedStack,
      .init(probe: 0, stackid: 9): other,
    ]
    let (entries, unreadable) = StackMerge.latency(hists, stacks: Self.stacks())
    #expect(entries.count == 3)
    #expect(entries.map(\.addresses) == [[], Self.a, Self.c])
    #expect(entries[0].counts == untimedStack)
    #expect(
      entries[1].counts
        == LatencyCounts(
          count: 7, total: 10_200, min: 100, max: 5000, buckets: [(b100, 2), (b1000, 3), (b5000, 2)]))
    #expect(entries[2].counts == other)
    #expect(unreadable == [0: 1])
  }
}
