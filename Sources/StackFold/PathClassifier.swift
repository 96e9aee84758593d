import TraceParse

/// Says which path reached a sample by applying a rule table (`PathRule.tdpMMU` by default) in
/// order, first match wins; a stack no rule matches is `other`, described by its top frames.
public struct PathClassifier: Sendable {
  /// The result for one stack.
  public struct Classification: Sendable, Hashable {
    public var origin: PathOrigin
    /// Index into the classifier's rules of the rule that matched; nil for `other`.
    public var rule: Int?
    /// For `other`: up to `topFrameCount` function names from the leaf down, probe and BPF
    /// machinery frames left out. Empty otherwise.
    public var topFrames: [String]

    public init(origin: PathOrigin, rule: Int?, topFrames: [String] = []) {
      self.origin = origin
      self.rule = rule
      self.topFrames = topFrames
    }
  }

  public var rules: [PathRule]
  /// How many frames describe an `other` stack.
  public var topFrameCount: Int

  public init(rules: [PathRule] = PathRule.tdpMMU, topFrameCount: Int = 3) {
    self.rules = rules
    self.topFrameCount = topFrameCount
  }

  /// Classifies a stack of function names, root first. `probeFunction`, when given, is left out
  /// of the top frames of an `other` stack (it is the row the stack is reported under).
  public func classify(_ functions: [String], probeFunction: String? = nil) -> Classification {
    let names = functions.map { Self.baseName($0) }
    for (index, rule) in rules.enumerated() where Self.matches(rule.steps, names) {
      return Classification(origin: rule.origin, rule: index)
    }
    var top: [String] = []
    var skippingProbe = probeFunction != nil
    for name in names.reversed() {
      if Self.isTracingMachinery(name) { continue }
      if skippingProbe && name == probeFunction.map({ Self.baseName($0) }) { continue }
      skippingProbe = false
      top.append(String(name))
      if top.count == topFrameCount { break }
    }
    return Classification(origin: .other, rule: nil, topFrames: top)
  }

  /// Classifies one sample of `profile`.
  public func classify(_ sample: Sample, in profile: Profile, probeFunction: String? = nil) -> Classification
  {
    classify(sample.stack.map { profile.frame($0).symbol }, probeFunction: probeFunction)
  }

  /// Whether `steps` occur in `names` in order (root first), other frames allowed between.
  static func matches(_ steps: [PathRule.Step], _ names: [Substring]) -> Bool {
    var next = 0
    for name in names where next < steps.count && steps[next].matches(name) {
      next += 1
    }
    return next == steps.count
  }

  /// The function without a compiler clone suffix: `__pvm_handle_exit.isra.0` →
  /// `__pvm_handle_exit`, `handle_changed_spte.cold` → `handle_changed_spte`.
  static func baseName(_ symbol: String) -> Substring {
    guard let dot = symbol.firstIndex(of: "."), dot != symbol.startIndex else { return Substring(symbol) }
    return symbol[..<dot]
  }

  /// Frames the tracer itself adds on top of the probed function (BPF program, trampoline,
  /// tracepoint dispatch): never what the user asks about.
  static func isTracingMachinery(_ name: Substring) -> Bool {
    name.hasPrefix("bpf_prog_") || name.hasPrefix("bpf_trace_run") || name.hasPrefix("__bpf_trace_")
      || name.hasPrefix("bpf_trampoline_") || name.hasPrefix("__bpf_prog_enter")
      || name.hasPrefix("__bpf_prog_exit")
      || name.hasPrefix("kprobe_ftrace_handler") || name.hasPrefix("perf_trace_")
  }
}
