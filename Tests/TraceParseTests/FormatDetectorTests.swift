import Foundation
import Testing

@testable import TraceParse

@Suite struct FormatDetectorTests {
  static func detect(_ text: String) -> InputFormat? { FormatDetector.detect(Array(text.utf8)) }

  static func detectFile(_ relative: String) throws -> InputFormat? {
    let data = try Data(contentsOf: URL(fileURLWithPath: BpftraceTestSupport.fixture(relative)))
    return FormatDetector.detect(Array(data.prefix(64 << 10)))
  }

  @Test(arguments: BpftraceTextParserTests.textFixtures)
  func bpftraceTextFixtures(_ name: String) throws {
    #expect(try Self.detectFile("bpftrace/\(name).txt") == .bpftrace)
  }

  @Test(arguments: BpftraceJSONParserTests.jsonFixtures)
  func bpftraceJSONFixtures(_ name: String) throws {
    #expect(try Self.detectFile("bpftrace/\(name).json") == .bpftraceJSON)
  }

  @Test func seedFixtures() throws {
    #expect(try Self.detectFile("seed/tdp_mmu-notes.txt") == .bpftrace)
    #expect(try Self.detectFile("seed/tdp_mmu-notes-zap_all.txt") == .bpftrace)
  }

  @Test func perfScript() {
    let perf = """
      swapper     0 [000]   256.564001:    1001001 cpu-clock:ppp: 
      \tffffffff821f4dab pv_native_safe_halt+0xb ([kernel.kallsyms])
      \tffffffff821f68b5 default_idle+0x5 ([kernel.kallsyms])

      workload.sh  6259 [001]   256.564041:    1001001 cpu-clock:ppp: 
      \t           22854 strcmp+0x3b4 (/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2)

      """
    #expect(Self.detect(perf) == .perfScript)
    let spaces = """
      pwd    2312   121.163435:     249113 cpu/cycles/P:
                ffffffff845b78d8 __build_id_parse.isra.0+0x218 ([kernel.kallsyms])
                    7f18fe337fa7 mprotect+0x7 (/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2)

      """
    #expect(Self.detect(spaces) == .perfScript)
  }

  @Test func folded() {
    #expect(
      Self.detect("as;[unknown];htab_find_with_hash 1001001\nqemu;kvm_vcpu_ioctl;kvm_tdp_mmu_map 465\n")
        == .folded)
    #expect(Self.detect("a;b 3") == .folded)
  }

  @Test func bpftraceWithoutHeader() {
    #expect(Self.detect("@[\n    kvm_tdp_mmu_map+5\n]: 1\n") == .bpftrace)
    #expect(Self.detect("@faults: 3\n") == .bpftrace)
    #expect(Self.detect("printf noise\n^C@[\n    a+1\n]: 1\n") == .bpftrace)
    #expect(Self.detect(" {\"type\": \"map\", \"data\": {\"@\": 1}}\n") == .bpftraceJSON)
  }

  @Test func nothingMatches() {
    #expect(Self.detect("") == nil)
    #expect(Self.detect("\n\n  \n") == nil)
    #expect(FormatDetector.detect([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00]) == nil)
    var garbage = SystemRandomNumberGenerator()
    let bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &garbage) }
    #expect(FormatDetector.detect(bytes) == nil)
    #expect(Self.detect("hello world\nthis is prose\n") == nil)
  }

  /// A first line longer than the prefix: its count is cut off, so only its start can be judged.
  @Test func firstLineLongerThanThePrefix() {
    let line = Array(((0..<20_000).map { "frame_\($0)" }.joined(separator: ";") + " 7\n").utf8)
    let prefix = Array(line.prefix(FormatDetector.prefixLength))
    #expect(FormatDetector.detect(prefix, inputEnded: false) == .folded)
    // The whole input was that piece: a line without a count is not folded.
    #expect(FormatDetector.detect(prefix, inputEnded: true) == nil)
    let bpftrace = Array(("@[\n" + String(repeating: "    a+1\n", count: 10_000) + "]: 1\n").utf8)
    #expect(
      FormatDetector.detect(Array(bpftrace.prefix(FormatDetector.prefixLength)), inputEnded: false)
        == .bpftrace)
    let json = Array(
      ("{\"type\": \"map\", \"data\": {\"@\": {\"" + String(repeating: "a", count: 70_000)).utf8)
    #expect(
      FormatDetector.detect(Array(json.prefix(FormatDetector.prefixLength)), inputEnded: false)
        == .bpftraceJSON)
  }
}
