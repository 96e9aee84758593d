import Foundation
import Testing

@testable import TraceParse

@Suite struct BpftraceJSONParserTests {
  static let jsonFixtures = [
    "bpftrace-tracepoint-sys_enter_getpid-kstack", "bpftrace-tracepoint-probe-kstack-tuple",
    "bpftrace-kvm-mmu-tracepoints-kstack", "shape-json-old", "shape-json-new",
  ]

  @Test(arguments: jsonFixtures)
  func goldenModel(_ name: String) throws {
    let profile = try BpftraceTestSupport.parseFile("bpftrace/\(name).json", parser: BpftraceJSONParser())
    try BpftraceTestSupport.expectGolden(profile, name + ".json")
  }

  /// The same capture as text and as JSON gives the same samples.
  @Test func textAndJSONAgree() throws {
    let text = try BpftraceTestSupport.parseFile(
      "bpftrace/bpftrace-tracepoint-sys_enter_getpid-kstack.txt", parser: BpftraceTextParser())
    let json = try BpftraceTestSupport.parseFile(
      "bpftrace/bpftrace-tracepoint-sys_enter_getpid-kstack.json", parser: BpftraceJSONParser())
    #expect(text.frames(of: text.samples[0]) == json.frames(of: json.samples[0]))
    #expect(text.labelSets == json.labelSets)
  }

  /// bpftrace 0.23 (Debian 13's, in the 6.12 guest) joins a tuple key's stack lines with an
  /// escaped `\n`: the same key as 0.17's real newlines, the same sample.
  @Test func escapedNewlinesInATupleKeyAreAStack() throws {
    let escaped =
      #"{"type": "map", "data": {"@": {"kprobe:handle_changed_spte,\\n        handle_changed_spte+5\\n        kvm_tdp_mmu_map+720\\n": 4}}}"#
      + "\n"
    let plain =
      #"{"type": "map", "data": {"@": {"kprobe:handle_changed_spte,\n        handle_changed_spte+5\n        kvm_tdp_mmu_map+720\n": 4}}}"#
      + "\n"
    let a = try BpftraceTestSupport.parse(escaped, parser: BpftraceJSONParser())
    let b = try BpftraceTestSupport.parse(plain, parser: BpftraceJSONParser())
    #expect(a.totalWeight == 4 && a.values.isEmpty)
    #expect(a.frames(of: a.samples[0]).map { $0.name() } == ["kvm_tdp_mmu_map", "handle_changed_spte"])
    #expect(a.frames(of: a.samples[0]) == b.frames(of: b.samples[0]))
    #expect(a.labelSets == b.labelSets)
  }

  /// A count too large even for UInt64, written as a string (bpftrace ≥0.24 does for values a
  /// double cannot hold), used to make the map a text value and drop its weight.
  @Test func stringCountPastUInt64IsAnError() throws {
    let text =
      "{\"type\": \"map\", \"data\": {\"@\": {\"\\n    a+1\\n\": 3}}}\n"
      + "{\"type\": \"map\", \"data\": {\"@\": {\"\\n    b+1\\n\": \"18446744073709551616\"}}}\n"
    do {
      _ = try BpftraceTestSupport.parse(text, parser: BpftraceJSONParser())
      Issue.record("parsed")
    } catch {
      #expect(error.position.line == 2)
      #expect(error.expected.contains("fits in 64 bits"))
      #expect(error.found == "'18446744073709551616'")
    }
    let lenient = try BpftraceTestSupport.parse(text, parser: BpftraceJSONParser(), lenient: true)
    #expect(lenient.totalWeight == 3)
    #expect(lenient.skipped.records == 1)
    #expect(lenient.values.isEmpty)
    // One that fits is read exactly.
    let exact = try BpftraceTestSupport.parse(
      "{\"type\": \"map\", \"data\": {\"@\": {\"\\n    b+1\\n\": \"18446744073709551615\"}}}\n",
      parser: BpftraceJSONParser())
    #expect(exact.totalWeight == UInt64.max)
  }
}
