import Foundation
import StackFold
import TDPTable
import TestSupport
import Testing
import TraceParse

@testable import LiveCapture

/// `record --spte` from the kernel's counts to `report --spte`: the change keys the BPF program
/// counts under, the masks' source, the `@spte` entries the writer prints, and the ledger the
/// reader makes of them.
@Suite struct SPTECaptureTests {
  static let npt = SPTEMasks.npt(physicalBits: 48)

  /// Real NPT values (Tests/StackFoldTests/SPTETransitionTests.swift): a 4K leaf, the same with
  /// W cleared, and a 2M leaf.
  static let leaf: UInt64 = 0x1234_5e67
  static let hugeLeaf: UInt64 = 0x8000_0000_4000_0ee7

  static func key(_ old: UInt64, _ new: UInt64, level: Int) -> UInt32 {
    let oldClass = SPTEClass(old, level: level, masks: npt)
    let newClass = SPTEClass(new, level: level, masks: npt)
    let bothPresent = oldClass.contains(.present) && newClass.contains(.present)
    return SPTEClass.key(
      level: level, old: oldClass, new: newClass, pfnChanged: bothPresent && (old ^ new) & SPTEMasks.pfn != 0)
  }

  static func capture() -> RawCapture {
    var capture = CaptureWriterTests.capture()
    let spteProbe = UInt32(capture.probes.count)
    capture.probes.append(
      AttachOutcome(
        group: "spte-change", spec: .tracepoint("kvmmmu", "kvm_tdp_mmu_spte_changed"), method: .tpBTF))
    let stack = capture.entries[3].addresses  // the fentry stack of kvm_tdp_mmu_map
    capture.entries += [
      .init(probe: spteProbe, addresses: stack, count: 4096, spte: key(0, leaf, level: 1)),
      .init(probe: spteProbe, addresses: stack, count: 3, spte: key(0, hugeLeaf, level: 2)),
      .init(probe: spteProbe, addresses: stack, count: 7, spte: key(leaf, leaf & ~0x2, level: 1)),
    ]
    let splitProbe = UInt32(capture.probes.count)
    capture.probes.append(
      AttachOutcome(
        group: "spte-change", spec: .tracepoint("kvmmmu", "kvm_mmu_split_huge_page"), method: .tpBTF))
    capture.entries += [
      .init(
        probe: splitProbe, addresses: stack, count: 11, spte: SPTECaptureKey.splitKey(level: 2, errno: 0)),
      .init(
        probe: splitProbe, addresses: stack, count: 1, spte: SPTECaptureKey.splitKey(level: 2, errno: -ENOMEM)
      ),
    ]
    capture.spteMasks = SPTEMaskReading(masks: npt, source: "preset (NPT, 48 physical address bits): test")
    return capture
  }

