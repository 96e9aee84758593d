import TraceParse

/// One function's weights, like a row of pprof `-top`: `flat` is `selfWeight` (samples whose
/// leaf it is), `cum` is `totalWeight` (samples with it anywhere on the stack, each sample
/// counted once however often the function recurses).
public struct FunctionStat: Hashable, Sendable {
  public var name: String
  public var kind: FrameKind
  public var selfWeight: UInt64
  public var totalWeight: UInt64

  public init(name: String, kind: FrameKind, selfWeight: UInt64 = 0, totalWeight: UInt64 = 0) {
    self.name = name
    self.kind = kind
    self.selfWeight = selfWeight
    self.totalWeight = totalWeight
  }
}

/// Self and total weight of every function in a profile, at function level (offsets never
/// split a function here).
public struct FunctionTable: Sendable {
  /// All functions, by name.
  public private(set) var functions: [FunctionStat]
  /// The profile's total weight, the base of every percentage.
  public private(set) var totalWeight: UInt64

  /// - Throws: `AggregationError` if the profile's total weight does not fit in UInt64.
  public init(profile: Profile, naming: FrameNaming = FrameNaming()) throws(AggregationError) {
    totalWeight = try profile.checkedTotalWeight()
    // Function id per frame, so the loop below hashes integers, not strings.
    var idByName: [String: Int] = [:]
    var stats: [FunctionStat] = []
    let functionOfFrame = profile.frames.map { frame -> Int in
      let name = naming.functionName(frame)
      if let id = idByName[name] { return id }
      idByName[name] = stats.count
      stats.append(FunctionStat(name: name, kind: frame.kind))
      return stats.count - 1
    }
    var lastSeen = [Int](repeating: -1, count: stats.count)
    for (n, sample) in profile.samples.enumerated() {
      for id in sample.stack {
        let f = functionOfFrame[Int(id)]
        if lastSeen[f] != n {
          lastSeen[f] = n
          stats[f].totalWeight &+= sample.weight
        }
      }
      if let leaf = sample.stack.last { stats[functionOfFrame[Int(leaf)]].selfWeight &+= sample.weight }
    }
    functions = stats
  }

  /// The `limit` heaviest functions by self weight (ties: heavier total, then name).
  public func topBySelf(_ limit: Int) -> [FunctionStat] {
    Array(
      functions.filter { $0.selfWeight > 0 }.sorted {
        ($0.selfWeight, $0.totalWeight) != ($1.selfWeight, $1.totalWeight)
          ? ($0.selfWeight, $0.totalWeight) > ($1.selfWeight, $1.totalWeight)
          : $0.name.utf8Precedes($1.name)
      }.prefix(max(0, limit)))
  }

  /// The `limit` heaviest functions by total weight (ties: heavier self, then name).
  public func topByTotal(_ limit: Int) -> [FunctionStat] {
    Array(
      functions.sorted {
        ($0.totalWeight, $0.selfWeight) != ($1.totalWeight, $1.selfWeight)
          ? ($0.totalWeight, $0.selfWeight) > ($1.totalWeight, $1.selfWeight)
          : $0.name.utf8Precedes($1.name)
      }.prefix(max(0, limit)))
  }
}
