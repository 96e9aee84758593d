import TraceParse

/// Removes the tracer's own frames from the leaf end of stacks that a BPF program recorded, so
/// the leaf is the traced function: Profile → Profile, like `StackFilter`, and it counts what it
/// removed. Trimming frames never drops a sample: stacks that become equal merge and their
/// weights add, so the total weight is unchanged.
///
/// bpftrace 0.17 (Debian 12's) prints `kfunc:`/`fentry:` stacks with the BPF program and its
/// trampoline above the probed function. kallsyms did not know them when bpftrace read it, so
/// they show as whatever symbol lies below, with absurd offsets (`mpls_gso_exit+429794123`).
/// Two rules, by the sample's `probe` label (read with `ProbeName`, the one probe-name parser):
///
/// - **Above the probed function.** For a probe on the entry of function F (`kfunc:`,
///   `fentry:`, `kprobe:`, with or without a module: `kfunc:kvm:F`) and for `kretfunc:`/`fexit:`,
///   every frame above the topmost F (compared with `FrameName.base`, so clone suffixes do not
///   matter) is tracing machinery and is dropped. fexit runs from the same trampoline as fentry,
///   entered from F's patched first instruction, so F (`F+5`) is still on the stack below it.
///   When F is not on the stack at all the stack is left as it was and counted as "probe
///   function not on stack", then the name rule applies.
/// - **By name.** Frames the kernel does name, `FrameName.Machinery.bpfRuntime` in
///   `FrameName.machineryPrefixes` (`bpf_prog_*`, `bpf_trampoline_*`, `bpf_trace_run*`), are
///   dropped while they are the leaf: the same frames `record` strips
///   (Sources/LiveCapture/CaptureWriter.swift). Probe dispatch (`perf_trace_*`,
///   `__bpf_prog_enter*`) stays, as bpftrace shows it.
///
/// `kretprobe:` stacks get only the name rule: F has returned when the program runs, the stack
/// starts at F's caller, and an F lower down is an outer call of a recursion, whose callees are
/// real. Sampling probes (`profile:`, `interval:`, perf events, `software:`, `hardware:`) are
/// left alone: a BPF frame on top of a sampled stack is CPU time really spent there. A bpftrace
/// map without a probe in its key (`@[kstack]`) gets the name rule. perf samples (an `event`
/// label) and folded stacks (no labels: nothing says how they were recorded, and `fold`'s own
/// output was trimmed already, so folding it again gives the same bytes) are left alone.
public struct BPFFrameTrim: Sendable {
  /// How a sample's stack is trimmed.
  public enum Rule: Sendable, Hashable {
    /// Drop everything above the topmost frame of this function (a base name), then, when it
    /// is not on the stack, the name rule.
    case aboveFunction(String)
    /// Drop `bpfRuntime` frames at the leaf end.
    case byName
    /// Leave the stack as recorded.
    case none
  }

  /// One frame name that was dropped, and from how much.
  public struct DroppedFrame: Sendable, Hashable {
    /// The symbol without offset (`mpls_gso_exit`).
    public var name: String
    /// Unique stacks (samples of the input) it was dropped from.
    public var stacks: Int
    /// Their weight.
    public var weight: UInt64

    public init(name: String, stacks: Int, weight: UInt64) {
      self.name = name
      self.stacks = stacks
      self.weight = weight
    }
  }

  /// What trimming did, for the report and `fold`'s stderr.
  public struct Summary: Sendable, Hashable {
    /// Unique stacks of the input that lost at least one frame, and their weight.
    public var stacks: Int = 0
    public var weight: UInt64 = 0
    /// Frames dropped, summed over those stacks.
    public var frames: Int = 0
    /// Unique stacks that became equal to another one and merged into it.
    public var merged: Int = 0
    /// Entry-probe stacks whose probed function is not on the stack (left as recorded, apart
    /// from the name rule), and their weight.
    public var probeNotOnStack: Int = 0
    public var probeNotOnStackWeight: UInt64 = 0
    /// Every dropped name, heaviest first (ties by name).
    public var dropped: [DroppedFrame] = []

    public init() {}

    /// Whether anything was trimmed or is worth a note.
    public var isEmpty: Bool { stacks == 0 && probeNotOnStack == 0 }

