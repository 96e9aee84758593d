import TraceParse

/// How frames become names in folded lines, call trees and flame graphs.
public struct FrameNaming: Sendable, Hashable {
  /// Keep `+862` / `+0x35e` (off by default, so one function at many return sites merges).
  public var keepOffsets: Bool
  /// Put the map, probe or event as the root frame so different sources never mix. `nil`
  /// means: only when the profile has more than one source.
  public var sourceRoot: Bool?
  /// Replace every hex number (`0x7f3a...`) in a name with `0x...`, as difffolded.pl `-s` does,
  /// so the same function at another address compares equal (`diff --strip-hex`).
  public var stripHex: Bool = false

  /// Name of the root frame for samples whose labels name no source.
  public static let unknownSource = "[unknown source]"
  /// Name given to a frame whose symbol is empty, so a folded line never has an empty frame.
  public static let emptySymbol = "[unknown]"

  public init(keepOffsets: Bool = false, sourceRoot: Bool? = nil) {
    self.keepOffsets = keepOffsets
    self.sourceRoot = sourceRoot
  }

  /// The name of `frame`.
  public func name(_ frame: Frame) -> String {
    let name = Self.sanitize(frame.name(keepOffset: keepOffsets))
    return stripHex ? Self.strippingHex(name) : name
  }

  /// The function-level name of `frame`: its symbol without offset, whatever `keepOffsets` says.
  /// Function tables and callers/callees work on functions, not return sites.
  public func functionName(_ frame: Frame) -> String {
    let name = Self.sanitize(frame.symbol)
    return stripHex ? Self.strippingHex(name) : name
  }

  /// `name` with each `0x` followed by hex digits written `0x...` (difffolded.pl's
  /// `s/0x[0-9a-fA-F]+/0x.../g`).
  public static func strippingHex(_ name: String) -> String {
    let bytes = Array(name.utf8)
    guard bytes.count >= 3, bytes.contains(UInt8(ascii: "x")) else { return name }
    func isHex(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x66) }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var i = 0
    while i < bytes.count {
      if bytes[i] == UInt8(ascii: "0"), i + 2 < bytes.count, bytes[i + 1] == UInt8(ascii: "x"),
        isHex(bytes[i + 2])
      {
        var j = i + 2
        while j < bytes.count && isHex(bytes[j]) { j += 1 }
        out += Array("0x...".utf8)
        i = j
      } else {
        out.append(bytes[i])
        i += 1
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// A name that is safe as one folded frame. `;` would split a folded line, so it becomes `:`
  /// as in stackcollapse-perf.pl; newlines become spaces; an empty name becomes `[unknown]`.
  public static func sanitize(_ raw: String) -> String {
    if raw.isEmpty { return emptySymbol }
    guard raw.utf8.contains(where: { $0 == UInt8(ascii: ";") || $0 == 0x0A || $0 == 0x0D }) else {
      return raw
    }
    return String(raw.map { $0 == ";" ? ":" : ($0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0) })
  }

  /// The root frame naming the sample's source (probe, event or map).
  public func sourceName(_ sample: Sample, in profile: Profile) -> String {
    sourceName(profile.labelSets[Int(sample.labels)])
  }

  /// `sourceName` of every label set, indexed by `LabelSetID`: the source depends only on the
  /// labels, so a pass over many samples names each label set once.
  public func sourceNames(in profile: Profile) -> [String] {
    profile.labelSets.map(sourceName)
  }

  private func sourceName(_ labels: Labels) -> String {
    Self.sanitize(labels.source ?? Self.unknownSource)
  }

  /// Whether a root frame naming the source is added for this profile.
  public func usesSourceRoot(_ profile: Profile) -> Bool {
    if let sourceRoot { return sourceRoot }
    var seen: String??
    for sample in profile.samples {
      let source = profile.labels(of: sample).source
      if let s = seen, s != source { return true }
      seen = .some(source)
    }
    return false
  }

  /// Names of one sample's stack, root first, with the source root when `withSource`.
  public func names(_ sample: Sample, in profile: Profile, withSource: Bool) -> [String] {
    var out: [String] = []
    out.reserveCapacity(sample.stack.count + 1)
    if withSource { out.append(sourceName(sample, in: profile)) }
    for id in sample.stack { out.append(name(profile.frame(id))) }
    return out
  }
}
