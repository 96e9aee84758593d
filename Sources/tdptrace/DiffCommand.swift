import ArgumentParser
import Render
import StackFold
import TraceParse

struct DiffCommand: ProducesOutputs {
  static let configuration = CommandConfiguration(
    commandName: "diff",
    abstract: "Compare two captures: the functions whose share changed most, and a differential flame graph.",
    discussion: """
      Prints a table of the functions whose share of the total weight changed most between BEFORE and AFTER, with exact counts on both sides (a function's total counts each stack once, even when it recurses). With --svg, also draws a differential flame graph as difffolded.pl and flamegraph.pl do: widths follow AFTER, red frames grew, blue frames shrank, white are unchanged; the color follows the change in a frame's total weight. Stacks only in BEFORE cannot be drawn with AFTER's widths: the graph counts them and the table lists their functions as [gone]. --normalize scales BEFORE to AFTER's total before taking differences (difffolded.pl -n), for captures of different lengths. --html writes one self-contained page with the totals, the table (names link to the graph) and the differential flame graph. Both inputs can be any supported format.

      Examples:
        tdptrace diff before.txt after.txt
        tdptrace diff --normalize --svg diff.svg before.folded after.folded
        tdptrace diff --html diff.html before.txt after.txt
        tdptrace diff --latency before-latency.txt after-latency.txt
        tdptrace diff --spte before-spte.txt after-spte.txt
        tdptrace diff --focus kvm_tdp_mmu_map --top 10 base.json patched.json
      """)

  @Argument(help: ArgumentHelp("The baseline capture ('-' reads stdin).", valueName: "before"))
  var before: String

  @Argument(
    help: ArgumentHelp(
      "The capture to compare with it. Without it, BEFORE and AFTER are two ranges of one interval capture: --from/--to given twice.",
      valueName: "after"))
  var after: String?

  @Option(help: ArgumentHelp("Input format of both inputs, instead of detecting it.", valueName: "format"))
  var inputFormat: InputFormat?

  @Flag(help: "Skip bad records instead of failing; say how many were skipped and their weight.")
  var lenient = false

  @Option(
    help: ArgumentHelp(
      "What a perf sample weighs: samples (1 each) or period (1 when the sample has none).",
      valueName: "samples|period"))
  var weight: SampleWeight = .samples

  @OptionGroup(title: "Interval captures") var intervals: IntervalOptions

  @OptionGroup var naming: NamingOptions
  @OptionGroup var filters: FilterOptions
  @OptionGroup var trim: TrimOptions

  @Flag(
    help:
      "Compare latency histograms instead: per probe and origin path, calls and p50/p99 before and after, marking changes beyond the bucket error and the noise (docs/latency.md)."
  )
  var latency = false

  @Flag(
    help:
      "Compare the SPTE ledgers of two `record --spte` captures instead: changes by origin path, transition kind and level, before and after."
  )
  var spte = false

  @Flag(help: "Scale BEFORE to AFTER's total before taking differences (difffolded.pl -n).")
  var normalize = false

  @Flag(
    help:
      "Strip hex addresses (0x7f3a...) from frame names before comparing, so the same function at another address matches (difffolded.pl -s)."
  )
  var stripHex = false

  @Option(help: ArgumentHelp("Rows in the table of changed functions (0 lists all).", valueName: "n"))
  var top = 20

  @OptionGroup(title: "Graph and page")
  var graph: GraphOutputOptions

  func validate() throws {
    if top < 0 { throw ValidationError("--top must be 0 or more.") }
    if before == "-" && after == "-" {
      throw ValidationError("Only one of BEFORE and AFTER can be stdin ('-').")
    }
    try intervals.validate(ranges: 2)
    if after == nil {
      if intervals.from.count < 2 && intervals.to.count < 2 {
        throw ValidationError(
          "Give AFTER, or compare two ranges of one interval capture: --from A --to B --from C --to D.")
      }
      if before == "-" { throw ValidationError("Two ranges of one capture need a file, not stdin ('-').") }
    }
    do { try request(unit: .count).validate() } catch { throw ValidationError(error.description) }
  }

  /// BEFORE and AFTER as the report names them: a range of one capture is named by its bounds.
  var inputNames: [String] {
    guard after == nil else { return [before, after!] }
    return (0..<2).map { i in
      let range = intervals.range(i)
      return "\(before) [\(range.from ?? "first")..\(range.to ?? "last")]"
    }
  }

  /// The library request these flags ask for.
  func request(unit: WeightUnit, scale: WeightScale = .integer) -> DiffRequest {
    var names = naming.naming
    names.stripHex = stripHex
    var request = DiffRequest(
      naming: names, limit: top == 0 ? nil : top, normalize: normalize,
      graph: graph.graphOptions(naming: names, unit: unit, scale: scale), svg: graph.svg, html: graph.html,
      title: graph.title, inputs: inputNames, given: graph.given, latency: latency)
    request.spte = spte
    request.lenient = lenient
    return request
  }

  func outputs() throws -> [RenderedOutput] {
    var loader = ProfileLoader(format: inputFormat, lenient: lenient, weight: weight)
    loader.threadLabels = filters.needsThreadLabels
    loader.intervals = intervals.intervals
    let filter = filters.filter(naming: naming.naming)
    var profiles: [Profile] = []
    var whole: Profile?
    for (position, path) in [before, after ?? before].enumerated() {
      let name = path == "-" ? "<stdin>" : path
      let loaded: Profile
      if let whole {
        loaded = whole  // two ranges of one capture: read it once
      } else {
        do { loaded = try loader.load(path: path) } catch { throw CommandSupport.failure(error.description) }
        if after == nil { whole = loaded }
      }
      for note in loaded.notes where position == 0 || after != nil { CommandSupport.warn(note) }
      let profile: Profile
      do { profile = try intervals.range(position).apply(to: loaded, source: name) } catch {
        throw CommandSupport.failure(error.description)
      }
      if profile.skipped.records > 0 {
        CommandSupport.warn(
          "\(name): skipped \(profile.skipped.records) bad record\(profile.skipped.records == 1 ? "" : "s") (weight \(profile.weightScale.format(profile.skipped.weight))) under --lenient"
        )
      }
      let trimmed = try trim.apply(to: profile, announce: true, name: name).0
      CommandSupport.announceSuspects(trimmed, name: name)
      profiles.append(try CommandSupport.filter(trimmed, with: filter, announce: true).profile)
    }
    var request = request(
      unit: profiles[1].unit, scale: max(profiles[0].weightScale, profiles[1].weightScale))
    try graph.loadFiles(into: &request.graph)
    do { return try request.run(before: profiles[0], after: profiles[1]) } catch {
      throw CommandSupport.failure("\(error)")
    }
  }
}
