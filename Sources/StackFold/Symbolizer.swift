import TraceParse

/// Resolves one frame to its source-level chain. Implemented by `Symbolize.DwarfSymbolizer`;
/// StackFold's inline expansion depends only on this protocol.
public protocol Symbolizer {
  /// The chain for `frame`, outermost out-of-line function first, then each inlined callee
  /// down to the innermost; nil when it cannot be resolved (the frame then stays as it was).
  /// `isReturnAddress` is true for every frame below the top one: look up `address - 1`.
  mutating func chain(for frame: Frame, isReturnAddress: Bool) -> [Frame]?
}
