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
