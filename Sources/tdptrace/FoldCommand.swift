import ArgumentParser
import Render
import StackFold
import TraceParse

struct FoldCommand: ProducesOutputs {
  static let configuration = CommandConfiguration(
    commandName: "fold",
    abstract: "Write folded stacks (root;...;leaf count), one line per unique stack.",
    discussion: """
      The output is what flamegraph.pl, inferno-flamegraph and speedscope read. Lines are sorted and stacks that become identical once offsets are stripped are summed. When the inputs hold several maps, probes or events, each stack starts with its map, probe or event so none mix. A sample without frames is kept, as its source alone or as '[no stack]'.

      Examples:
        tdptrace fold trace.txt > trace.folded
        tdptrace fold trace.txt | flamegraph.pl > trace.svg
        sudo bpftrace -e 'kprobe:kvm_tdp_mmu_map { @[kstack] = count(); }' | tdptrace fold -
        tdptrace fold --focus 'kvm_tdp_mmu_*' --min-count 10 trace.txt
        tdptrace fold --annotate --keep-offsets perf.txt
        tdptrace fold --probe 'tracepoint:kvmmmu:*' trace.json
      """)

  @OptionGroup var input: InputOptions
  @OptionGroup var naming: NamingOptions
  @OptionGroup var filters: FilterOptions
  @OptionGroup var trim: TrimOptions
  @OptionGroup(title: "Debuginfo") var symbols: SymbolOptions

  @Flag(help: "Suffix frames with their kind: _[k] kernel or module, _[i] inlined, _[j] JIT.")
  var annotate = false

  func validate() throws {
    if input.weight == .time {
      throw ValidationError("--weight time has no effect with fold; use report --weight time --svg out.svg")
    }
  }

  func outputs() throws -> [RenderedOutput] {
    let loaded = try CommandSupport.load(input, threadLabels: filters.needsThreadLabels)
    let (profile, sizes) = symbols.expand(try trim.apply(to: loaded, announce: true).0)
    CommandSupport.announceSuspects(profile, sizes: sizes)
    let filtered = try CommandSupport.filter(
      profile, with: filters.filter(naming: naming.naming), announce: true)
    let lines: [FoldedLine]
    do {
      lines = try Folder.fold(
        filtered.profile, options: FoldOptions(naming: naming.naming, annotate: annotate))
    } catch {
      throw CommandSupport.failure(error.description)
    }
    if !filtered.profile.values.isEmpty {
      CommandSupport.warn(
        "\(filtered.profile.values.count) map values are not stacks and are not folded (see 'tdptrace report')"
      )
    }
    return [RenderedOutput(.stdout, Folder.render(lines))]
  }
}
