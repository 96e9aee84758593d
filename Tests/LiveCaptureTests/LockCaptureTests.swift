import CTDPTraceBPF
import Foundation
import StackFold
import TDPTable
import TestSupport
import Testing
import TraceParse

@testable import LiveCapture

/// `record --mmu-lock` from the kernel's attribution rules (the header's `holders_*`, which the
/// BPF program runs) to `report --mmu-lock`.
@Suite struct LockCaptureTests {
  /// The holder a wait ending after `events` is blamed on: `("enter", tid, probe)` and
  /// `("exit", tid)` in order, through the header's functions.
  static func blame(_ events: [(String, UInt32, Int32)]) -> (holder: Int32, overlaps: UInt64) {
    var h = lock_holders()
    for (kind, tid, probe) in events {
      if kind == "enter" { holders_enter(&h, tid, probe) } else { holders_exit(&h, tid) }
    }
    return (holders_innermost(&h), h.overlaps)
  }

  @Test func aWaitIsBlamedOnTheInnermostHolderInsideWhenItEnds() {
    // No holder ever, and one that left before the wait ended.
    #expect(Self.blame([]).holder == NO_HOLDER)
    #expect(Self.blame([("enter", 7, 3), ("exit", 7, 0)]).holder == NO_HOLDER)
    // A wait that began before the holder entered and ends while it is inside: the holder.
    #expect(Self.blame([("enter", 7, 3)]).holder == 3)
    // Nested: kvm_set_memslot (3) calls kvm_mmu_zap_all_fast (5): the inner one, then the
    // outer again once the inner returned.
    #expect(Self.blame([("enter", 7, 3), ("enter", 7, 5)]).holder == 5)
    #expect(Self.blame([("enter", 7, 3), ("enter", 7, 5), ("exit", 7, 0)]).holder == 3)
    // A second task entering a holder while the first is inside is not the holder, and its
    // exit does not end the first one's bracket.
    let overlap = Self.blame([("enter", 7, 3), ("enter", 8, 6), ("exit", 8, 0)])
    #expect(overlap.holder == 3 && overlap.overlaps == 1)
    // Deeper than HOLDER_DEPTH: the exits still balance, and the 4th level is the innermost.
    let deep = (1...6).map { ("enter", UInt32(7), Int32($0)) }
    #expect(Self.blame(deep).holder == 4)
    #expect(Self.blame(deep + [("exit", 7, 0), ("exit", 7, 0)]).holder == 4)
    #expect(Self.blame(deep + Array(repeating: ("exit", 7, 0), count: 3)).holder == 3)
    #expect(Self.blame(deep + Array(repeating: ("exit", 7, 0), count: 6)).holder == NO_HOLDER)
  }

  @Test func modesAreTheWaitersFlags() {
    #expect(LockCaptureKey.modeToken(flags: 1 | 2) == "read")
    #expect(LockCaptureKey.modeToken(flags: 1 | 4) == "write")
    #expect(LockCaptureKey.modeToken(flags: 32) == "flags0x20")
  }

  /// VM 4242: vCPU faults waited for read while kvm_mmu_zap_all_fast (inside kvm_set_memslot)
  /// and the MMU notifier held the lock; one wait had no holder inside.
  static func capture() -> RawCapture {
    let vcpu = AttachOutcome(group: "lock-vcpu", spec: .function("kvm_mmu_page_fault"), method: .kprobe)
    let begin = AttachOutcome(
      group: "lock-wait", spec: .tracepoint("lock", "contention_begin"), method: .tpBTF)
    let end = AttachOutcome(group: "lock-wait", spec: .tracepoint("lock", "contention_end"), method: .tpBTF)
    let zap = AttachOutcome(group: "lock-holder", spec: .function("kvm_mmu_zap_all_fast"), method: .kprobe)
    let notifier = AttachOutcome(
      group: "lock-holder", spec: .function("kvm_mmu_notifier_invalidate_range_start"), method: .kprobe)
    let base: UInt64 = 0xffff_ffff_8100_0000
    // A vCPU fault (kvm_arch_vcpu_ioctl_run -> ... -> direct_page_fault) waiting for read.
    let fault: [UInt64] = [0xffff_ffff_c010_1000 + 848, base + 0x5000 + 3000, base + 0x100 + 118]
    let counts = LatencyCounts.of
    var capture = RawCapture(probes: [vcpu, begin, end, zap, notifier])
    capture.lockLayout = FaultLayout(vcpuKVMOffset: 0x68, mmuLockOffset: 0x1000)
    // VM teardown (close -> kvm_destroy_vm) waiting for write: no vCPU thread.
    let destroy: [UInt64] = [base + 0xb000 + 40, base + 0xa000 + 10, base + 0x100 + 118]
    capture.lockWaits = [
      .init(
        tgid: 4242, vcpu: 0, flags: 3, holder: 3, addresses: fault, counts: counts([30_000, 50_000, 70_000])),
      .init(tgid: 4242, vcpu: 1, flags: 3, holder: 4, addresses: fault, counts: counts([10_000])),
      .init(tgid: 4242, vcpu: 1, flags: 3, holder: nil, addresses: fault, counts: counts([2_000])),
      .init(tgid: 4242, flags: 5, holder: nil, addresses: destroy, counts: counts([4_000])),
    ]
    capture.holderOverlaps = [4242: 2]
    capture.elapsedNanoseconds = 1_000_000_000
    return capture
  }

  @Test func writesOneLockCaptureGolden() throws {
    let text = CaptureWriter().render(Self.capture(), symbols: try CaptureWriterTests.symbols())
    try TDPFixture.expectGolden(text, "fixtures/record/capture-mmu-lock.golden.txt")
  }

  @Test func theWaitsReadBackByHolderWaiterAndMode() throws {
    let text = CaptureWriter().render(Self.capture(), symbols: try CaptureWriterTests.symbols())
    var reader = LineReader(string: text, name: "lock")
    var builder = ProfileBuilder()
    try ProfileLoader.parser(for: .bpftrace).parse(
      &reader, into: &builder, options: ParseOptions(sourceName: "lock"))
    let profile = builder.build()
    #expect(profile.notes.isEmpty)
    let waits = try MMULockWaits(profile: profile)
    #expect(waits.vms.count == 1)
    let vm = waits.vms[0]
    #expect(vm.vm == "4242" && vm.waits == 6 && vm.nanoseconds == 166_000 && vm.overlaps == 2)
    #expect(
      vm.holders.map(\.name) == ["kvm_mmu_zap_all_fast", "kvm_mmu_notifier_invalidate_range_start", "-"])
    #expect(vm.holders.map(\.waits) == [3, 1, 2] && vm.unexplained == 6_000)
    #expect(vm.modes.map(\.name) == ["read", "write"])
    #expect(vm.waiters.map(\.name) == [PathOrigin.vcpuFault.label, PathOrigin.vmDestroy.label])
    // Per vCPU, heaviest first; the teardown's wait is no vCPU's.
    #expect(vm.vcpus.map(\.name) == ["0", "1", "-"])
    #expect(vm.vcpus.map(\.waits) == [3, 2, 1])
    #expect(vm.vcpus[0].holders.map(\.name) == ["kvm_mmu_zap_all_fast"])
    #expect(vm.vcpus[1].holders.map(\.name) == ["kvm_mmu_notifier_invalidate_range_start", "-"])
    #expect(waits.elapsedNanoseconds == 1_000_000_000)
  }
}
