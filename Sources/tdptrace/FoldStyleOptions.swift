import ArgumentParser
import StackFold
import TraceParse

/// `--annotate kernel,jit`: which frame kinds fold suffixes (stackcollapse-perf.pl's
/// `--kernel`, `--jit`, `--all`).
struct AnnotationList: ExpressibleByArgument {
  var annotations: FrameAnnotations

  static let names: [(String, FrameAnnotations)] = [
    ("none", []), ("kernel", .kernel), ("jit", .jit), ("inline", .inline), ("all", .all),
  ]

  init?(argument: String) {
    var set: FrameAnnotations = []
    for word in argument.split(separator: ",", omittingEmptySubsequences: false) {
      guard let found = Self.names.first(where: { $0.0 == word }) else { return nil }
      set.formUnion(found.1)
    }
    annotations = set
  }

  static var allValueStrings: [String] { names.map(\.0) }
}

/// `--root comm,pid`: root frames from labels, or `none`.
struct RootList: ExpressibleByArgument {
  var roots: StackRoots

  init?(argument: String) {
    if argument == "none" {
      roots = .empty
      return
    }
    let names = argument.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    if names.contains(where: \.isEmpty) { return nil }
    roots = StackRoots(names)
  }
}

/// How fold writes each stack: its root frames, frame names and annotations. The defaults make
/// `tdptrace fold` of perf script input what FlameGraph's stackcollapse-perf.pl writes
/// (docs/flamegraph-compat.md maps every perl option).
struct FoldStyleOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Suffix frames with their kind (comma-separated): kernel _[k] (stackcollapse-perf.pl --kernel), "
        + "jit _[j] (--jit), inline _[i], all (--all, and inline), none. "
        + "Default: none for perf script input, inline for other inputs.",
      valueName: "kinds"))
  var annotate: AnnotationList?

  @Option(
    help: ArgumentHelp(
      "Start each stack with these labels (comma-separated; comm, pid, tid, cpu, event, map, probe, key0, ...), "
        + "or none. comm,pid is one frame comm-pid (perl --pid), comm,pid,tid comm-pid/tid (--tid). "
        + "Default: perf script stacks start with their comm; the event, map or probe comes first when the inputs hold several.",
      valueName: "labels"))
  var root: RootList?

  @Flag(help: "Name unknown symbols by their address: [libc.so.6 <7f3a1c>] (stackcollapse-perf.pl --addrs).")
  var addrs = false

  @Flag(
    help:
      "Write perf frame names whole, without stackcollapse-perf.pl's tidying (signatures, quotes, Java L prefixes)."
  )
  var rawNames = false

  /// Whether `--root` asks for perf's pid, tid or cpu labels, which the parser adds only when asked.
  var needsThreadLabels: Bool { root?.roots.needsThreadLabels ?? false }

  func options(naming: FrameNaming) -> FoldOptions {
    FoldOptions(
      naming: naming, annotations: annotate?.annotations, roots: root?.roots, stackcollapseNames: !rawNames,
      addresses: addrs)
  }
}
