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

      perf script input folds as FlameGraph's stackcollapse-perf.pl folds it: the comm as root, perl's name tidying, each sample weighing its period (1 when it has none). Unlike perl, every event is kept (select one with --event) and so is the last sample of a file without a trailing blank line. docs/flamegraph-compat.md maps every perl option.

      Examples:
        tdptrace fold trace.txt > trace.folded
        tdptrace fold trace.txt | flamegraph.pl > trace.svg
        sudo bpftrace -e 'kprobe:kvm_tdp_mmu_map { @[kstack] = count(); }' | tdptrace fold -
        tdptrace fold --focus 'kvm_tdp_mmu_*' --min-count 10 trace.txt
        perf script | tdptrace fold - | flamegraph.pl > perf.svg
        tdptrace fold --root comm,pid --annotate all perf.txt     (stackcollapse-perf.pl --pid --all)
        tdptrace fold --annotate all --keep-offsets perf.txt
        tdptrace fold --probe 'tracepoint:kvmmmu:*' trace.json
      """)

  @OptionGroup var input: InputOptions
  @OptionGroup var naming: NamingOptions
  @OptionGroup var filters: FilterOptions
  @OptionGroup var trim: TrimOptions
  @OptionGroup(title: "Debuginfo") var symbols: SymbolOptions

  @OptionGroup(title: "Stack style") var style: FoldStyleOptions

  func validate() throws {
    if input.weight == .time {
      throw ValidationError("--weight time has no effect with fold; use report --weight time --svg out.svg")
    }
  }

  func outputs() throws -> [RenderedOutput] {
    let loaded = try CommandSupport.load(
      input, threadLabels: filters.needsThreadLabels || style.needsThreadLabels, defaultWeight: .period)
    // fold's stdout has no room for notes (how interval blocks were read, lost events).
    for note in loaded.notes { CommandSupport.warn(note) }
    let (profile, sizes) = symbols.expand(try trim.apply(to: loaded, announce: true).0)
    CommandSupport.announceSuspects(profile, sizes: sizes)
    let filtered = try CommandSupport.filter(
      profile, with: filters.filter(naming: naming.naming), announce: true)
    let lines: [FoldedLine]
    do {
      lines = try Folder.fold(
        filtered.profile, options: style.options(naming: naming.naming))
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
