import ArgumentParser
import Render
import StackFold
import TraceParse

struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Summarise stacks: totals per map or probe, top functions, call tree, callers and callees.",
    discussion: """
      The text report shows the inputs and total weight, what --lenient skipped and what the filters removed, totals per map/probe/event, the top functions by self weight (flat: the function is the leaf) and by total weight (cum: the function is anywhere on the stack, counted once per stack), the call tree with percentages, non-stack map values (hist, stats) and notes. --callers/--callees show those views instead of the tables and tree. --json writes the same content as JSON.

      Examples:
        tdptrace report trace.txt
        tdptrace report --callers tdp_mmu_init_sp trace.txt
        tdptrace report --callees 'kvm_tdp_mmu_*' --json trace.txt
        tdptrace report --focus kvm_tdp_mmu_map --tree-min-percent 0 trace.txt
        perf script | tdptrace report --event cpu-clock -
      """)

  @OptionGroup var input: InputOptions
  @OptionGroup var naming: NamingOptions
  @OptionGroup var filters: FilterOptions
  @OptionGroup(title: "Debuginfo") var symbols: SymbolOptions
  @OptionGroup(title: "TDP summary and exports") var exports: ExportOptions
  @OptionGroup(title: "Flame graph and HTML") var graphs: GraphOutputOptions

  @Option(
    help: ArgumentHelp(
      "Show who calls functions matching this glob, with counts and shares (repeatable).", valueName: "func"))
  var callers: [String] = []

  @Option(
    help: ArgumentHelp(
      "Show what functions matching this glob call, with counts and shares (repeatable).", valueName: "func"))
  var callees: [String] = []

  @Option(help: ArgumentHelp("Rows in each top-functions table.", valueName: "n"))
  var top = 20

  @Option(
    help: ArgumentHelp(
      "Summarise call-tree children under this percentage of the total in one line.", valueName: "pct"))
  var treeMinPercent = 0.5

  @Option(help: ArgumentHelp("Deepest call-tree level shown (deeper levels are summarised).", valueName: "n"))
  var treeMaxDepth: Int?

  @Flag(help: "Write the report as JSON instead of text.")
  var json = false

  func validate() throws {
    if top < 0 { throw ValidationError("--top must be 0 or more.") }
    if !(treeMinPercent >= 0 && treeMinPercent <= 100) {
      throw ValidationError("--tree-min-percent must be between 0 and 100.")
    }
    if let treeMaxDepth, treeMaxDepth < 0 { throw ValidationError("--tree-max-depth must be 0 or more.") }
  }

  func run() throws {
    let profile = symbols.apply(to: try CommandSupport.load(input, threadLabels: filters.needsThreadLabels))
    let filtered = try CommandSupport.filter(
      profile, with: filters.filter(naming: naming.naming), announce: false)
    // Other outputs go here: an @OptionGroup above and a line that renders `filtered.profile`.
    let options = ReportOptions(
      inputs: input.displayNames, naming: naming.naming, top: top, treeMinPercent: treeMinPercent,
      treeMaxDepth: treeMaxDepth, callers: callers.map(NamePattern.init),
      callees: callees.map(NamePattern.init),
      filtered: filtered.removals)
    // Graph files are written whatever else is printed (also with --tdp).
    try graphs.write(filtered.profile, report: options)
    if graphs.usesStdout { return }
    let replacement: [UInt8]?
    do {
      replacement = try exports.run(
        on: filtered.profile, naming: naming.naming, inputs: input.displayNames, json: json)
    } catch {
      throw CommandSupport.failure("\(error)")
    }
    if let replacement { return try CommandSupport.writeOutput(replacement) }
    let model: ReportModel
    do { model = try ReportModel(profile: filtered.profile, options: options) } catch {
      throw CommandSupport.failure(error.description)
    }
    try CommandSupport.writeOutput(json ? JSONReport.render(model) : Array(TextReport.render(model).utf8))
  }
}
