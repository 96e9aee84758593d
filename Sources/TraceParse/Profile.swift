/// What a sample weight measures.
public enum WeightUnit: String, Sendable, Hashable, Codable {
  /// Events counted: bpftrace `count()`, perf samples.
  case count
  /// Summed values: bpftrace `sum()`.
  case sum
  /// perf sample periods (`--weight period`).
  case period
  /// Inputs of different units were combined; totals are still exact per source.
  case mixed
}

/// The one model every parser produces and every later layer consumes, shaped like pprof's:
/// interned frames and label sets, and unique samples that refer to them by index. Memory
/// follows the number of unique stacks, not the size of the input.
public struct Profile: Sendable {
  /// Interned frames; a `FrameID` indexes this array.
  public internal(set) var frames: [Frame] = []
  /// Interned label sets; a `LabelSetID` indexes this array.
  public internal(set) var labelSets: [Labels] = []
  /// Unique (stack, labels) pairs with summed weights, in order of first appearance.
  public internal(set) var samples: [Sample] = []
  public var unit: WeightUnit = .count
  /// The fixed-point scale of every weight in the profile (samples, baseline, skips): a weight
  /// `w` is `w / 10^decimals` of `unit`. Scale 0 unless an input had fractional counts; print
  /// weights with `weightScale.format(_:)`.
  public internal(set) var weightScale = WeightScale.integer
  /// For a differential input (folded lines with two counts, as difffolded.pl writes), the
  /// first count of each sample, parallel to `samples`; `samples` hold the second. nil for
  /// every other input. A transformation that rebuilds the profile does not carry it: split the
  /// profile with `differentialSides()` first.
  public internal(set) var baselineWeights: [UInt64]?
  /// Map entries that are not stack samples (hist, lhist, stats, avg, and maps without a stack):
  /// reported as what they are, never folded.
  public var values: [MapValue] = []
  /// The blocks of an interval capture, in order (see `IntervalMark`); empty for a capture
  /// that is one total.
  public var intervals: [IntervalMark] = []
  /// How the blocks were read (`delta` or `cumulative`), once `IntervalResolution` decided.
  public var intervalMode: IntervalMode?
  /// Whether a bpftrace map was printed again without `time()` headers and summed.
  package var mapsPrintedAgain = false
  /// What the capture says its blocks are (`IntervalMode.deltaDeclaration`); nil when it says
  /// nothing.
  package var declaredIntervalMode: IntervalMode?
  /// Records skipped under `--lenient`, and what they weighed.
  public var skipped = SkipTally()
  /// Warnings that are not errors (unsupported shapes that were read around, etc.).
  public var notes: [String] = []

  public init() {}

  /// Sum of all sample weights. Never overflows silently: totals beyond UInt64 are refused when
  /// samples are added.
  public var totalWeight: UInt64 { samples.reduce(0) { $0 &+ $1.weight } }

  /// Whether the profile came from a differential input (see `baselineWeights`).
  public var isDifferential: Bool { baselineWeights != nil }

  /// A differential profile as two: BEFORE with the first counts, AFTER with the second, each
  /// without samples of weight 0 on its side. nil when the profile is not differential.
  public func differentialSides() -> (before: Profile, after: Profile)? {
    guard let baselineWeights else { return nil }
    func side(_ weights: [UInt64]) -> Profile {
      var out = self
      out.baselineWeights = nil
      out.samples = zip(samples, weights).compactMap { sample, weight in
        weight == 0 ? nil : Sample(stack: sample.stack, labels: sample.labels, weight: weight)
      }
      return out
    }
    var before = side(baselineWeights)
    before.skipped = SkipTally()
    before.notes = []
    return (before, side(samples.map(\.weight)))
  }

