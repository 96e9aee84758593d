import ArgumentParser
import Render

@main
struct TDPTrace: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tdptrace",
    abstract: "Record, fold and report kernel stacks of KVM's TDP MMU.",
    discussion: """
      Reads bpftrace output (text and -f json), perf script output and folded stacks, or records
      live with libbpf, and turns them into folded stacks, call trees and flame graphs.

      Examples:
        tdptrace report fixtures/seed/tdp_mmu-notes.bt.txt
        tdptrace fold capture.txt > capture.folded
        tdptrace report --callers tdp_mmu_init_sp capture.txt
        sudo tdptrace record --preset tdp-mmu --duration 10 --output capture.txt
      """,
    subcommands: [
      FoldCommand.self, ReportCommand.self, DiffCommand.self, RecordCommand.self, TopCommand.self,
      ProbesCommand.self,
      SymbolizeCommand.self,
    ]
  )

  /// A closed stdout pipe must end the run quietly, through `OutputWriter`, not by signal.
  static func main() {
    OutputWriter.ignoreSIGPIPE()
    main(nil)
  }
}
