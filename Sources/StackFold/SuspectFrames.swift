import TraceParse

/// Frames whose `symbol+offset` cannot be a return address in that symbol: the offset is past
/// the symbol's end (when its size is known, from DWARF), or beyond `maxOffset` when it is not.
/// A symbolizer that did not know the code (a BPF program or trampoline that kallsyms lacked
/// when bpftrace read it) prints the nearest symbol below with an absurd offset, as bpftrace
/// 0.17 does above a `kfunc:` probe (`mpls_gso_exit+429794123`). The frames stay in folded and
/// graph output under their names; the report lists them so no one reads them as callers.
public struct SuspectFrames: Sendable, Hashable {
  /// Offsets beyond this are suspect when the symbol's size is unknown: no kernel function is
  /// a megabyte long.
  public static let maxOffset: UInt64 = 1 << 20

  /// One suspect frame and the samples that hold it.
  public struct Entry: Sendable, Hashable {
    /// `symbol+offset`, in the input's base.
    public var frame: String
    /// The symbol's size when it was known; nil when `maxOffset` decided.
    public var size: UInt64?
    /// Unique stacks holding the frame, and their weight (a stack counts once).
    public var stacks: Int
    public var weight: UInt64

    public init(frame: String, size: UInt64?, stacks: Int, weight: UInt64) {
      self.frame = frame
      self.size = size
      self.stacks = stacks
      self.weight = weight
    }
  }

  /// Heaviest first, ties by frame text.
  public var entries: [Entry]

  /// The suspect frames of `profile`. `sizes` gives symbol sizes by symbol name (clone suffix
  /// kept), for the symbols whose size is known.
  public init(profile: Profile, sizes: [String: UInt64] = [:]) {
    var suspect = [Bool](repeating: false, count: profile.frames.count)
    var size = [UInt64?](repeating: nil, count: profile.frames.count)
    var any = false
    for (i, frame) in profile.frames.enumerated() {
      guard let offset = frame.offset?.value else { continue }
      if let known = sizes[frame.symbol], known > 0 {
        // A return address may equal the end (a call as the last instruction), not pass it.
        suspect[i] = offset > known
        size[i] = known
      } else {
        suspect[i] = offset > Self.maxOffset
      }
      any = any || suspect[i]
    }
    guard any else {
      entries = []
      return
    }
    var byFrame: [String: Entry] = [:]
    for sample in profile.samples {
      var seen = Set<String>()
      for id in sample.stack where suspect[Int(id)] {
        let frame = profile.frames[Int(id)]
        let text = frame.name(keepOffset: true)
        guard seen.insert(text).inserted else { continue }
        byFrame[text, default: Entry(frame: text, size: size[Int(id)], stacks: 0, weight: 0)].stacks += 1
        byFrame[text]!.weight &+= sample.weight
      }
    }
    entries = byFrame.values.sorted {
      $0.weight != $1.weight ? $0.weight > $1.weight : $0.frame.utf8Precedes($1.frame)
    }
  }

  /// Why an entry is suspect, in a few words.
  public static func reason(_ entry: Entry) -> String {
    if let size = entry.size { return "past the end of its \(size)-byte symbol" }
    return "offset beyond 1 MB"
  }
}
