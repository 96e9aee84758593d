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
    _ = try profile.checkedTotalWeight()
    let withSource = naming.usesSourceRoot(profile)
    let names = profile.frames.map { naming.functionName($0) }
    let matched = names.map { pattern.matches($0) }
    var views: [String: CallersCallees] = [:]
    var callers: [String: [String: CallEdge]] = [:]
    var callees: [String: [String: CallEdge]] = [:]

    for sample in profile.samples where sample.stack.contains(where: { matched[Int($0)] }) {
      // Per sample: the functions hit, and the edges seen, so each counts once.
      var seenFunctions = Set<String>()
      var seenEdges = Set<[String]>()
      for (i, id) in sample.stack.enumerated() where matched[Int(id)] {
        let function = names[Int(id)]
        let frame = profile.frame(id)
        if seenFunctions.insert(function).inserted {
          views[function, default: CallersCallees(function: function, kind: frame.kind)].totalWeight &+=
            sample.weight
        }
        let callerName: String
        var callerKind = FrameKind.unknown
        if i > 0 {
          callerName = names[Int(sample.stack[i - 1])]
          callerKind = profile.frame(sample.stack[i - 1]).kind
        } else {
          callerName = withSource ? naming.sourceName(sample, in: profile) : rootCaller
        }
        if seenEdges.insert([function, "<", callerName]).inserted {
          callers[function, default: [:]][
            callerName, default: CallEdge(name: callerName, kind: callerKind, weight: 0)
          ]
          .weight &+= sample.weight
        }
        if i + 1 < sample.stack.count {
          let callee = sample.stack[i + 1]
          let calleeName = names[Int(callee)]
          if seenEdges.insert([function, ">", calleeName]).inserted {
            callees[function, default: [:]][
              calleeName, default: CallEdge(name: calleeName, kind: profile.frame(callee).kind, weight: 0)
            ].weight &+= sample.weight
          }
        } else {
          views[function]!.selfWeight &+= sample.weight
        }
      }
    }
    func sorted(_ edges: [String: CallEdge]?) -> [CallEdge] {
      (edges.map { Array($0.values) } ?? []).sorted {
        $0.weight != $1.weight ? $0.weight > $1.weight : $0.name.utf8Precedes($1.name)
      }
    }
    return views.values.map { view in
      var view = view
      view.callers = sorted(callers[view.function])
      view.callees = sorted(callees[view.function])
      return view
    }.sorted {
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
