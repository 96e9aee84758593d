import TraceParse

/// How frames become names in folded lines, call trees and flame graphs.
public struct FrameNaming: Sendable, Hashable {
  /// Keep `+862` / `+0x35e` (off by default, so one function at many return sites merges).
  public var keepOffsets: Bool
  /// Put the map, probe or event as the root frame so different sources never mix. `nil`
  /// means: only when the profile has more than one source.
  public var sourceRoot: Bool?

  public init(keepOffsets: Bool = false, sourceRoot: Bool? = nil) {
    self.keepOffsets = keepOffsets
    self.sourceRoot = sourceRoot
  }

  /// The name of `frame`. `;` would split a folded line, so it becomes `:` as in
  /// stackcollapse-perf.pl; newlines cannot appear in a folded frame either.
  public func name(_ frame: Frame) -> String {
    var name = frame.name(keepOffset: keepOffsets)
    if name.contains(where: { $0 == ";" || $0 == "\n" || $0 == "\r" }) {
      name = String(name.map { $0 == ";" ? ":" : ($0 == "\n" || $0 == "\r" ? " " : $0) })
    }
    return name
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
    if withSource { out.append(profile.labels(of: sample).source ?? "[unknown source]") }
    for id in sample.stack { out.append(name(profile.frame(id))) }
    return out
  }
}