  /// The profile with every weight held at `finer` (at least as many decimals as
  /// `weightScale`), so two profiles of different scales can be compared weight for weight.
  /// - Throws: `AggregationError.scaleOverflow` when the total no longer fits in UInt64.
  public func held(at finer: WeightScale) throws(AggregationError) -> Profile {
    if finer == weightScale { return self }
    let total = samples.reduce(UInt64(0)) { $0 &+ $1.weight }
    guard weightScale.rescale(total, to: finer) != nil,
      weightScale.rescale(baselineWeights?.reduce(0, &+) ?? 0, to: finer) != nil
    else { throw .scaleOverflow(weight: total, decimals: finer.decimals) }
    var out = self
    for i in out.samples.indices {
      out.samples[i].weight = weightScale.rescale(samples[i].weight, to: finer)!
    }
    out.baselineWeights = baselineWeights?.map { weightScale.rescale($0, to: finer)! }
    out.skipped.weight = weightScale.rescale(skipped.weight, to: finer) ?? UInt64.max
    out.weightScale = finer
    return out
  }

  public func frame(_ id: FrameID) -> Frame { frames[Int(id)] }
  public func labels(of sample: Sample) -> Labels { labelSets[Int(sample.labels)] }
  /// The sample's frames, root first.
  public func frames(of sample: Sample) -> [Frame] { sample.stack.map { frames[Int($0)] } }
}

/// A bpftrace map entry whose value is not a stack sample weight.
public struct MapValue: Hashable, Sendable {
  public enum Kind: String, Sendable, Hashable, Codable {
    /// `count()`/`sum()`/`min()`/`max()`/`avg()` or a plain integer on a map without a stack key.
    case scalar
    case hist, lhist, stats
  }
  /// One histogram bucket, as bpftrace labels it (`[2, 4)`, `(..., 0)`, `[10, ...)`).
  public struct Bucket: Hashable, Sendable {
    public var label: String
    public var count: UInt64
    public init(label: String, count: UInt64) {
      self.label = label
      self.count = count
    }
  }
  public var map: String
  /// Key fields as printed (empty for a scalar map). A stack key is kept as its frames' text
  /// joined with `;` root first, so a `hist()` keyed by a stack still says which stack.
  public var key: [String]
  public var kind: Kind
  /// For scalar maps the value; for stats, `count`, `average`, `total` in that order.
  public var numbers: [Int64]
  public var buckets: [Bucket]
  /// The key's stack members as frames, in key order, so a histogram keyed by a stack can be
  /// filed by the path that reached it (`report --latency`). Frames are values, not `FrameID`s:
  /// filters and inline expansion rebuild the profile's frame table, and a value keeps its key.
  public var stacks: [KeyStack]
  /// The block of an interval capture the value was printed in (`IntervalMark.index`).
  public var interval: Int?

  /// A stack member of a key: its 0-based position in the tuple and its frames, root first.
  public struct KeyStack: Hashable, Sendable {
    public var position: Int
    public var frames: [Frame]
    public init(position: Int, frames: [Frame]) {
      self.position = position
      self.frames = frames
    }
  }

  public init(
    map: String, key: [String], kind: Kind, numbers: [Int64] = [], buckets: [Bucket] = [],
    stacks: [KeyStack] = []
  ) {
    self.map = map
    self.key = key
    self.kind = kind
    self.numbers = numbers
    self.buckets = buckets
    self.stacks = stacks
  }
}

/// Records skipped with `--lenient`: how many, their weight where known, and the first few
/// errors so the user sees why.
public struct SkipTally: Sendable, Hashable {
  public var records: Int = 0
  public var weight: UInt64 = 0
  public var examples: [ParseError] = []
  public static let maxExamples = 5

  public init() {}

  public mutating func record(_ error: ParseError, weight: UInt64 = 0) {
    records += 1
    self.weight &+= weight
    if examples.count < Self.maxExamples { examples.append(error) }
  }

  public mutating func merge(_ other: SkipTally) {
    records += other.records
    weight &+= other.weight
    for e in other.examples where examples.count < Self.maxExamples { examples.append(e) }
  }
}
