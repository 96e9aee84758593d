import ArgumentParser
import Foundation
import LiveCapture
import TDPTable

struct ProbesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "probes",
    abstract: "Show which probes resolve on this kernel, and by which attach method.",
    discussion: """
      For each probe of the presets (default: tdp-mmu) and of --probe, prints one line:
        ok    PROBE via METHOD        it attached (then was detached at once)
        ok?   PROBE via METHOD        static checks pass; not loaded (--static, or no privileges)
        FAIL  PROBE: REASONS          why not, method by method: not in kallsyms, notrace,
                                      kprobes unavailable, no BTF, fentry refused, tracepoint missing
        skip  PROBE (why)             not tried (a group's tracepoints when its functions attached)
      As root (or with CAP_BPF and CAP_PERFMON) each probe is really loaded and attached, so
      refusals that only the kernel knows (fentry EPERM, verifier rejections, ENOTSUPP at attach)
      show up. Exit status 0 when at least one probe resolves.
      """)

  @OptionGroup var probes: ProbeSelectionOptions

  @Flag(
    name: .long,
    help:
      "Check the probes record --latency would time (entry and exit pairs; default preset tdp-mmu-latency).")
  var latency = false

  @Flag(name: .customLong("static"), help: "Only static checks (kallsyms, BTF, tracefs); load nothing.")
  var staticOnly = false

  @Flag(name: .long, help: "Print libbpf's messages (warnings, verifier logs) on stderr.")
  var verbose = false

  func run() throws {
    let stderr = FileHandle.standardError
    func log(_ line: String) { stderr.write(Data(("tdptrace: " + line + "\n").utf8)) }
    LibbpfLog.setVerbose(verbose)
    do {
      let plan = try probes.plan(latency: latency)
      let (symbols, _) = try KernelSymbols.load()
      let features = KernelFeatures()
      let outcomes: [AttachOutcome]
      var mode = "attached and detached"
      if !staticOnly && Privileges.current().missing.isEmpty {
        let session = try CaptureSession(mode: plan.mode)
        outcomes = plan.attach(to: session, symbols: symbols, features: features)
        session.detach()
      } else {
        if !staticOnly {
          log(
            "not privileged (\(Privileges.current().missing.joined(separator: ", ")) missing): static checks only"
          )
        }
        mode = "static checks only"
        outcomes = plan.check(symbols: symbols, features: features)
      }
      var text =
        "# kernel \(KernelVersion.runningRelease); \(mode); kprobes \(features.kprobes ? "available" : "unavailable"); "
      text +=
        "BTF \(features.hasBTF ? "yes" : "no"); tracefs \(features.tracefs ?? "not mounted or not readable")\n"
      let width = max(8, (outcomes.map { ($0.group ?? "--probe").count }.max() ?? 0) + 2)
      for outcome in outcomes {
        let group = outcome.group ?? "--probe"
        text += group.padding(toLength: width, withPad: " ", startingAt: 0) + outcome.summary + "\n"
      }
      let ok = outcomes.filter(\.attached).count
      text += "# \(ok) of \(outcomes.count) probes resolve\n"
      try CommandSupport.writeOutput(Array(text.utf8))
      if ok == 0 { throw ExitCode(1) }
    } catch let error as LiveCaptureError {
      log(error.description)
      throw ExitCode(1)
    }
  }
}
