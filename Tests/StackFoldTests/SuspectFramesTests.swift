import StackFold
import Testing
import TraceParse

@Suite struct SuspectFramesTests {
  @Test func offsetsBeyondAMegabyteAreSuspectWithoutASize() throws {
    let profile = try BPFFrameTrimTests.profile([
      (nil, BPFFrameTrimTests.bogus + ["kvm_tdp_mmu_map+5"], 40),
      (nil, ["mpls_gso_exit+429794123", "mpls_gso_exit+429794123", "kvm_tdp_mmu_put_root+5"], 3),
      (nil, ["kvm_tdp_mmu_map+1048576"], 1),
    ])
    // A stack holding the frame twice counts once; exactly 1 MB is not suspect.
    #expect(
      SuspectFrames(profile: profile).entries == [
        .init(frame: "mpls_gso_exit+429794123", size: nil, stacks: 2, weight: 43)
      ])
  }

  @Test func aKnownSizeDecides() throws {
    let profile = try BPFFrameTrimTests.profile([
      (nil, BPFFrameTrimTests.bogus + ["kvm_tdp_mmu_map+5", "direct_page_fault+848"], 40),
      (nil, ["direct_page_fault+1200"], 2),
    ])
    let sizes: [String: UInt64] = [
      "vring_alloc_queue_split.cold": 512, "direct_page_fault": 1200, "kvm_tdp_mmu_map": 900,
    ]
    let entries = SuspectFrames(profile: profile, sizes: sizes).entries
    // A return address may be the symbol's end (a call as its last instruction), not past it.
    #expect(
      entries == [
        .init(frame: "mpls_gso_exit+429794123", size: nil, stacks: 1, weight: 40),
        .init(frame: "vring_alloc_queue_split.cold+36580", size: 512, stacks: 1, weight: 40),
      ])
    #expect(SuspectFrames.reason(entries[1]) == "past the end of its 512-byte symbol")
    #expect(SuspectFrames.reason(entries[0]) == "offset beyond 1 MB")
  }

  @Test func realCapturesHaveNone() throws {
    #expect(SuspectFrames(profile: try SeedProfile.make()).entries.isEmpty)
  }
}
