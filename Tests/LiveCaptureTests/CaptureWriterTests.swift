import Foundation
import TestSupport
import Testing
import TraceParse

@testable import LiveCapture

@Suite struct CaptureWriterTests {
  static func symbols() throws -> KernelSymbols {
    KernelSymbols(text: try Fixtures.text("fixtures/record/kallsyms.txt"))
  }

  @Test func kallsymsLookupUsesDecimalOffsetsAndModules() throws {
    let s = try Self.symbols()
    #expect(s.count == 20)
    #expect(s.name(of: 0xffff_ffff_8100_8000 + 1083) == "__kvm_mmu_get_shadow_page+1083")
    #expect(s.name(of: 0xffff_ffff_c010_0000 + 5) == "kvm_tdp_mmu_map+5")
    #expect(s.lookup(0xffff_ffff_c010_0005)?.symbol.module == "kvm")
    #expect(s.function(named: "kvm_tdp_mmu_map")?.module == "kvm")
    #expect(s.function(named: "some_data") == nil)  // data, not text
    #expect(s.function(named: "tdp_mmu_zap_root") == nil)
    #expect(s.name(of: 0x1000) == "0x1000")  // below every symbol
  }

  /// Two raw stacks that differ only in their BPF frames merge; drops become a non-stack map.
  static func capture() -> RawCapture {
    let getPage = AttachOutcome(
      group: "init-sp", spec: .tracepoint("kvmmmu", "kvm_mmu_get_page"), method: .tpBTF)
    let zap = AttachOutcome(
      group: "zap", spec: .tracepoint("kvmmmu", "kvm_mmu_prepare_zap_page"), method: .rawTracepoint)
    let map = AttachOutcome(group: "map", spec: .function("kvm_tdp_mmu_map"), method: .fentry)
    let base: UInt64 = 0xffff_ffff_8100_0000
    let getPageStack: [UInt64] = [
      base + 0x8000 + 1083, base + 0x7000 + 137, base + 0x6000 + 2034, base + 0x5000 + 3000,
      base + 0x4000 + 279,
      base + 0x3000 + 155, base + 0x2000 + 113, base + 0x100 + 118,
    ]
    let zapStack: [UInt64] = [
      base + 0xe000 + 717, base + 0xd000 + 94, base + 0xc000 + 41, base + 0xb000 + 289, base + 0xa000 + 57,
      base + 0x2000 + 113, base + 0x100 + 118,
    ]
    let bpf: [UInt64] = [0xffff_ffff_c020_0000 + 64, base + 0x9000 + 242]
    let fentryStack: [UInt64] = [
      0xffff_ffff_c020_0000 + 63, 0xffff_ffff_c020_1000 + 81, 0xffff_ffff_c010_0000 + 5,
      0xffff_ffff_c010_1000 + 848,
    ]
    return RawCapture(
      probes: [getPage, zap, map],
      entries: [
        .init(probe: 0, addresses: bpf + getPageStack, count: 1000),
        .init(
          probe: 0, addresses: [0xffff_ffff_c020_0000 + 70, base + 0x9000 + 250] + getPageStack, count: 160),
        .init(probe: 1, addresses: bpf + zapStack, count: 1189),
        .init(probe: 2, addresses: fentryStack, count: 228),
      ],
      drops: [.init(probe: 0, reason: .stackCollision): 3, .init(probe: 1, reason: .countsFull): 1])
  }

  @Test func rendersBpftraceTextGolden() throws {
    let text = CaptureWriter().render(Self.capture(), symbols: try Self.symbols())
    try TDPFixture.expectGolden(text, "fixtures/record/capture.golden.txt")
  }

  @Test func rendersPerfModeGolden() throws {
    let text = CaptureWriter(keepAddresses: true).render(Self.capture(), symbols: try Self.symbols())
    try TDPFixture.expectGolden(text, "fixtures/record/capture-addresses.golden.txt")
  }

  @Test func everyCountComesOut() throws {
    let capture = Self.capture()
    let writer = CaptureWriter()
    let stacks = writer.stacks(capture, symbols: try Self.symbols())
    #expect(stacks.reduce(0) { $0 + $1.count } == capture.totalCount)
    #expect(stacks.count == 3)  // the two get_page stacks merged after stripping
    #expect(writer.drops(capture).reduce(0) { $0 + $1.count } == capture.totalDrops)
    #expect(stacks.map(\.count) == stacks.map(\.count).sorted())
  }

  /// The project's bpftrace reader takes both output forms whole: every count, drops as map values.
  @Test(arguments: ["fixtures/record/capture.golden.txt", "fixtures/record/capture-addresses.golden.txt"])
  func profileLoaderReadsTheOutput(path: String) throws {
    let profile = try ProfileLoader().load(path: Fixtures.path(path))
    #expect(profile.totalWeight == Self.capture().totalCount)
    #expect(profile.samples.count == 3)
    #expect(profile.values.map(\.map) == ["@tdptrace_drops", "@tdptrace_drops"])
  }
}
