import ArgumentParser
import StackFold
import TraceParse

extension InputFormat: ExpressibleByArgument {}
extension SampleWeight: ExpressibleByArgument {}

/// `--weight`: what a sample weighs. `samples` and `period` are perf's (`SampleWeight`); `time`
/// weighs `report --svg`'s flame graph by the time spent under each latency histogram's stack
/// (`LatencyTimeProfile`, docs/latency.md) and reads perf input as samples.
enum WeightChoice: String, ExpressibleByArgument, CaseIterable {
  case samples, period, time

  var sampleWeight: SampleWeight { self == .period ? .period : .samples }
}

/// Inputs and how to read them; shared by every command that reads traces.
struct InputOptions: ParsableArguments {
  @Argument(
    help: ArgumentHelp(
      "Inputs: bpftrace output (text or -f json), perf script output, or folded stacks. '-' reads stdin.",
      valueName: "file"))
  var files: [String] = []

  @Option(
    help: ArgumentHelp(
      "Input format, instead of detecting it from the content.",
      valueName: "format"))
  var inputFormat: InputFormat?

  @Flag(
    help:
      "Skip bad records instead of failing; say on stderr and in the report how many were skipped and their weight."
  )
  var lenient = false

  @Option(
    help: ArgumentHelp(
      "What a perf sample weighs: samples (1 each) or period (1 when the sample has none); time: report --svg weighs each latency histogram's stack by its total time. Default: period for fold (as stackcollapse-perf.pl), samples otherwise.",
      valueName: "samples|period|time"))
  var weight: WeightChoice?

  @OptionGroup(title: "Interval captures") var intervals: IntervalOptions

  func validate() throws {
    if files.isEmpty { throw ValidationError("Give at least one input file, or '-' to read stdin.") }
    try intervals.validate(ranges: 1)
  }

  /// The loader these flags ask for; `defaultWeight` when `--weight` is not given (each
  /// command's own default: fold weighs periods as stackcollapse-perf.pl does).
  func loader(defaultWeight: WeightChoice = .samples) -> ProfileLoader {
    var loader = ProfileLoader(
      format: inputFormat, lenient: lenient, weight: (weight ?? defaultWeight).sampleWeight)
    loader.intervals = intervals.intervals
    return loader
  }

  /// Inputs as reports name them.
  var displayNames: [String] { files.map { $0 == "-" ? "<stdin>" : $0 } }
}

/// How frames are named in folded lines and call trees.
struct NamingOptions: ParsableArguments {
  @Flag(help: "Keep symbol offsets (func+862, func+0x35e) instead of merging a function's return sites.")
  var keepOffsets = false

  var naming: FrameNaming { FrameNaming(keepOffsets: keepOffsets) }
}
