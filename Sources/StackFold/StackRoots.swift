import TraceParse

/// Root frames made from a sample's labels, like pprof's `-tagroot`: `--root comm,pid` starts
/// every folded stack with its command and process.
///
/// `comm` directly followed by `pid` (and `tid`) is one frame, spelled as stackcollapse-perf.pl
/// spells it (`--pid`: `comm-pid`, `--tid`: `comm-pid/tid`), with spaces in it turned to `_` as
/// perl does for the comm; any other label is a frame of its own, its value as it is. A label
/// the sample lacks is `?`, as perl writes the pid that perf did not print.
public struct StackRoots: Sendable, Hashable {
  /// Label names, root first (`comm`, `pid`, `tid`, `cpu`, `event`, `map`, `probe`, `key0`, ...).
  public var labels: [String]

  public init(_ labels: [String]) { self.labels = labels }

  /// What `perf script` samples start with by default: the comm, as in stackcollapse-perf.pl.
  public static let perf = StackRoots([Labels.Name.comm])
  /// No root frames (`--root none`). Not named `none`, which would read as `Optional.none`
  /// where an optional is expected.
  public static let empty = StackRoots([])

  /// Whether a label needs the perf parser's thread labels (`ParseOptions.threadLabels`).
  public var needsThreadLabels: Bool {
    labels.contains { $0 == Labels.Name.pid || $0 == Labels.Name.tid || $0 == Labels.Name.cpu }
  }

  /// The root frames of a sample with `set`, root first.
  public func frames(_ set: Labels) -> [String] {
    var out: [String] = []
    var i = 0
    while i < labels.count {
      let name = labels[i]
      if name == Labels.Name.comm {
        var frame = set[name] ?? "?"
        if i + 1 < labels.count && labels[i + 1] == Labels.Name.pid {
          frame += "-" + (set[Labels.Name.pid] ?? "?")
          i += 1
          if i + 1 < labels.count && labels[i + 1] == Labels.Name.tid {
            frame += "/" + (set[Labels.Name.tid] ?? "?")
            i += 1
          }
        }
        out.append(FrameNaming.sanitize(String(frame.map { $0 == " " ? "_" : $0 })))
      } else {
        out.append(FrameNaming.sanitize(set[name] ?? "?"))
      }
      i += 1
    }
    return out
  }
}
