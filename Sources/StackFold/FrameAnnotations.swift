import TraceParse

/// Which frame kinds folded output suffixes, as stackcollapse-perf.pl's `--kernel`, `--jit` and
/// `--all` do: `_[k]` kernel (and modules), `_[j]` JIT, `_[i]` inlined. flamegraph.pl and
/// inferno colour frames by these suffixes.
public struct FrameAnnotations: OptionSet, Sendable, Hashable {
  public let rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue }

  /// `_[k]`: kernel and module frames.
  public static let kernel = FrameAnnotations(rawValue: 1)
  /// `_[j]`: JIT frames.
  public static let jit = FrameAnnotations(rawValue: 2)
  /// `_[i]`: frames the compiler inlined (perf `(inlined)`, DWARF expansion).
  public static let inline = FrameAnnotations(rawValue: 4)
  /// Every suffix. perl's `--all` is kernel and jit; it has no rule for perf's `(inlined)`
  /// frames, which tdptrace marks too because a plain name would read as a real call.
  public static let all: FrameAnnotations = [.kernel, .jit, .inline]

  /// The `_[x]` suffix for a frame kind when this set annotates it.
  public func suffix(_ kind: FrameKind) -> String? {
    switch kind {
    case .kernel, .module: return contains(.kernel) ? "_[k]" : nil
    case .inlined: return contains(.inline) ? "_[i]" : nil
    case .jit: return contains(.jit) ? "_[j]" : nil
    case .user, .unknown: return nil
    }
  }
}
