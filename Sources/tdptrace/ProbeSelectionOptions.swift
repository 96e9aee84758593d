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

  @Flag(
    name: .long,
    help: ArgumentHelp(
      "Count kvmmmu:kvm_tdp_mmu_spte_changed by stack, level, old and new SPTE class and pfn change (classes computed in the kernel under the running kernel's masks), with huge page splits and remote TLB flushes: report --spte reads it. Adds the tdp-mmu-spte preset (alone by default)."
    ))
  var spte = false

  @Flag(
    name: .long,
    help: ArgumentHelp(
      "Time each page fault (kvm_mmu_page_fault, entry to exit) by VM, vCPU, outcome (RET_PF_* of the TDP fault handler, named from BTF), fast path and levels, with each vCPU's longest retry run on one gfn: report --faults reads it. Adds the tdp-mmu-faults preset (alone by default)."
    ))
  var faults = false

  @Flag(
    name: .customLong("mmu-lock"),
    help: ArgumentHelp(
      "Time each wait for a VM's mmu_lock (lock:contention_begin to contention_end, the lock found from kvm_mmu_page_fault's vcpu->kvm through BTF) by mode and waiter stack, blamed on the write path (zap, memslot, notifier, dirty log, NX recovery) inside when it ended: report --mmu-lock reads it. Adds the tdp-mmu-lock preset (alone by default)."
    ))
  var mmuLock = false

  /// The plan for these flags; `latency` picks the timing preset by default.
  func plan(latency: Bool = false) throws(LiveCaptureError) -> ProbePlan {
    var chosen: [ProbeTable] = []
    for name in preset { chosen.append(try ProbeTable.preset(named: name)) }
    var specs: [ProbeSpec] = []
    for text in probe { specs.append(try ProbeSpec.parse(text)) }
    if spte && !chosen.contains(.tdpMMUSPTE) { chosen.append(.tdpMMUSPTE) }
    if faults && !chosen.contains(.tdpMMUFaults) { chosen.append(.tdpMMUFaults) }
    if mmuLock && !chosen.contains(.tdpMMULock) { chosen.append(.tdpMMULock) }
    if chosen.isEmpty && specs.isEmpty { chosen = [latency ? ProbeTable.tdpMMULatency : ProbeTable.tdpMMU] }
    return ProbePlan(
      presets: chosen, probes: specs, attach: attach, withTracepoints: withTracepoints,
      mode: latency ? .latency : .count, spte: spte, faults: faults, mmuLock: mmuLock)
  }
}

extension AttachRequest: ExpressibleByArgument {}
