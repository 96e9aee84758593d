import Foundation
import Testing

@testable import LiveCapture

/// Each tracepoint attach method, live: the same tracepoint attached three times in one session
/// (tp_btf, raw_tp, perf tracepoint) counts the forks this test makes, with stacks that start at
/// the tracepoint's call site once the BPF frames are stripped.
@Suite(.serialized, .enabled(if: Fixtures.privileged, "live attach needs root (CAP_BPF, CAP_PERFMON)"))
struct AttachMethodTests {
  @Test func everyTracepointMethodCounts() throws {
    if !FileManager.default.fileExists(atPath: "/sys/kernel/tracing/events") {
      _ = mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nil)
    }
    let (symbols, _) = try KernelSymbols.load()
    let features = KernelFeatures()
    var limits = CaptureLimits()
    limits.pid = UInt32(getpid())
    let session = try CaptureSession(limits: limits)
    defer { session.detach() }
    let spec = ProbeSpec.tracepoint("sched", "sched_process_fork")
    var attached: [AttachMethod] = []
    for method in [AttachMethod.tpBTF, .rawTracepoint, .tracepoint] {
      let outcome = session.attach(spec, methods: [method], symbols: symbols, features: features)
      #expect(outcome.attached, "\(method): \(outcome.summary)")
      if outcome.attached { attached.append(method) }
    }
    for _ in 0..<5 {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/bin/true")
      try p.run()
      p.waitUntilExit()
    }
    session.stop()
    let capture = session.read()
    let counts = capture.countsByProbe
    for (id, method) in attached.enumerated() {
      #expect(counts[UInt32(id), default: 0] >= 5, "\(method): \(counts)")
    }
    #expect(capture.totalDrops == 0)
    let (now, _) = try KernelSymbols.load()
    for (stack, _) in CaptureWriter().stacks(capture, symbols: now) {
      let top = stack.addresses.first.map { now.name(of: $0) } ?? ""
      #expect(!CaptureWriter.isBPFFrame(top), "\(top)")
    }
  }

  @Test func functionProbesFallBackOrSayWhy() throws {
    let (symbols, _) = try KernelSymbols.load()
    let features = KernelFeatures()
    let session = try CaptureSession()
    defer { session.detach() }
    // A function every kernel has; on this host both methods are refused, elsewhere one attaches.
    let outcome = session.attach(
      .function("do_sys_openat2"), methods: [.fentry, .kprobe], symbols: symbols, features: features)
    if !outcome.attached {
      #expect(outcome.failures.map(\.method) == [.fentry, .kprobe], "\(outcome.summary)")
      #expect(outcome.failures.allSatisfy { !$0.reason.isEmpty })
    }
    let missing = session.attach(
      .function("no_such_function_xyz"), methods: [.fentry, .kprobe], symbols: symbols, features: features)
    #expect(!missing.attached)
    #expect(missing.failures.first?.reason.hasPrefix("not in kallsyms") == true)
  }

  /// The verifier log 6.1 gave for lock:contention_end (docs/faults.md): its first line is an
  /// advisory one the kernel goes past; the reason is the access it refused.
  @Test func aLoadFailureNamesTheRefusedAccessNotTheAdvisoryLine() {
    let log = [
      "libbpf: prog 'tdp_lockend_tp_btf': BPF program load failed: Permission denied\n",
      "libbpf: prog 'tdp_lockend_tp_btf': -- BEGIN PROG LOAD LOG --\n",
      "reg type unsupported for arg#0 function tdp_lockend_tp_btf#189\n0: R1=ctx(off=0,imm=0) R10=fp0\n",
      "52: (61) r7 = *(u32 *)(r0 +8)\nR0 unbounded memory access, make sure to bounds check any such access\n",
      "processed 60 insns (limit 1000000)\n-- END PROG LOAD LOG --\n",
    ]
    #expect(
      LibbpfLog.summary(log) == "R0 unbounded memory access, make sure to bounds check any such access")
  }
}
