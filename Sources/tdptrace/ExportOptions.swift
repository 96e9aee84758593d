import ArgumentParser
import Render
import StackFold
import TDPTable

extension FaultAnatomy.Grouping: ExpressibleByArgument {}

/// `report` options for the TDP MMU summary and the pprof and speedscope exports.
struct ExportOptions: ParsableArguments {
  @Flag(
    help: ArgumentHelp(
      "Show the TDP MMU summary instead of the report: for each probe group (map, init-sp, spte-change, zap, wrprot) and probe, the weight by the path that reached it (vCPU page fault, root load, zap worker, MMU notifier, memslot or dirty-log ioctl, ...). With --json, as JSON."
    ))
  var tdp = false

  @Flag(
    help: ArgumentHelp(
      "Show the SPTE ledger of a `record --spte` capture instead of the report: SPTE changes by transition kind (install leaf, zap leaf, split, write-protect, clear Dirty, ...) and level, for all origins and for each origin path. With --json, as JSON."
    ))
  var spte = false

  @Flag(
    help: ArgumentHelp(
      "Show the fault anatomy of a `record --faults` capture instead of the report: per vCPU (or --by vm), faults, faults per second, fast path, retries, installed levels and latency percentiles by outcome (RET_PF_*), and the vCPUs that retried one gfn --stuck-retries times in a row. With --json, as JSON."
    ))
  var faults = false

  @Flag(
    name: .customLong("mmu-lock"),
    help: ArgumentHelp(
      "Show the mmu_lock waits of a `record --mmu-lock` capture instead of the report: per VM, wait time by the write holder inside when each wait ended (and the share no holder explains), by the waiter's path and by mode. With --json, as JSON."
    ))
  var mmuLock = false

  @Option(
    help: ArgumentHelp(
      "With --faults: a row per vcpu (default) or per vm. With --latency: the fault and mmu_lock wait histograms split per vm or vcpu. With --mmu-lock: vm leaves out the per-vCPU table.",
      valueName: "vcpu|vm"))
  var by: FaultAnatomy.Grouping?

  @Option(
    help: ArgumentHelp(
      "With --faults: a vCPU with at least this many RET_PF_RETRY faults in a row on one gfn is reported stuck (default 1000: replacing a memslot alone makes runs of about a hundred under emulation).",
      valueName: "n"))
  var stuckRetries: UInt64?

  @Option(
    help: ArgumentHelp(
      "The probe table --tdp, --spte and the HTML page file samples by: tdp-mmu (default) or shadow-mmu.",
      valueName: "name"))
  var preset: String?

  @Option(
    help: ArgumentHelp(
      "Also write the profile as a gzipped pprof protobuf, for go tool pprof, Pyroscope and Parca.",
      valueName: "out.pb.gz"))
  var pprof: String?

  @Option(
    help: ArgumentHelp(
      "Also write the profile in speedscope's JSON format (one profile per probe, map or event).",
      valueName: "out.json"))
  var speedscope: String?

  func validate() throws {
    if stuckRetries == 0 { throw ValidationError("--stuck-retries must be at least 1") }
    if let preset, ProbeTable.named(preset) == nil {
      throw ValidationError(
        "--preset must be one of \(ProbeTable.all.map(\.name).joined(separator: ", ")), not '\(preset)'")
    }
  }

  /// Sets the request's TDP summary and export fields.
  func apply(to request: inout ReportRequest) {
    request.tdp = tdp
    request.spte = spte
    request.faults = faults
    request.mmuLock = mmuLock
    if mmuLock { request.given.insert(.mmuLock) }
    if let by {
      request.faultGrouping = by
      request.given.insert(.by)
    }
    if let stuckRetries {
      request.stuckRetries = stuckRetries
      request.given.insert(.stuckRetries)
    }
    if faults { request.given.insert(.faults) }
    request.table = preset.flatMap(ProbeTable.named) ?? .tdpMMU
    request.pprof = pprof
    request.speedscope = speedscope
    if tdp { request.given.insert(.tdp) }
    if spte { request.given.insert(.spte) }
    if preset != nil { request.given.insert(.preset) }
  }
}