    /// One line for stderr or the text report: `24 stacks (weight 6420) trimmed: 48 frames
    /// dropped, mpls_gso_exit (24 stacks, weight 6420), ...`; nil when nothing was trimmed.
    public func line(names limit: Int = 3) -> String? {
      guard stacks > 0 else { return nil }
      var text =
        "\(stacks) stack\(stacks == 1 ? "" : "s") (weight \(weight)) trimmed of \(frames) tracing frame"
      text += frames == 1 ? "" : "s"
      let shown = dropped.prefix(max(0, limit)).map {
        "\($0.name) (\($0.stacks) stacks, weight \($0.weight))"
      }
      text += ": " + shown.joined(separator: ", ")
      if dropped.count > shown.count { text += ", [\(dropped.count - shown.count) more names]" }
      return text
    }
  }

  /// The trimmed profile and what was removed.
  public struct Result: Sendable {
    public var profile: Profile
    public var summary: Summary
  }

  public init() {}

  /// The rule for a sample with these labels.
  public static func rule(for labels: Labels) -> Rule {
    guard let text = labels.probe else { return labels.map != nil && labels.event == nil ? .byName : .none }
    let probe = ProbeName(text)
    switch probe.kind {
    case .fentry, .fexit, .kprobe: return .aboveFunction(probe.function)
    case .kretprobe, .tracepoint, .tpBTF, .rawTracepoint, .uprobe, .uretprobe, .usdt, .lsm, .iter, .special:
      return .byName
    case .profile, .interval, .software, .hardware, .watchpoint, .asyncwatchpoint, .perfEvent, .perfProbe,
      .bare:
      return .none
    }
  }

  /// How many frames at the leaf end of `stack` (root first) are tracing machinery under `rule`,
  /// and whether an entry probe's function was missing from it.
  static func trimCount(_ stack: [FrameID], rule: Rule, base: [Substring], isRuntime: [Bool]) -> (
    count: Int, notOnStack: Bool
  ) {
    var notOnStack = false
    switch rule {
    case .none: return (0, false)
    case .aboveFunction(let function):
      if let top = stack.lastIndex(where: { base[Int($0)] == function }) {
        return (stack.count - 1 - top, false)
      }
      notOnStack = true
    case .byName: break
    }
    var count = 0
    while count < stack.count && isRuntime[Int(stack[stack.count - 1 - count])] { count += 1 }
    return (count, notOnStack)
  }

  /// Trims every sample. A profile with nothing to trim is returned as it was.
  /// - Throws: `AggregationError` if merged weights overflow (they cannot exceed the input's
  ///   total, which is checked first).
  public func apply(to profile: Profile) throws(AggregationError) -> Result {
    _ = try profile.checkedTotalWeight()
    let rules = profile.labelSets.map(Self.rule(for:))
    let base = profile.frames.map { FrameName.base(Substring($0.symbol)) }
    let isRuntime = profile.frames.map { FrameName.machinery(Substring($0.symbol)) == .bpfRuntime }
    var summary = Summary()
    var cuts = [Int](repeating: 0, count: profile.samples.count)
    var dropped: [String: (stacks: Int, weight: UInt64)] = [:]
    for (i, sample) in profile.samples.enumerated() {
      let (count, notOnStack) = Self.trimCount(
        sample.stack, rule: rules[Int(sample.labels)], base: base, isRuntime: isRuntime)
      if notOnStack {
        summary.probeNotOnStack += 1
        summary.probeNotOnStackWeight &+= sample.weight
      }
      guard count > 0 else { continue }
      cuts[i] = count
      summary.stacks += 1
      summary.weight &+= sample.weight
      summary.frames += count
      // A name is counted once per stack, even when it is there twice.
      var names = Set<String>()
      for id in sample.stack.suffix(count) { names.insert(profile.frames[Int(id)].symbol) }
      for name in names {
        dropped[name, default: (0, 0)].stacks += 1
        dropped[name]!.weight &+= sample.weight
      }
    }
    summary.dropped = dropped.map {
      DroppedFrame(name: $0.key, stacks: $0.value.stacks, weight: $0.value.weight)
    }
    .sorted { $0.weight != $1.weight ? $0.weight > $1.weight : $0.name.utf8Precedes($1.name) }
    guard summary.stacks > 0 else { return Result(profile: profile, summary: summary) }

    let out = ProfileBuilder.droppingLeafFrames(of: profile, counts: cuts)
    summary.merged = profile.samples.count - out.samples.count
    return Result(profile: out, summary: summary)
  }
}
