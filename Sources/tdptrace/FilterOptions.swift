import ArgumentParser
import StackFold
import TraceParse

/// Sample filters shared by fold and report. Patterns are shell globs (`kvm_tdp_mmu_*`) or
/// exact names; an exact name always matches itself, so `[unknown]` works as written.
struct FilterOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Keep only stacks through a function matching this glob (repeatable: any).", valueName: "func"))
  var focus: [String] = []

  @Option(
    help: ArgumentHelp("Drop stacks through a function matching this glob (repeatable).", valueName: "func"))
  var ignore: [String] = []

  @Option(help: ArgumentHelp("Drop stacks whose weight (after naming) is below n.", valueName: "n"))
  var minCount: UInt64?

  @Option(
    help: ArgumentHelp(
      "Keep samples whose label NAME matches the VALUE glob (map, probe, event, comm, pid, tid, key0, ...). "
        + "Repeat a name for alternatives; different names must all match.",
      valueName: "name=value"))
  var select: [String] = []

  @Option(
    help: ArgumentHelp(
      "Shortcut for --select map=VALUE (bpftrace map such as @ or @faults).", valueName: "map"))
  var map: [String] = []
  @Option(help: ArgumentHelp("Shortcut for --select probe=VALUE.", valueName: "probe"))
  var probe: [String] = []
  @Option(help: ArgumentHelp("Shortcut for --select event=VALUE (perf event).", valueName: "event"))
  var event: [String] = []
  @Option(help: ArgumentHelp("Shortcut for --select comm=VALUE.", valueName: "comm"))
  var comm: [String] = []
  @Option(help: ArgumentHelp("Shortcut for --select pid=VALUE.", valueName: "pid"))
  var pid: [String] = []
  @Option(help: ArgumentHelp("Shortcut for --select tid=VALUE.", valueName: "tid"))
  var tid: [String] = []

  func validate() throws {
    for text in select where LabelSelector(parsing: text) == nil {
      throw ValidationError("--select expects NAME=VALUE, got '\(text)'.")
    }
  }

  /// Whether a filter selects on perf's pid, tid or cpu, which the perf parser labels only
  /// when asked (they multiply unique stacks).
  var needsThreadLabels: Bool {
    !pid.isEmpty || !tid.isEmpty
      || select.contains { $0.hasPrefix("pid=") || $0.hasPrefix("tid=") || $0.hasPrefix("cpu=") }
  }

  func filter(naming: FrameNaming) -> StackFilter {
    var selectors = select.compactMap(LabelSelector.init(parsing:))
    for (name, values) in [
      (Labels.Name.map, map), (Labels.Name.probe, probe), (Labels.Name.event, event),
      (Labels.Name.comm, comm),
      (Labels.Name.pid, pid), (Labels.Name.tid, tid),
    ] {
      selectors += values.map { LabelSelector(name: name, value: $0) }
    }
    return StackFilter(
      selectors: selectors, focus: focus.map(NamePattern.init), ignore: ignore.map(NamePattern.init),
      minCount: minCount, naming: naming)
  }
}