  @Test func changeKeysRoundTripAndNeverLookLikeOrdinaryProbes() {
    let old = SPTEClass(token: "PLWADX--")!
    let new = SPTEClass(token: "-------F")!
    let key = SPTEClass.key(level: 2, old: old, new: new, pfnChanged: true)
    #expect(key != 0)
    let change = SPTEClass.change(key: key)
    #expect(change?.level == 2 && change?.old == old && change?.new == new && change?.pfnChanged == true)
    #expect(SPTEClass.change(key: 0) == nil)
    #expect(
      SPTEClass.change(key: SPTEClass.key(level: 300, old: [], new: [], pfnChanged: false))?.level == 255)
  }

  @Test func writesTheMasksAndOneSPTEMapGolden() throws {
    let text = CaptureWriter().render(Self.capture(), symbols: try CaptureWriterTests.symbols())
    try TDPFixture.expectGolden(text, "fixtures/record/capture-spte.golden.txt")
  }

  /// What the writer prints, the reader files: every change in its cell, the other probes
  /// untouched.
  @Test func theLedgerReadsBackEveryChange() throws {
    let capture = Self.capture()
    let text = CaptureWriter().render(capture, symbols: try CaptureWriterTests.symbols())
    var reader = LineReader(string: text, name: "spte")
    var builder = ProfileBuilder()
    try ProfileLoader.parser(for: .bpftrace).parse(
      &reader, into: &builder, options: ParseOptions(sourceName: "spte"))
    let profile = builder.build()
    #expect(profile.samples.reduce(0) { $0 + $1.weight } == capture.totalCount)
    let ledger = try SPTELedger(profile: profile)
    #expect(ledger.total == 4096 + 3 + 7)
    #expect(ledger.counts[.init(kind: .installLeaf, level: 1)] == 4096)
    #expect(ledger.counts[.init(kind: .installLeaf, level: 2)] == 3)
    #expect(ledger.counts[.init(kind: .writeProtect, level: 1)] == 7)
    #expect(ledger.origins.map(\.origin) == [.vcpuFault])
    // The splits: their total as the tracepoint's event, and by level and result.
    #expect(ledger.events == ["kvm_mmu_split_huge_page": 12])
    #expect(ledger.splits == [.init(level: 2, result: "ok"): 11, .init(level: 2, result: "-ENOMEM"): 1])
    #expect(ledger.origins.first?.splits == ledger.splits)
  }

  /// `Self.capture()` with two operations: op1, a memslot ioctl that zapped 4K leaves (5 of
  /// them) and split a 2M page, flushed, then zapped 2 more and returned (2 unflushed); op2, an
  /// MMU notifier invalidation still running at stop.
  static func captureWithOperations() -> RawCapture {
    var capture = capture()
    let root = UInt32(capture.probes.count)
    capture.probes.append(
      AttachOutcome(group: "callers", spec: .function("kvm_set_memslot"), method: .kprobe))
    let notifier = UInt32(capture.probes.count)
    capture.probes.append(
      AttachOutcome(
        group: "callers", spec: .function("kvm_mmu_notifier_invalidate_range_start"), method: .kprobe))
    let stack = capture.entries[3].addresses
    let spteProbe = capture.entries.first { $0.spte != 0 }!.probe
    let splitProbe = capture.entries.last!.probe
    capture.entries += [
      .init(probe: spteProbe, addresses: stack, count: 7, spte: key(leaf, 0, level: 1), op: 1),
      .init(probe: spteProbe, addresses: stack, count: 1, spte: key(hugeLeaf, 0, level: 2), op: 2),
      .init(
        probe: splitProbe, addresses: stack, count: 1, spte: SPTECaptureKey.splitKey(level: 2, errno: 0),
        op: 1),
    ]
    capture.operations = [
      .init(
        op: 1, probe: root, addresses: stack, pid: 4242, tid: 4243, comm: "qemu, kvm\n", start: 1_000,
        duration: 2_500_000, changes: 7, splits: 1, flushes: 1, leafZaps: 7, unflushed: 2),
      .init(
        op: 2, probe: notifier, addresses: stack, pid: 4242, tid: 4244, comm: "kworker", start: 9_000,
        duration: nil, changes: 1, splits: 0, flushes: 0, leafZaps: 1, unflushed: 1),
    ]
    return capture
  }

  /// The operations round trip: written as `@spte_op` entries and OP members, read back as the
  /// per-operation ledger, the unflushed zap flagged only on the one that returned.
  @Test func operationsRoundTripIntoThePerOperationLedger() throws {
    let capture = Self.captureWithOperations()
    let text = CaptureWriter().render(capture, symbols: try CaptureWriterTests.symbols())
    try TDPFixture.expectGolden(text, "fixtures/record/capture-spte-ops.golden.txt")
    #expect(
      text.contains(
        "@spte_op[kprobe:kvm_set_memslot, op1, 4242, 4243, qemu??kvm?, 1000, 2500000, 7, 1, 1, 7, 2, \n"))
    #expect(text.contains(", running, 1, 0, 0, 1, 1, \n"))
    var reader = LineReader(string: text, name: "spte")
    var builder = ProfileBuilder()
    try ProfileLoader.parser(for: .bpftrace).parse(
      &reader, into: &builder, options: ParseOptions(sourceName: "spte"))
    let ledger = try SPTELedger(profile: builder.build())
    // Every change still counted once: the operations' changes are among the origins'.
    #expect(ledger.total == 4096 + 3 + 7 + 7 + 1)
    #expect(ledger.operations.map(\.id) == [1, 2])
    let memslot = try #require(ledger.operations.first)
    #expect(memslot.root == "kvm_set_memslot" && memslot.pid == 4242 && memslot.tid == 4243)
    #expect(memslot.duration == 2_500_000 && memslot.changes == 7 && memslot.entryChanges == 7)
    #expect(memslot.counts == [.init(kind: .zapLeaf, level: 1): 7])
    #expect(memslot.splits == [.init(level: 2, result: "ok"): 1] && memslot.splitCount == 1)
    #expect(memslot.flushes == 1 && memslot.leafZaps == 7 && memslot.unflushed == 2 && memslot.unflushedZap)
    let running = ledger.operations[1]
    #expect(running.duration == nil && !running.unflushedZap && running.counts.values.reduce(0, +) == 1)
    #expect(ledger.changesOfUnlistedOperations.isEmpty)
  }

  /// Changes of an operation the kernel had no room to list, and OP members that are neither
  /// `op<N>` nor `-`: counted apart, and refused (or with --lenient skipped with their weight).
  @Test func unlistedOperationsAndBadOPMembers() throws {
    var capture = Self.captureWithOperations()
    capture.operations.removeLast()
    let text = CaptureWriter().render(capture, symbols: try CaptureWriterTests.symbols())
    func ledger(_ text: String, lenient: Bool = false) throws -> SPTELedger {
      var reader = LineReader(string: text, name: "spte")
      var builder = ProfileBuilder()
      try ProfileLoader.parser(for: .bpftrace).parse(
        &reader, into: &builder, options: ParseOptions(sourceName: "spte"))
      return try SPTELedger(profile: builder.build(), lenient: lenient)
    }
    #expect(try ledger(text).changesOfUnlistedOperations == [2: 1])
    let bad = text.replacingOccurrences(of: "pfn-same, op2, ", with: "pfn-same, opx, ")
    #expect(bad != text)
    #expect(throws: SPTELedgerError.self) { try ledger(bad) }
    let skipped = try ledger(bad, lenient: true)
    #expect(skipped.skippedEntries == 1 && skipped.skippedWeight == 1)
    let badOp = text.replacingOccurrences(of: ", 7, 1, 1, 7, 2, ", with: ", 7, 1, 1, 7, 9, ")
    #expect(badOp != text)
    #expect(throws: SPTELedgerError.self) { try ledger(badOp) }
  }

  @Test func splitKeysRoundTripAndAreNeitherChangesNorOrdinary() {
    let key = SPTECaptureKey.splitKey(level: 3, errno: -ENOMEM)
    #expect(SPTECaptureKey.split(key: key)?.level == 3)
    #expect(SPTECaptureKey.split(key: key)?.errno == Int(ENOMEM))
    #expect(SPTEClass.change(key: key) == nil)
    #expect(SPTECaptureKey.split(key: 0) == nil)
    #expect(SPTECaptureKey.split(key: SPTEClass.key(level: 2, old: [], new: [], pfnChanged: false)) == nil)
    #expect(SPTECaptureKey.split(key: SPTECaptureKey.splitKey(level: 2, errno: -1000))?.errno == 255)
    #expect(SPTECaptureKey.resultToken(errno: 12) { _ in "ENOMEM" } == "-ENOMEM")
    #expect(SPTECaptureKey.resultToken(errno: 77) { _ in nil } == "-77")
    #expect(SPTECaptureKey.resultToken(errno: 0) { _ in nil } == "ok")
  }

  @Test func masksComeFromTheKernelWhenEveryGlobalWasRead() {
    let values = Self.npt.values
    let hardware = { (SPTEMasks.ept(adBits: true), "EPT") }
    let all = SPTEMaskReading.resolve(
      values: values, read: 0x1ff, addressed: Array(repeating: true, count: 9), hardware: hardware)
    #expect(all == SPTEMaskReading(masks: Self.npt, source: "kernel (9 shadow_* globals read at attach)"))

    var addressed = Array(repeating: true, count: 9)
    addressed[2] = false
    let unlisted = SPTEMaskReading.resolve(
      values: values, read: 0x1fb, addressed: addressed, hardware: hardware)
    #expect(unlisted.masks == .ept(adBits: true))
    #expect(unlisted.source == "preset (EPT): shadow_x_mask not in kallsyms (CONFIG_KALLSYMS_ALL off?)")

    let failed = SPTEMaskReading.resolve(
      values: values, read: 0, addressed: Array(repeating: true, count: 9),
      failure: "the test run failed: EINVAL",
      hardware: hardware)
    #expect(failed.source == "preset (EPT): the test run failed: EINVAL")
  }

  @Test func thePresetFollowsTheHardware() {
    let amd = "processor\t: 0\nflags\t\t: fpu svm npt\naddress sizes\t: 40 bits physical, 48 bits virtual\n"
    let (amdMasks, amdText) = SPTEMaskReading.preset(cpuinfo: amd, eptAD: nil)
    #expect(amdMasks == .npt(physicalBits: 40))
    #expect(amdText == "NPT, 40 physical address bits")
    let intel = "flags\t\t: fpu vmx ept\naddress sizes\t: 46 bits physical, 48 bits virtual\n"
    let (intelMasks, intelText) = SPTEMaskReading.preset(cpuinfo: intel, eptAD: "N\n")
    #expect(intelMasks.accessed == 0 && intelMasks.dirty == 0 && intelMasks.exec == 1 << 2)
    #expect(intelText.hasPrefix("EPT, kvm_intel.ept_ad=N"))
  }
}
