import TraceParse

/// Resolves one frame to its source-level chain. Implemented by `Symbolize.DwarfSymbolizer`;
/// StackFold's inline expansion depends only on this protocol.
public protocol Symbolizer {
  /// The chain for `frame`, outermost out-of-line function first, then each inlined callee
  /// down to the innermost, or why it cannot be resolved (the frame then stays as it was).
  /// `isReturnAddress` is true for every frame below the top one: look up `address - 1`.
  mutating func resolve(_ frame: Frame, isReturnAddress: Bool) -> FrameResolution
}

extension Symbolizer {
  /// The chain for `frame`, or nil when it cannot be resolved.
  public mutating func chain(for frame: Frame, isReturnAddress: Bool) -> [Frame]? {
    if case .chain(let frames) = resolve(frame, isReturnAddress: isReturnAddress) { return frames }
    return nil
  }
}

/// What a symbolizer made of one frame.
public enum FrameResolution: Hashable, Sendable {
  /// Outermost first. The first element is the input frame itself (possibly with a srcline);
  /// the rest are inlined callees with kind `.inlined`. A one-element chain means nothing was
  /// inlined at that address.
  case chain([Frame])
  /// The frame stays as it was. `object` names the debuginfo object that was searched (or
  /// `[none]` when no loaded object knows the frame); `reason` says why, in a few words.
  case unresolved(object: String, reason: String)
}
