import TraceParse

/// A caller or callee of a function with the weight of the samples through that edge.
public struct CallEdge: Hashable, Sendable {
  public var name: String
  public var kind: FrameKind
  public var weight: UInt64

  public init(name: String, kind: FrameKind, weight: UInt64) {
    self.name = name
    self.kind = kind
    self.weight = weight
  }
}

/// Who calls a function and what it calls, pprof `-peek` style. Weights count each sample once
/// per edge, so recursion (`__handle_changed_spte` calling itself) shows the function as its
/// own caller and callee without counting the function's total twice. Shares are of
/// `totalWeight`; with recursion or several call sites per sample they can sum past 100%.
public struct CallersCallees: Hashable, Sendable {
  /// Function name (function level: offsets stripped).
  public var function: String
  public var kind: FrameKind
  /// Samples with the function anywhere on the stack, each counted once.
  public var totalWeight: UInt64
  /// Samples whose leaf is the function.
  public var selfWeight: UInt64
  /// Heaviest first, ties by name. A sample where the function is the outermost frame has the
  /// caller `[root]` (or its source, when the profile mixes sources).
  public var callers: [CallEdge]
  /// Heaviest first, ties by name. Samples where it is the leaf are in `selfWeight` instead.
  public var callees: [CallEdge]

  /// Caller name for a function that is the outermost frame of a single-source profile.
  public static let rootCaller = "[root]"

  /// The views of every function whose name matches `pattern`, ordered by total weight
  /// (heaviest first, ties by name). Empty when nothing matches.
  /// - Throws: `AggregationError` if the profile's total weight does not fit in UInt64.
  public static func views(
    of pattern: NamePattern, in profile: Profile, naming: FrameNaming = FrameNaming()
  ) throws(AggregationError) -> [CallersCallees] {
    try views(in: profile, naming: naming) { pattern.matches($0) }
  }

  /// The views of the functions named in `functions` (exact names), ordered as `views(of:)`.
  /// Cheaper than `views(of: "*")` when only a few functions get a section.
  public static func views(
    ofFunctions functions: Set<String>, in profile: Profile, naming: FrameNaming = FrameNaming()
  ) throws(AggregationError) -> [CallersCallees] {
    try views(in: profile, naming: naming) { functions.contains($0) }
  }

  private static func views(
    in profile: Profile, naming: FrameNaming, matching: (String) -> Bool
  ) throws(AggregationError) -> [CallersCallees] {
    _ = try profile.checkedTotalWeight()
    let withSource = naming.usesSourceRoot(profile)
    // Functions (and root callers) are small integers, so the per-sample bookkeeping below is
    // array stamps and integer-keyed tables, not sets of strings.
    var names: [String] = []
    var idByName: [String: Int] = [:]
    func id(_ name: String) -> Int {
      if let id = idByName[name] { return id }
      idByName[name] = names.count
      names.append(name)
      return names.count - 1
    }
    let function = profile.frames.map { id(naming.functionName($0)) }
    let matched = names.map(matching)
    let rootID = withSource ? -1 : id(rootCaller)
    let sourceIDs = withSource ? naming.sourceNames(in: profile).map { id($0) } : []

    var viewIndex = [Int](repeating: -1, count: names.count)
    var views: [CallersCallees] = []
    var viewLastSample: [Int] = []
    /// Edges by (view index, other function id, direction); stamp of the last sample counted.
    var edgeIndex: [Int: Int] = [:]
    var edges: [(view: Int, callee: Bool, edge: CallEdge)] = []
    var edgeLastSample: [Int] = []

    func count(_ view: Int, _ other: Int, callee: Bool, kind: FrameKind, sample n: Int, weight: UInt64) {
      let key = (view << 33) | (other << 1) | (callee ? 1 : 0)
      let index: Int
      if let known = edgeIndex[key] {
        index = known
      } else {
        index = edges.count
        edgeIndex[key] = index
        edges.append((view, callee, CallEdge(name: names[other], kind: kind, weight: 0)))
        edgeLastSample.append(-1)
      }
      if edgeLastSample[index] != n {
        edgeLastSample[index] = n
        edges[index].edge.weight &+= weight
      }
    }

    for (n, sample) in profile.samples.enumerated() {
      let stack = sample.stack
      for i in stack.indices {
        let f = function[Int(stack[i])]
        guard f < matched.count, matched[f] else { continue }
        var v = viewIndex[f]
        if v < 0 {
          v = views.count
          viewIndex[f] = v
          views.append(CallersCallees(function: names[f], kind: profile.frame(stack[i]).kind))
          viewLastSample.append(-1)
        }
        if viewLastSample[v] != n {
          viewLastSample[v] = n
          views[v].totalWeight &+= sample.weight
        }
        if i > 0 {
          count(
            v, function[Int(stack[i - 1])], callee: false, kind: profile.frame(stack[i - 1]).kind, sample: n,
            weight: sample.weight)
        } else {
          count(
            v, withSource ? sourceIDs[Int(sample.labels)] : rootID, callee: false,
            kind: .unknown,
            sample: n, weight: sample.weight)
        }
        if i + 1 < stack.count {
          count(
            v, function[Int(stack[i + 1])], callee: true, kind: profile.frame(stack[i + 1]).kind, sample: n,
            weight: sample.weight)
        } else {
          views[v].selfWeight &+= sample.weight
        }
      }
    }
    let byWeight: (CallEdge, CallEdge) -> Bool = {
      $0.weight != $1.weight ? $0.weight > $1.weight : $0.name.utf8Precedes($1.name)
    }
    for (view, callee, edge) in edges {
      if callee { views[view].callees.append(edge) } else { views[view].callers.append(edge) }
    }
    for v in views.indices {
      views[v].callers.sort(by: byWeight)
      views[v].callees.sort(by: byWeight)
    }
    return views.sorted {
      $0.totalWeight != $1.totalWeight
        ? $0.totalWeight > $1.totalWeight : $0.function.utf8Precedes($1.function)
    }
  }

  public init(
    function: String, kind: FrameKind, totalWeight: UInt64 = 0, selfWeight: UInt64 = 0,
    callers: [CallEdge] = [],
    callees: [CallEdge] = []
  ) {
    self.function = function
    self.kind = kind
    self.totalWeight = totalWeight
    self.selfWeight = selfWeight
    self.callers = callers
    self.callees = callees
  }
}
