import Foundation

/// Runs a capture: checks privileges, attaches the plan, waits for the duration, for SIGINT /
/// SIGTERM or for `shouldStop` (printing partial counts every `progress`, handing a read of the
/// maps to `onInterval` every `interval`), reads the maps and detaches.
///
/// Signals are blocked and taken with `sigtimedwait`, so there is no handler and every wait has a
/// timeout: the loop wakes at least every 100 ms.
public struct Recorder {
  public var plan: ProbePlan
  public var limits: CaptureLimits
  /// Seconds to record; nil until SIGINT/SIGTERM.
  public var duration: Double?
  /// Seconds between partial counts on stderr; nil for none.
  public var progress: Double?
  /// Seconds between reads handed to `onInterval`; nil for none.
  public var interval: Double?
  /// Called every `interval` with the maps as read then (running totals since attach), the
  /// kallsyms read after attach (so the BPF programs' frames resolve), and the wall time.
  public var onInterval: ((_ capture: RawCapture, _ symbols: KernelSymbols, _ time: Date) -> Void)?
  /// Polled about every 100 ms; true ends the capture as a signal would (`top`'s `q`).
  public var shouldStop: (() -> Bool)?
  /// Where progress, attach results and partial counts go.
  public var log: @Sendable (String) -> Void
  /// Called once everything is attached, before waiting (tests use it to start a workload).
  public var onReady: (() -> Void)?

  public init(
    plan: ProbePlan, limits: CaptureLimits = CaptureLimits(), duration: Double? = nil,
    progress: Double? = nil, interval: Double? = nil,
    log: @escaping @Sendable (String) -> Void
  ) {
    self.plan = plan
    self.limits = limits
    self.duration = duration
    self.progress = progress
    self.interval = interval
    self.log = log
  }

  /// What a finished capture holds: the counts, the kallsyms they were symbolized with (read
  /// while the BPF programs were still loaded, so their frames resolve and can be stripped), and
  /// what happened to each probe.
  public struct Result {
    public var capture: RawCapture
    public var symbols: KernelSymbols
    public var kallsymsText: String
    public var outcomes: [AttachOutcome]
    /// The signal that ended the capture, if one did.
    public var signal: Int32?
    /// When the final read was taken.
    public var end: Date
  }

  public func run() throws(LiveCaptureError) -> Result {
    try Privileges.current().require()
    // Block the signals before anything else so they queue for sigtimedwait instead of killing us.
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    // They stay blocked afterwards: a second Ctrl-C while the capture is written must not kill
    // the process before the output is out.
    pthread_sigmask(SIG_BLOCK, &set, nil)

    let (symbols0, _) = try KernelSymbols.load()
    if symbols0.addressesHidden {
      throw .io("/proc/kallsyms shows no addresses (kernel.kptr_restrict); run as root")
    }
    let features = KernelFeatures()
    let session = try CaptureSession(
      limits: limits, mode: plan.mode, spte: plan.spte, faults: plan.faults, mmuLock: plan.mmuLock)
    if plan.faults || plan.mmuLock { session.faultLayout = FaultLayout(features: features) }
    defer { session.detach() }
    let outcomes = plan.attach(to: session, symbols: symbols0, features: features)
    for outcome in outcomes { log(outcome.summary) }
    if session.probes.isEmpty {
      throw .noProbeAttached(outcomes.filter { !$0.attached && $0.skipped == nil }.map { $0.summary })
    }
    if plan.faults,
      !session.probes.contains(where: { CaptureSession.faultRole($0.spec, group: $0.group) == .fault })
    {
      throw .noFaultBracket(
        outcomes.filter { CaptureSession.faultRole($0.spec, group: $0.group) == .fault }.map { $0.summary })
    }
    if plan.mmuLock {
      let waits = session.probes.filter { CaptureSession.lockWaitPrefix($0.spec) != nil }.count
      let vcpu = session.probes.contains { CaptureSession.lockRole($0.spec, group: $0.group) == .vcpu }
      if waits < 2 || !vcpu {
        throw .noLockWatch(
          outcomes.filter {
            CaptureSession.lockWaitPrefix($0.spec) != nil
              || CaptureSession.lockRole($0.spec, group: $0.group) == .vcpu
          }.map { $0.summary })
      }
    }
    let n = session.probes.count
    let until = duration.map { " for \($0) s" } ?? ""
    // Symbols for the interval reads, taken once everything is loaded and attached, and before
    // the line that says recording has begun: in the emulated 6.12 guest, under three bpftrace
    // scripts printing stacks, parsing kallsyms outlasted a whole workload started on that line,
    // and all of it fell into the last block.
    let intervalSymbols = onInterval == nil ? nil : try KernelSymbols.load().0
    log("Attaching \(n) probe\(n == 1 ? "" : "s")... recording\(until); Ctrl-C to stop")
    onReady?()

    let start = Date()
    var nextProgress = progress.map { start.addingTimeInterval($0) }
    // Each deadline is the start plus a whole number of intervals, so reads do not drift.
    var intervalsDone = 0
    var signal: Int32? = nil
    while true {
      let now = Date()
      if let duration, now.timeIntervalSince(start) >= duration { break }
      if let next = nextProgress, now >= next {
        printPartial(session.read(), elapsed: now.timeIntervalSince(start))
        nextProgress = next.addingTimeInterval(progress!)
      }
      if let interval, let onInterval, let intervalSymbols,
        now >= start.addingTimeInterval(Double(intervalsDone + 1) * interval)
      {
        onInterval(session.read(), intervalSymbols, now)
        intervalsDone = Int(now.timeIntervalSince(start) / interval)
      }
      if shouldStop?() == true { break }
      var wait = 0.1
      if let duration { wait = min(wait, max(0, duration - now.timeIntervalSince(start))) }
      if let interval {
        let next = start.addingTimeInterval(Double(intervalsDone + 1) * interval)
        wait = min(wait, max(0.001, next.timeIntervalSince(now)))
      }
      var timeout = timespec(tv_sec: 0, tv_nsec: Int(wait * 1e9))
      let got = sigtimedwait(&set, nil, &timeout)
      // Slow calls are taken as they come, so the ring buffer does not fill.
      session.pollSlowCalls()
      if got == SIGINT || got == SIGTERM {
        signal = got
        break
      }
    }
    // Read kallsyms while still attached: an fentry link's bpf_trampoline_* symbol disappears
    // at unlink (seen in the QEMU guest: the trampoline frame then resolved to __this_module+N),
    // and the bpf_prog_* symbols name the frames to strip; modules loaded meanwhile resolve.
    // Then unlink, so the counts read are final (nothing counted after the read is lost).
    let (symbols, text) = try KernelSymbols.load()
    session.stop()
    var capture = session.read()
    let end = Date()
    capture.elapsedNanoseconds = UInt64(max(0, end.timeIntervalSince(start)) * 1e9)
    session.detach()
    return Result(
      capture: capture, symbols: symbols, kallsymsText: text, outcomes: outcomes, signal: signal, end: end)
  }

  private func printPartial(_ capture: RawCapture, elapsed: Double) {
    var byProbe = capture.countsByProbe
    for entry in capture.latency { byProbe[entry.probe, default: 0] += entry.counts.count }
    var line = String(format: "%.1fs:", elapsed)
    for (id, probe) in capture.probes.enumerated() { line += " \(probe.name)=\(byProbe[UInt32(id)] ?? 0)" }
    if capture.totalDrops > 0 { line += " dropped=\(capture.totalDrops)" }
    log(line)
  }
}
