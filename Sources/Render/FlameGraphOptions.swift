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

/// How a flame graph looks: flamegraph.pl's options, with its defaults (see
/// docs/flamegraph-compat.md for each option and where tdptrace differs).
public struct FlameGraphOptions: Sendable, Hashable {
  public static func == (a: FlameGraphOptions, b: FlameGraphOptions) -> Bool {
    a.title == b.title && a.subtitle == b.subtitle && a.width == b.width && a.minWidth == b.minWidth
      && a.inverted == b.inverted && a.frameHeight == b.frameHeight && a.fontSize == b.fontSize
      && a.countName == b.countName && a.naming == b.naming && a.colors == b.colors
      && a.hashColors == b.hashColors && a.paletteMap == b.paletteMap && a.reverse == b.reverse
      && a.flameChart == b.flameChart && a.negate == b.negate && a.factor == b.factor
      && a.nameType == b.nameType && a.fontType == b.fontType && a.fontWidth == b.fontWidth
      && a.background?.0 == b.background?.0 && a.background?.1 == b.background?.1
      && a.nameAttributes == b.nameAttributes && a.totalWeight == b.totalWeight && a.notes == b.notes
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(title)
    hasher.combine(width)
    hasher.combine(countName)
  }

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
  /// flamegraph.pl's `--colors`: a named palette; nil colors by frame category.
  public var colors: FlameGraphColors?
  /// `--hash`: colors from the name's characters instead of its seeded hash (with `colors`).
  public var hashColors: Bool = false
  /// `--cp`: colors read from and kept in a palette map (`palette.map`), so a function has the
  /// same color in every graph drawn with it. nil when not asked for.
  public var paletteMap: PaletteMap?
  /// `--reverse`: each stack leaf first, so the graph merges by what was sampled.
  public var reverse: Bool = false
  /// `--flamechart`: stacks in input order along x, merged only with the stack before them.
  public var flameChart: Bool = false
  /// `--negate`: a differential graph's red and blue swapped (and the change's sign in tooltips).
  public var negate: Bool = false
  /// `--factor`: counts in tooltips multiplied by this (percentages unchanged).
  public var factor: Double = 1
  /// `--nametype`: what the details line calls a frame ("Function:").
  public var nameType: String = "Function:"
  /// `--fonttype`: the font family.
  public var fontType: String = "Verdana"
  /// `--fontwidth`: average character width as a fraction of the font size, for fitting labels.
  public var fontWidth: Double = 0.59
  /// `--bgcolors`: the background gradient; nil picks the palette's.
  public var background: (String, String)? = nil
  /// `--nameattr`: extra attributes per function name (title, href, target, class, id).
  public var nameAttributes: NameAttributes = NameAttributes()
  /// `--total`: the width of the graph in weight units when larger than the profile's total.
  public var totalWeight: UInt64? = nil
  /// `--notes`: a comment put in the SVG.
  public var notes: String? = nil

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
