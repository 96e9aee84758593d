import StackFold

/// The narrowest frame a flame graph draws; narrower frames and everything above them are
/// pruned, and the graph says how many and what they weighed.
public enum MinWidth: Sendable, Hashable, CustomStringConvertible {
  /// Pixels (flamegraph.pl's `--minwidth`, default 0.1).
  case pixels(Double)
  /// Percent of the whole graph's width.
  case percent(Double)

  /// Parses `0.1`, `2px` or `0.5%`; nil when it is not a non-negative number.
  public init?(parsing text: String) {
    var body = Substring(text)
    var percent = false
    if body.hasSuffix("%") {
      percent = true
      body = body.dropLast()
    } else if body.hasSuffix("px") {
      body = body.dropLast(2)
    }
    guard let value = Double(body), value >= 0, value.isFinite else { return nil }
    self = percent ? .percent(value) : .pixels(value)
  }

  /// The threshold in pixels for a plot `plotWidth` pixels wide.
  public func pixels(plotWidth: Double) -> Double {
    switch self {
    case .pixels(let p): return p
    case .percent(let p): return plotWidth * p / 100
    }
  }

  public var description: String {
    switch self {
    case .pixels(let p): return "\(FlameGraphNumbers.trimmed(p)) px"
    case .percent(let p): return "\(FlameGraphNumbers.trimmed(p))%"
    }
  }
}

/// How a flame graph looks: the flamegraph.pl options that matter, with its defaults.
public struct FlameGraphOptions: Sendable, Hashable {
  /// Title; nil means "Flame Graph", "Icicle Graph" or "Differential Flame Graph".
  public var title: String?
  /// A second line under the title.
  public var subtitle: String?
  /// Image width in pixels.
  public var width: Int
  public var minWidth: MinWidth
  /// Icicle graph: root at the top, callees below.
  public var inverted: Bool
  public var frameHeight: Int
  public var fontSize: Int
  /// What the weights count, for tooltips ("samples", "events").
  public var countName: String
  public var naming: FrameNaming

  public init(
    title: String? = nil, subtitle: String? = nil, width: Int = 1200, minWidth: MinWidth = .pixels(0.1),
    inverted: Bool = false, frameHeight: Int = 16, fontSize: Int = 12, countName: String = "samples",
    naming: FrameNaming = FrameNaming()
  ) {
    self.title = title
    self.subtitle = subtitle
    self.width = width
    self.minWidth = minWidth
    self.inverted = inverted
    self.frameHeight = frameHeight
    self.fontSize = fontSize
    self.countName = countName
    self.naming = naming
  }
}
