import TraceParse

/// Two profiles compared stack by stack and function by function, as difffolded.pl does for
/// folded files: the basis of the differential flame graph and of the table of functions whose
/// share changed most. Weights stay exact integers; normalization (difffolded's `-n`) only
/// scales BEFORE when computing deltas, so the table can show both raw counts and shares.
public struct ProfileDiff: Sendable {
  /// One named stack (root first) with its weight in each profile; 0 where it is absent.
  public struct Stack: Sendable, Hashable {
    public var path: [String]
    public var kinds: [FrameKind]
    public var before: UInt64
    public var after: UInt64
  }

  /// One function: self weight (stacks ending in it) and total weight (stacks through it,
  /// each counted once even when it recurses), in each profile.
  public struct Function: Sendable, Hashable {
    public var name: String
    public var beforeSelf: UInt64 = 0
    public var afterSelf: UInt64 = 0
    public var beforeTotal: UInt64 = 0
    public var afterTotal: UInt64 = 0
    /// `beforeTotal` over the BEFORE profile's total weight, 0...1.
    public var beforeShare: Double = 0
    public var afterShare: Double = 0
    /// Change of the total share, in fractions (0.0123 is +1.23 percentage points).
    public var shareChange: Double { afterShare - beforeShare }

    public init(name: String) { self.name = name }
  }

  public let beforeTotal: UInt64
  public let afterTotal: UInt64
  /// How the weights print; BEFORE and AFTER must be held at the same scale
  /// (`Profile.held(at:)`), and this is it.
  public let weightScale: WeightScale
  /// Whether BEFORE is scaled to AFTER's total when computing deltas.
  public let normalized: Bool
  /// Whether the map/probe/event is the root frame (when either profile has several sources).
  public let withSource: Bool
  /// Every stack of either profile, sorted by path.
  public private(set) var stacks: [Stack]
  /// Every function of either profile, largest absolute share change first, then by name.
  public private(set) var functions: [Function]

  /// Compares `before` and `after`, naming frames with `naming`. Stacks that become identical
  /// once named (offsets stripped) are summed; a profile's total fits in UInt64 (the builder
  /// refuses more), so no sum here can overflow.
  public init(before: Profile, after: Profile, naming: FrameNaming = FrameNaming(), normalize: Bool = false) {
    let withSource = naming.sourceRoot ?? (naming.usesSourceRoot(before) || naming.usesSourceRoot(after))
    self.withSource = withSource
    self.normalized = normalize
    beforeTotal = before.totalWeight
    afterTotal = after.totalWeight
    precondition(before.weightScale == after.weightScale, "compare profiles held at one weight scale")
    weightScale = after.weightScale

    var index: [[String]: Int] = [:]
    var stacks: [Stack] = []
    func collect(_ profile: Profile, isAfter: Bool) {
      var names: [String?] = Array(repeating: nil, count: profile.frames.count)
      let sources = withSource ? naming.sourceNames(in: profile) : []
      for sample in profile.samples {
        var path: [String] = []
        var kinds: [FrameKind] = []
        path.reserveCapacity(sample.stack.count + 1)
        if withSource {
          path.append(sources[Int(sample.labels)])
          kinds.append(.unknown)
        }
        for id in sample.stack {
          let name: String
          if let known = names[Int(id)] {
            name = known
          } else {
            name = naming.name(profile.frame(id))
            names[Int(id)] = name
          }
          path.append(name)
          kinds.append(profile.frame(id).kind)
        }
        let i: Int
        if let existing = index[path] {
          i = existing
        } else {
          i = stacks.count
          index[path] = i
          stacks.append(Stack(path: path, kinds: kinds, before: 0, after: 0))
        }
        if isAfter { stacks[i].after &+= sample.weight } else { stacks[i].before &+= sample.weight }
      }
    }
    collect(before, isAfter: false)
    collect(after, isAfter: true)
    stacks.sort { $0.path.lexicographicallyPrecedes($1.path) { $0.utf8Precedes($1) } }
    self.stacks = stacks

    var functions: [String: Function] = [:]
    for stack in stacks {
      for name in Set(stack.path) {
        functions[name, default: Function(name: name)].beforeTotal &+= stack.before
        functions[name, default: Function(name: name)].afterTotal &+= stack.after
      }
      if let leaf = stack.path.last {
        functions[leaf, default: Function(name: leaf)].beforeSelf &+= stack.before
        functions[leaf, default: Function(name: leaf)].afterSelf &+= stack.after
      }
    }
    let bt = Double(beforeTotal)
    let at = Double(afterTotal)
    self.functions = functions.values.map { f in
      var f = f
      f.beforeShare = bt > 0 ? Double(f.beforeTotal) / bt : 0
      f.afterShare = at > 0 ? Double(f.afterTotal) / at : 0
      return f
    }.sorted {
      let a = abs($0.shareChange)
      let b = abs($1.shareChange)
      return a != b ? a > b : $0.name.utf8Precedes($1.name)
    }
  }

  /// BEFORE's weight on AFTER's scale when normalized (difffolded -n), else unchanged.
  public func scaledBefore(_ weight: UInt64) -> Double {
    guard normalized, beforeTotal > 0 else { return Double(weight) }
    return Double(weight) * Double(afterTotal) / Double(beforeTotal)
  }

  /// AFTER minus (scaled) BEFORE: positive when it grew.
  public func delta(before: UInt64, after: UInt64) -> Double { Double(after) - scaledBefore(before) }

  /// The call tree of one side, built from the named stacks (so both sides share naming and
  /// source roots).
  public func tree(after: Bool) -> CallTree {
    var tree = CallTree()
    for stack in stacks {
      let weight = after ? stack.after : stack.before
      guard weight > 0 else { continue }
      tree.add(path: Array(zip(stack.path, stack.kinds)), weight: weight)
    }
    return tree
  }

  /// Stacks present only in BEFORE: a differential graph drawn with AFTER's widths cannot show
  /// them, so they are listed instead.
  public var vanished: [Stack] { stacks.filter { $0.after == 0 && $0.before > 0 } }
}
