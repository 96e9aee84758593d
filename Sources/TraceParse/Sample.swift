/// Index into `Profile.frames`.
public typealias FrameID = UInt32
/// Index into `Profile.labelSets`.
public typealias LabelSetID = UInt32

/// One unique stack with its summed weight.
///
/// **Stack order, everywhere in tdptrace: root first.** `stack[0]` is the outermost caller
/// (`entry_SYSCALL_64_after_hwframe`, `ret_from_fork`), `stack.last` is the leaf: the probed or
/// sampled function. This is the order of folded lines and call trees; parsers of bpftrace and
/// perf, which print the leaf first, reverse as they read. An empty stack is a valid sample (a
/// bpftrace `@[, comm]` key or a user-context kstack) and is kept, never dropped.
public struct Sample: Hashable, Sendable {
  public var stack: [FrameID]
  public var labels: LabelSetID
  /// Count for `count()` maps and perf sample counts; the summed value for `sum()` maps or
  /// `--weight period`. What it measures is `Profile.unit`.
  public var weight: UInt64

  public init(stack: [FrameID], labels: LabelSetID, weight: UInt64) {
    self.stack = stack
    self.labels = labels
    self.weight = weight
  }
}
