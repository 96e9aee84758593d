import ArgumentParser
import StackFold
import TraceParse

extension IntervalMode: ExpressibleByArgument {}

/// How an interval capture's blocks are read and which of them count (docs/intervals.md).
struct IntervalOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "How the blocks of an interval capture (time() headers, repeated print()) relate: delta (the script cleared its maps), cumulative (running totals), or auto (decide from the counts and say what was assumed).",
      valueName: "auto|delta|cumulative"))
  var intervals: IntervalMode = .auto

  @Option(
    help: ArgumentHelp(
      "First block to count: its index (0, 1, ...) or its time() header as printed (07:59:43). With diff, a second --from is AFTER's.",
      valueName: "block"))
  var from: [String] = []

  @Option(
    help: ArgumentHelp(
      "Last block to count, included: an index or a time() header. With diff, a second --to is AFTER's.",
      valueName: "block"))
  var to: [String] = []

  /// Checks the number of bounds: `ranges` is how many inputs can take their own (2 for diff).
  func validate(ranges: Int) throws {
    if from.count > ranges || to.count > ranges {
      throw ValidationError(
        ranges == 1
          ? "--from and --to can be given once."
          : "--from and --to can be given at most twice: BEFORE's, then AFTER's.")
    }
  }

  /// The range for input `position` (0 for the only or BEFORE input, 1 for AFTER): its own
  /// bounds when given twice, else the shared ones.
  func range(_ position: Int) -> IntervalRange {
    func pick(_ list: [String]) -> String? { list.count > position ? list[position] : list.first }
    return IntervalRange(from: pick(from), to: pick(to))
  }
}
