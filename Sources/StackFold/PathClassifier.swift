import TDPTable
import TraceParse

/// Says which path reached a sample by applying a rule table (the TDP MMU table's by default) in
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

  /// A step of a rule that a function name satisfies.
  struct StepRef: Hashable, Sendable {
    var rule: Int
    var step: Int
  }

  public let rules: [PathRule]
  /// How many frames describe an `other` stack.
  public var topFrameCount: Int
  /// Exact names to the steps they satisfy, so a stack is matched by looking each frame up
  /// once instead of comparing it with every name of every rule.
  private var exactSteps: [String: [StepRef]] = [:]
  private var prefixSteps: [(prefix: String, ref: StepRef)] = []

  public init(rules: [PathRule] = ProbeTable.tdpMMU.pathRules, topFrameCount: Int = 3) {
    self.rules = rules
    self.topFrameCount = topFrameCount
    for (r, rule) in rules.enumerated() {
      for (s, step) in rule.steps.enumerated() {
        for name in step.names {
          let ref = StepRef(rule: r, step: s)
          if name.last == "*" {
            prefixSteps.append((String(name.dropLast()), ref))
          } else {
            exactSteps[name, default: []].append(ref)
          }
        }
      }
    }
  }

  /// Per-profile memo of the steps each frame satisfies; reuse it across a profile's samples.
  public struct Cache: Sendable {
    var steps: [FrameID: [StepRef]] = [:]
    public init() {}
  }

  /// Classifies a stack of function names, root first. `probeFunction`, when given, is left out
  /// of the top frames of an `other` stack (it is the row the stack is reported under).
  public func classify(_ functions: [String], probeFunction: String? = nil) -> Classification {
    let names = functions.map { FrameName.base(Substring($0)) }
    if let rule = firstMatch(names.map { steps(for: $0) }) {
      return Classification(origin: rules[rule].origin, rule: rule)
    }
    return other(names, probeFunction: probeFunction)
  }

  /// Classifies one sample of `profile`, looking each frame up once per `cache`.
  public func classify(
    _ sample: Sample, in profile: Profile, probeFunction: String? = nil, cache: inout Cache
  ) -> Classification {
    var stepLists: [[StepRef]] = []
    stepLists.reserveCapacity(sample.stack.count)
    for id in sample.stack {
      if let known = cache.steps[id] {
        stepLists.append(known)
      } else {
        let found = steps(for: FrameName.base(Substring(profile.frame(id).symbol)))
        cache.steps[id] = found
        stepLists.append(found)
      }
    }
    if let rule = firstMatch(stepLists) { return Classification(origin: rules[rule].origin, rule: rule) }
    return other(
      sample.stack.map { FrameName.base(Substring(profile.frame($0).symbol)) }, probeFunction: probeFunction)
  }

  /// Classifies one sample of `profile`.
  public func classify(_ sample: Sample, in profile: Profile, probeFunction: String? = nil) -> Classification
  {
    var cache = Cache()
    return classify(sample, in: profile, probeFunction: probeFunction, cache: &cache)
  }

  /// The steps a function (without clone suffix) satisfies.
  func steps(for function: Substring) -> [StepRef] {
    var refs = exactSteps[String(function)] ?? []
    for (prefix, ref) in prefixSteps where function.hasPrefix(prefix) { refs.append(ref) }
    return refs
  }

  /// The first rule, in table order, whose steps occur in order (root first, other frames
  /// between) in a stack given as the steps each of its frames satisfies.
  private func firstMatch(_ stepLists: [[StepRef]]) -> Int? {
    let relevant = stepLists.filter { !$0.isEmpty }
    guard !relevant.isEmpty else { return nil }
    for rule in Set(relevant.flatMap { $0.map(\.rule) }).sorted() {
      var next = 0
      let count = rules[rule].steps.count
      for refs in relevant where next < count && refs.contains(StepRef(rule: rule, step: next)) {
        next += 1
      }
      if next == count { return rule }
    }
    return nil
  }

  /// `other`, described by the top frames below the probe, tracer frames left out.
  private func other(_ names: [Substring], probeFunction: String?) -> Classification {
    var top: [String] = []
    let probe = probeFunction.map { FrameName.base(Substring($0)) }
    var skippingProbe = probe != nil
    for name in names.reversed() {
      if FrameName.isTracingMachinery(name) { continue }
      if skippingProbe && name == probe { continue }
      skippingProbe = false
      top.append(String(name))
      if top.count == topFrameCount { break }
    }
    return Classification(origin: .other, rule: nil, topFrames: top)
  }
}
