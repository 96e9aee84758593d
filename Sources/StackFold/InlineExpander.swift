import TraceParse

/// Expands every frame of a profile into its source-level chain: the frame itself, then the
/// callees the compiler inlined into it, nearer the leaf (stacks are root first). Weights and
/// labels are untouched, so every count that goes in comes out.
///
/// Frames the input already marked `.inlined` (perf `-F +srcline`), and the frame they were
/// inlined into, are kept as they are.
///
/// Each unique frame is resolved once per position kind: the top (leaf) frame of a stack is
/// the probed or sampled instruction itself, every frame below it is a return address, looked
/// up at `address - 1` as perf and pprof do.
public struct InlineExpander {
  public init() {}

  /// Frames that stayed as they were, per debuginfo object and reason.
  public struct Unresolved: Hashable, Sendable, Comparable {
    public var object: String
    public var reason: String
    /// Unique frames (by position kind) that could not be resolved.
    public var frames: Int
    /// Summed weight of the stack positions they occupied.
    public var weight: UInt64

    public static func < (a: Self, b: Self) -> Bool {
      (a.object, a.reason) < (b.object, b.reason)
    }

    /// One line for the user: `kvm: 3 frames (weight 12) not expanded: offset past the end`.
    public var message: String {
      "inline expansion: \(frames) unique frame\(frames == 1 ? "" : "s") (weight \(weight)) in \(object) "
        + "not expanded: \(reason)"
    }
  }

  private struct Key: Hashable {
    var frame: FrameID
    var isReturnAddress: Bool
  }

  /// What a unique frame became, found with one lookup per stack position.
  private struct Expansion {
    var ids: [FrameID]
    /// Where its weight is counted when it could not be resolved.
    var unresolved: (object: String, reason: String)?
  }

  /// What expansion did, for notes and tests.
  public struct Report: Hashable, Sendable {
    /// Unique frames that were looked up and resolved.
    public var resolvedFrames = 0
    /// Inlined frames added, over unique frames.
    public var inlinedFrames = 0
    public var unresolved: [Unresolved] = []
    public init() {}
  }

  /// The expanded profile and a report. Unresolved frames are also summarized in the returned
  /// profile's `notes`, one line per (object, reason).
  public func expand<S: Symbolizer>(_ profile: Profile, with symbolizer: inout S) -> (Profile, Report) {
    var builder = ProfileBuilder(like: profile)
    var report = Report()
    var expanded: [Key: Expansion] = [:]
    var unresolved: [String: [String: Unresolved]] = [:]

    for sample in profile.samples {
      var stack: [FrameID] = []
      stack.reserveCapacity(sample.stack.count * 2)
      let leaf = sample.stack.count - 1
      for (position, id) in sample.stack.enumerated() {
        // perf `-F +srcline` already lists inlined frames after their out-of-line frame:
        // that frame was expanded by the input and is kept as it is.
        let alreadyExpanded =
          profile.frame(id).kind == .inlined
          || (position < leaf && profile.frame(sample.stack[position + 1]).kind == .inlined)
        if alreadyExpanded {
          stack.append(builder.intern(profile.frame(id)))
          continue
        }
        let key = Key(frame: id, isReturnAddress: position != leaf)
        let expansion: Expansion
        if let known = expanded[key] {
          expansion = known
        } else {
          let frame = profile.frame(id)
          switch symbolizer.resolve(frame, isReturnAddress: key.isReturnAddress) {
          case .chain(let chain):
            report.resolvedFrames += 1
            report.inlinedFrames += chain.count - 1
            expansion = Expansion(ids: chain.map { builder.intern($0) })
          case .unresolved(let object, let reason):
            expansion = Expansion(ids: [builder.intern(frame)], unresolved: (object, reason))
            unresolved[object, default: [:]][
              reason, default: Unresolved(object: object, reason: reason, frames: 0, weight: 0)
            ]
            .frames += 1
          }
          expanded[key] = expansion
        }
        stack += expansion.ids
        if let (object, reason) = expansion.unresolved {
          unresolved[object]![reason]!.weight &+= sample.weight
        }
      }
      // The total weight is unchanged, and the input builder already refused overflow.
      try? builder.add(
        stack: stack, labels: builder.intern(profile.labels(of: sample)), weight: sample.weight)
    }
    var result = builder.build()
    report.unresolved = unresolved.values.flatMap { $0.values }.sorted()
    result.notes += report.unresolved.map(\.message)
    return (result, report)
  }
}
