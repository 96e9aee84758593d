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
}
