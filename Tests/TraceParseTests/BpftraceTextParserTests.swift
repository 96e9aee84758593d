import Foundation
import Testing

@testable import TraceParse

@Suite struct BpftraceTextParserTests {
  static let textFixtures = [
    "bpftrace-tracepoint-sys_enter_getpid-kstack", "bpftrace-kvm-mmu-tracepoints-kstack",
    "bpftrace-kvm-tracepoints-counts", "libbpf-loader-tp_btf-kvm-kstack", "qemu-tdp-bpftrace-kprobe-kstack",
    "qemu-tdp-bpftrace-kprobe-counts", "shape-named-maps", "shape-tuple-keys", "shape-kstack-ustack",
    "shape-empty-stack", "shape-indent8", "shape-perf-mode", "shape-raw-mode", "shape-unknown",
    "shape-hist-old",
    "shape-hist-new", "shape-noise", "shape-inlined", "shape-stack-value",
  ]

  @Test(arguments: textFixtures)
  func goldenModel(_ name: String) throws {
    let profile = try BpftraceTestSupport.parseFile("bpftrace/\(name).txt", parser: BpftraceTextParser())
    try BpftraceTestSupport.expectGolden(profile, name)
  }
}

@Suite struct BpftraceSeedTests {
  /// The five stacks of the user's notes, exactly: counts, root-first order, offsets.
  @Test func seedNotes() throws {
    let profile = try BpftraceTestSupport.parseFile("seed/tdp_mmu-notes.txt", parser: BpftraceTextParser())
    #expect(profile.samples.map(\.weight) == [465, 54, 2192, 447_750, 614_912])
    #expect(profile.totalWeight == 1_065_373)
    let first = profile.frames(of: profile.samples[0])
    #expect(first.first?.symbol == "entry_SYSCALL_64_after_hwframe")
    #expect(
      first.last == Frame(symbol: "kvm_tdp_mmu_map", offset: FrameOffset(5, base: .decimal), kind: .kernel))
    #expect(first[first.count - 2].name(keepOffset: true) == "direct_page_fault+862")
    let last = profile.frames(of: profile.samples[4]).map { $0.name(keepOffset: true) }
    #expect(
      last == [
        "ret_from_fork+41", "kthread+233", "worker_thread+84", "process_one_work+482",
        "tdp_mmu_zap_root_work+65",
        "__tdp_mmu_zap_root+238", "__handle_changed_spte+905", "__handle_changed_spte+905",
        "__handle_changed_spte+1",
      ])
    #expect(profile.labelSets == [Labels([.init("map", "@")])])
    try BpftraceTestSupport.expectGolden(profile, "seed-tdp_mmu-notes")
  }

  @Test func seedZapAll() throws {
    let profile = try BpftraceTestSupport.parseFile(
      "seed/tdp_mmu-notes-zap_all.txt", parser: BpftraceTextParser())
    #expect(profile.samples.count == 1)
    #expect(profile.totalWeight == 1)
    #expect(profile.frames(of: profile.samples[0]).last?.symbol == "kvm_tdp_mmu_zap_all")
  }
}
