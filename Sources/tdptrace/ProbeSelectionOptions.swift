import ArgumentParser
import LiveCapture
import TDPTable

/// Which probes `record`, `top` and `probes` attach: presets, `--probe` specs, the attach method.
struct ProbeSelectionOptions: ParsableArguments {
  @Option(
    name: .long, help: "A probe preset: tdp-mmu, shadow-mmu (repeatable). Default: tdp-mmu when no --probe.")
  var preset: [String] = []

  @Option(
    name: .long,
    help: "A probe: kprobe:FUNC, fentry:FUNC (kfunc:FUNC), tracepoint:CATEGORY:NAME, or FUNC (repeatable).")
  var probe: [String] = []

  @Option(
    name: .long, help: "Attach method for functions and preset groups: auto, kprobe, fentry, tracepoint.")
  var attach: AttachRequest = .auto

  @Flag(name: .long, help: "Attach a preset group's tracepoints even when its functions attached.")
  var withTracepoints = false

  /// The plan for these flags; `latency` picks the timing preset by default.
  func plan(latency: Bool = false) throws(LiveCaptureError) -> ProbePlan {
    var chosen: [ProbeTable] = []
    for name in preset { chosen.append(try ProbeTable.preset(named: name)) }
    var specs: [ProbeSpec] = []
    for text in probe { specs.append(try ProbeSpec.parse(text)) }
    if chosen.isEmpty && specs.isEmpty { chosen = [latency ? ProbeTable.tdpMMULatency : ProbeTable.tdpMMU] }
    return ProbePlan(
      presets: chosen, probes: specs, attach: attach, withTracepoints: withTracepoints,
      mode: latency ? .latency : .count)
  }
}

extension AttachRequest: ExpressibleByArgument {}
