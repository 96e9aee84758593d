import Foundation
import Testing

@testable import LiveCapture

/// The stack fallback, live: a one-bucket stack map makes every stack but the first collide
/// (-EEXIST), and the capture still counts every event, with the stacks a full-size map gives.
/// Two sessions count the same forks at once: one with the default limits (the reference), one
/// with `stackEntries = 1`. Both filter on a comm this test gives its own thread, so forks by
/// tests running beside it are not counted.
@Suite(.serialized, .enabled(if: Fixtures.privileged, "live attach needs root (CAP_BPF, CAP_PERFMON)"))
struct StackFallbackLiveTests {
  static let forks = 12

  /// The same tracepoint by three methods: three probes whose stacks differ (the BPF frames on
  /// top, which the writer strips), so at most one of them owns the single bucket.
  func attachAll(_ session: CaptureSession, symbols: KernelSymbols, features: KernelFeatures) -> Int {
    var attached = 0
    for method in [AttachMethod.tpBTF, .rawTracepoint, .tracepoint] {
      let outcome = session.attach(
        .tracepoint("sched", "sched_process_fork"), methods: [method], symbols: symbols, features: features)
      #expect(outcome.attached, "\(method): \(outcome.summary)")
      if outcome.attached { attached += 1 }
    }
    return attached
  }

  /// Runs `body` with this thread's comm set to `name` (through /proc/thread-self/comm: glibc's
  /// pthread_setname_np does not import), then restores it.
  func withThreadName<T>(_ name: String, _ body: () throws -> T) throws -> T {
    let path = "/proc/thread-self/comm"
    let old = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .newlines)
    try name.write(toFile: path, atomically: false, encoding: .utf8)
    defer { try? old.write(toFile: path, atomically: false, encoding: .utf8) }
    #expect(try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .newlines) == name)
    return try body()
  }

  func capture(stackEntries: UInt32?, fallbackEntries: UInt32? = nil, comm: String) throws -> CaptureSession {
    var limits = CaptureLimits()
    limits.comm = comm
    if let stackEntries { limits.stackEntries = stackEntries }
    if let fallbackEntries { limits.fallbackEntries = fallbackEntries }
    return try CaptureSession(limits: limits)
  }

  @Test func oneBucketStackMapLosesNoEvent() throws {
    if !FileManager.default.fileExists(atPath: "/sys/kernel/tracing/events") {
      _ = mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nil)
    }
    let (symbols, _) = try KernelSymbols.load()
    let features = KernelFeatures()
    let comm = "tdpfb\(getpid() % 100_000)"
    let reference = try capture(stackEntries: nil, comm: comm)
    defer { reference.detach() }
    let tiny = try capture(stackEntries: 1, comm: comm)
    defer { tiny.detach() }
    // Stack map and fallback map both with one entry: the second distinct stack is dropped, and
    // says so.
    let full = try capture(stackEntries: 1, fallbackEntries: 1, comm: comm)
    defer { full.detach() }
    let methods = attachAll(reference, symbols: symbols, features: features)
    #expect(attachAll(tiny, symbols: symbols, features: features) == methods)
    #expect(attachAll(full, symbols: symbols, features: features) == methods)
    try #require(methods >= 2, "needs two tracepoint methods for two distinct stacks")

    try withThreadName(comm) {
      for _ in 0..<Self.forks {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
      }
    }
    // Kallsyms while the programs are loaded, so their frames are named and stripped.
    let (now, _) = try KernelSymbols.load()
    for session in [reference, tiny, full] { session.stop() }
    let expected = reference.read()
    let got = tiny.read()
    let lossy = full.read()

    #expect(expected.totalDrops == 0, "\(expected.drops)")
    #expect(got.totalDrops == 0, "the fallback lost events: \(got.drops)")
    for id in 0..<UInt32(methods) {
      #expect(expected.countsByProbe[id, default: 0] >= UInt64(Self.forks), "\(expected.countsByProbe)")
    }
    #expect(got.countsByProbe == expected.countsByProbe)
    // The stacks are the ones a full-size stack map gives: bpf_get_stack takes the same frames
    // as bpf_get_stackid, and each (probe, stack) is one entry.
    let writer = CaptureWriter()
    let want = writer.stacks(expected, symbols: now)
    let have = writer.stacks(got, symbols: now)
    #expect(have.map(\.stack) == want.map(\.stack))
    #expect(have.map(\.count) == want.map(\.count))
    #expect(Set(got.entries.map { [UInt64($0.probe)] + $0.addresses }).count == got.entries.count)
    // A one-bucket stack map holds one stack: every other one came through the fallback (the
    // three probes' raw stacks differ in their BPF frames; the writer merges them, as they share
    // a name).
    #expect(got.entries.count >= 2, "\(got.entries.count) stacks")
    #expect(got.entries.count == expected.entries.count)

    // With no room in the fallback map either, the collisions are counted, not lost: with more
    // than two distinct stacks (one in the stack map, one in the fallback), some are dropped.
    #expect(lossy.drops.keys.allSatisfy { $0.reason == .stackCollision }, "\(lossy.drops)")
    #expect(lossy.totalCount + lossy.totalDrops == expected.totalCount)
    if expected.entries.count > 2 { #expect(lossy.totalDrops > 0) }
  }
}
