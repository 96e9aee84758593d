import CTDPTraceBPF
import Foundation
import StackFold
import TDPTable
import TestSupport
import Testing
import TraceParse

@testable import LiveCapture

/// `record --faults` from the kernel's fault keys to `report --faults`: the names BTF gives the
/// outcomes, the entries the writer prints, and what the reader makes of them.
@Suite struct FaultCaptureTests {
  /// 6.1's `RET_PF_*` (mmu_internal.h) and 6.12's, which put `RET_PF_WRITE_PROTECTED` at 3 and
  /// moved every later value up by one.
  static let outcomes61: [Int64: String] = [
    0: "RET_PF_CONTINUE", 1: "RET_PF_RETRY", 2: "RET_PF_EMULATE", 3: "RET_PF_INVALID", 4: "RET_PF_FIXED",
    5: "RET_PF_SPURIOUS",
  ]
  static let outcomes612: [Int64: String] = [
    0: "RET_PF_CONTINUE", 1: "RET_PF_RETRY", 2: "RET_PF_EMULATE", 3: "RET_PF_WRITE_PROTECTED",
    4: "RET_PF_INVALID", 5: "RET_PF_FIXED", 6: "RET_PF_SPURIOUS",
  ]

  /// The same return value names a different outcome on each kernel: only the kernel's own
  /// enum can name it, and a value outside it stays a number.
  @Test func outcomesAreNamedByTheKernelsOwnEnum() {
    #expect(FaultCaptureKey.outcomeToken(4, names: Self.outcomes61) == "RET_PF_FIXED")
    #expect(FaultCaptureKey.outcomeToken(4, names: Self.outcomes612) == "RET_PF_INVALID")
    #expect(FaultCaptureKey.outcomeToken(9, names: Self.outcomes612) == "9")
    #expect(FaultCaptureKey.outcomeToken(nil, names: Self.outcomes612) == "none")
    let layout61 = FaultLayout(outcomes: Self.outcomes61)
    let layout612 = FaultLayout(outcomes: Self.outcomes612)
    #expect(layout61.fixedByFastPath == [4, 5] && layout612.fixedByFastPath == [5, 6])
    #expect(layout61.value(of: "RET_PF_RETRY") == 1)
    var cfg = config()
    layout612.apply(to: &cfg)
    #expect(cfg.ret_pf_retry == 1 && cfg.vcpu_id_offset == -1 && cfg.pf_goal_level_offset == -1)
    #expect(
      FaultCaptureKey.outcomesLine(Self.outcomes61).hasPrefix(
        "# fault-outcomes: RET_PF_CONTINUE=0 RET_PF_RETRY=1"))
    #expect(FaultLayout().missing.count == 4)
  }

  @Test func levelsAndPathsHaveOneSpelling() {
    for level in 1...6 { #expect(FaultCaptureKey.level(of: FaultCaptureKey.levelToken(level)) == level) }
    #expect(FaultCaptureKey.levelToken(nil) == "-" && FaultCaptureKey.levelToken(0) == "-")
    #expect(FaultCaptureKey.level(of: "-") == nil && FaultCaptureKey.level(of: "L3") == nil)
    #expect(FaultCaptureKey.pathToken(fastReturn: 5, attached: true, fixed: [5, 6]) == "fast")
    #expect(FaultCaptureKey.pathToken(fastReturn: 4, attached: true, fixed: [5, 6]) == "slow")
    #expect(FaultCaptureKey.pathToken(fastReturn: nil, attached: true, fixed: [5, 6]) == "slow")
    #expect(FaultCaptureKey.pathToken(fastReturn: nil, attached: false, fixed: [5, 6]) == "-")
  }

  /// On a kernel whose kvm module has BTF (this host's, the guests'), the offsets and the enum
  /// are found; elsewhere there is nothing to read.
  @Test(.enabled(if: FileManager.default.fileExists(atPath: "/sys/kernel/btf/kvm")))
  func theRunningKernelsBTFGivesOffsetsAndOutcomes() {
    let layout = FaultLayout(features: KernelFeatures())
    #expect(layout.value(of: "RET_PF_RETRY") == 1)
    #expect(layout.value(of: "RET_PF_FIXED") != nil && layout.value(of: "RET_PF_SPURIOUS") != nil)
    #expect(layout.vcpuIDOffset != nil && layout.gfnOffset != nil)
    #expect(layout.reqLevelOffset != nil && layout.goalLevelOffset != nil)
    #expect(layout.missing.isEmpty)
  }

  /// Two vCPUs of VM 4242 under 6.12's numbering: vCPU 0 fixed 5 faults by the slow path and
  /// retried 120 times (117 in a row on one gfn), vCPU 1 took 3 by the fast path; one exit had
  /// no entry. Two of vCPU 0's stacks differ only by their BPF frames.
  static func capture() -> RawCapture {
    let fault = AttachOutcome(group: "fault-fault", spec: .function("kvm_mmu_page_fault"), method: .kprobe)
    let outcome = AttachOutcome(
      group: "fault-outcome", spec: .function("kvm_tdp_page_fault"), method: .kprobe)
    let fast = AttachOutcome(
      group: "fault-fast-path", spec: .tracepoint("kvmmmu", "fast_page_fault"), method: .tpBTF)
    let base: UInt64 = 0xffff_ffff_8100_0000
    let stack: [UInt64] = [0xffff_ffff_c010_1000 + 848, base + 0x5000 + 3000, base + 0x100 + 118]
    let bpf: [UInt64] = [0xffff_ffff_c020_0000 + 64]
    let counts = LatencyCounts.of
    var capture = RawCapture(probes: [fault, outcome, fast])
    capture.faultLayout = FaultLayout(outcomes: outcomes612)
    capture.faults = [
      .init(
        tgid: 4242, vcpu: 0, outcome: 5, fastReturn: 4, reqLevel: 2, goalLevel: 1, addresses: bpf + stack,
        counts: counts([1100, 2100, 2200])),
      .init(
        tgid: 4242, vcpu: 0, outcome: 5, fastReturn: 4, reqLevel: 2, goalLevel: 1, addresses: stack,
        counts: counts([1050, 2300])),
      .init(
        tgid: 4242, vcpu: 0, outcome: 1, fastReturn: nil, reqLevel: 2, goalLevel: 2, addresses: stack,
        counts: counts(Array(repeating: 540, count: 119) + [575])),
      .init(
        tgid: 4242, vcpu: 1, outcome: 5, fastReturn: 5, reqLevel: 1, goalLevel: 1, addresses: stack,
        counts: counts([260, 270, 280])),
    ]
    capture.retryRuns = [.init(tgid: 4242, vcpu: 0, gfn: 0x1f2, run: 117)]
    capture.elapsedNanoseconds = 2_000_000_000
    capture.drops = [.init(probe: 0, reason: .exitWithoutEntry): 1]
    return capture
  }

  @Test func writesOneFaultCaptureGolden() throws {
    let text = CaptureWriter().render(Self.capture(), symbols: try CaptureWriterTests.symbols())
    try TDPFixture.expectGolden(text, "fixtures/record/capture-faults.golden.txt")
  }

  /// Every fault the kernel counted comes back: `fold` weighs the entry stacks by faults, and
  /// the anatomy finds each vCPU's faults, outcomes, fast path, levels, run and the drop.
  @Test func theAnatomyReadsBackEveryFault() throws {
    let capture = Self.capture()
    let text = CaptureWriter().render(capture, symbols: try CaptureWriterTests.symbols())
    var reader = LineReader(string: text, name: "faults")
    var builder = ProfileBuilder()
    try ProfileLoader.parser(for: .bpftrace).parse(
      &reader, into: &builder, options: ParseOptions(sourceName: "faults"))
    let profile = builder.build()
    let total = capture.faults.reduce(0) { $0 + $1.counts.count }
    #expect(total == 128)
    #expect(profile.samples.reduce(0) { $0 + $1.weight } == total)
    #expect(profile.notes.isEmpty)
    let anatomy = try FaultAnatomy(profile: profile, stuckRetries: 100)
    #expect(anatomy.faults == total && anatomy.vms == 1)
    #expect(anatomy.rows.map(\.label) == ["VM 4242 vCPU 0", "VM 4242 vCPU 1"])
    let (zero, one) = (anatomy.rows[0], anatomy.rows[1])
    #expect(zero.faults == 125 && zero.retries == 120 && zero.fast == 0)
    #expect(zero.outcomes.map(\.outcome) == ["RET_PF_RETRY", "RET_PF_FIXED"])
    #expect(zero.levels == ["4K": 5, "2M": 120])
    #expect(
      zero.all.max == 2300 && zero.all.sum == Double(1100 + 2100 + 2200 + 1050 + 2300 + 119 * 540 + 575))
    #expect(zero.longestRetryRun?.run == 117 && zero.longestRetryRun?.gfn == "0x1f2")
    #expect(one.faults == 3 && one.fast == 3 && one.outcomes.map(\.outcome) == ["RET_PF_FIXED"])
    #expect(anatomy.stuck.map(\.vcpu) == ["0"])
    #expect(try FaultAnatomy(profile: profile, stuckRetries: 118).stuck.isEmpty)
    #expect(
      anatomy.drops.map { "\($0.probe) \($0.reason) \($0.count)" } == [
        "kprobe:kvm_mmu_page_fault exit_without_entry 1"
      ])
    #expect(anatomy.rate(125) == 62.5)
    let byVM = try FaultAnatomy(profile: profile, by: .vm)
    #expect(byVM.rows.count == 1 && byVM.rows[0].faults == 128 && byVM.rows[0].vcpu == nil)
    #expect(byVM.rows[0].longestRetryRun?.vcpu == "0")
  }

  @Test func aCaptureWithoutFaultHistogramsIsRefused() throws {
    var reader = LineReader(
      string: "@[kprobe:kvm_tdp_mmu_map, \n    kvm_tdp_mmu_map+5\n]: 3\n", name: "count")
    var builder = ProfileBuilder()
    try ProfileLoader.parser(for: .bpftrace).parse(
      &reader, into: &builder, options: ParseOptions(sourceName: "count"))
    #expect(throws: FaultAnatomyError.self) { try FaultAnatomy(profile: builder.build()) }
  }

  /// The preset attaches the fault bracket, the handler and the fast path's tracepoint, each
  /// in its own group so a function never keeps the tracepoint out.
  @Test func thePresetHasEachPartInItsOwnGroup() {
    let table = ProbeTable.tdpMMUFaults
    #expect(table.groups.map(\.name) == ["fault-fault", "fault-outcome", "fault-fast-path"])
    #expect(table.groups[0].recordedFunctions == ["kvm_mmu_page_fault"])
    #expect(table.groups[1].recordedFunctions == ["kvm_tdp_page_fault", "tdp_page_fault"])
    #expect(table.groups[2].recordedTracepoints.map(\.name) == ["kvmmmu:fast_page_fault"])
    #expect(CaptureSession.faultRole(.function("kvm_mmu_page_fault"), group: "fault-fault") == .fault)
    #expect(CaptureSession.faultRole(.function("kvm_tdp_page_fault"), group: "fault-outcome") == .outcome)
    #expect(CaptureSession.isFastPath(.tracepoint("kvmmmu", "fast_page_fault")))
    #expect(CaptureSession.faultPrograms(.fault, .kprobe) == ["tdp_fault_kprobe", "tdp_fault_kretprobe"])
    #expect(CaptureSession.faultPrograms(.outcome, .fentry) == ["tdp_outcome_fentry", "tdp_outcome_fexit"])
  }
}
