import ArgumentParser
import Foundation
import LiveCapture
import Render
import TDPTable
import TraceParse

struct RecordCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "record",
    abstract: "Attach to the running kernel with libbpf and count TDP MMU kernel stacks.",
    discussion: """
      Counts kernel stacks in the kernel (bpf_get_stackid) per probe and writes them in bpftrace's
      text format (@[probe, kstack] = count()), so fold and report read the file like a saved
      bpftrace capture. Events that could not be counted are written as @tdptrace_drops[probe,
      reason] and reported on stderr. Stops after --duration, or on Ctrl-C / SIGTERM, then
      detaches and exits 0.

      Attach methods, tried in this order under --attach auto: functions: fentry, kprobe;
      tracepoints: tp_btf, raw_tp, tracepoint (perf). A preset group whose functions all fail
      falls back to its tracepoints.

      Examples:
        sudo tdptrace record --preset tdp-mmu --duration 10 --output capture.txt
        sudo tdptrace record --preset shadow-mmu --comm qemu-system-x86 --report
        sudo tdptrace record --probe kprobe:kvm_tdp_mmu_map --probe tracepoint:kvmmmu:kvm_mmu_get_page
        sudo tdptrace record --latency --slower-than 1ms --duration 10 --output latency.txt
        sudo tdptrace record --faults --duration 10 --output faults.txt
      """)

  @OptionGroup var probes: ProbeSelectionOptions

  @Flag(
    name: .long,
    help: ArgumentHelp(
      "Time each call from entry to exit (fentry with fexit, else kprobe with kretprobe) into a histogram per probe and entry stack, written as bpftrace's hist() and stats() print them. Default preset: tdp-mmu-latency."
    ))
  var latency = false

  @Option(
    name: .long,
    help: ArgumentHelp(
      "With --latency: also list each call at least this slow (1ms, 500us, 2s, or ns), with its time, thread and stack.",
      valueName: "duration"))
  var slowerThan: DurationArgument?

  @Option(name: .long, help: "With --latency: histogram entries (distinct probe and entry-stack pairs).")
  var latencyEntries: UInt32 = CaptureLimits().latencyEntries

  @Option(name: .long, help: "Seconds to record (default: until Ctrl-C or SIGTERM).")
  var duration: Double?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Write one block per period (1s, 500ms; a bare number is seconds): a time() header and the stacks counted since the block before, as bpftrace's interval:s:1 { time(); print(@); clear(@); } prints them.",
      valueName: "period"))
  var interval: PeriodArgument?

  @Option(name: .long, help: "Print partial counts per probe on stderr every SECONDS.")
  var progress: Double?

  @Option(name: [.short, .long], help: "Write the capture to FILE instead of stdout.")
  var output: String?

  @OptionGroup var filters: CaptureLimitOptions

  @Flag(name: .long, help: "Write frames with raw addresses, as bpftrace's kstack(perf): TAB ADDR func+off.")
  var keepAddresses = false

  @Option(name: .long, help: "Save the /proc/kallsyms used to symbolize the capture to FILE.")
  var saveKallsyms: String?

  @Flag(name: .long, help: "Print the report of the capture on stdout when done.")
  var report = false

  @OptionGroup(title: "Debuginfo (for --report)") var symbols: SymbolOptions

  @Flag(name: .long, help: "Print libbpf's messages (warnings, verifier logs) on stderr.")
  var verbose = false

  func validate() throws {
    if let duration, !(duration > 0) { throw ValidationError("--duration must be positive") }
    try interval?.validate("--interval")
    if let progress, !(progress > 0) { throw ValidationError("--progress must be positive") }
    if interval != nil && latency {
      throw ValidationError(
        "--interval writes count blocks; with --latency a block's minimum and maximum have no difference (record the latency capture whole)"
      )
    }
    if latencyEntries == 0 { throw ValidationError("map sizes must be positive") }
    if latency && probes.attach == .tracepoint {
      throw ValidationError("--latency needs fentry or kprobe: a tracepoint has no exit to time the call by")
    }
    if !latency && slowerThan != nil { throw ValidationError("--slower-than goes with --latency") }
    if latency && probes.spte {
      throw ValidationError("--spte counts a tracepoint, which has no exit for --latency to time the call by")
    }
    if probes.faults && (latency || probes.spte || interval != nil) {
      throw ValidationError(
        "--faults times faults itself: record it alone, not with --latency, --spte or --interval")
    }
    if probes.mmuLock && (latency || probes.spte || probes.faults || interval != nil) {
      throw ValidationError(
        "--mmu-lock times waits itself: record it alone (a second record --faults may run beside it), not with --latency, --spte, --faults or --interval"
      )
    }
    if probes.faults && probes.attach == .tracepoint {
      throw ValidationError("--faults needs fentry or kprobe: a fault is timed from its entry to its exit")
    }
  }

  func run() throws {
    let stderr = FileHandle.standardError
    @Sendable func log(_ line: String) { stderr.write(Data(("tdptrace: " + line + "\n").utf8)) }
    LibbpfLog.setVerbose(verbose)
    do {
      let plan = try probes.plan(latency: latency)
      var limits = filters.limits
      limits.latencyEntries = latencyEntries
      limits.slowerThanNs = slowerThan?.nanoseconds
      // Fail before attaching, not after a long capture, when an output file cannot be written.
      for path in [output, saveKallsyms].compactMap({ $0 }) {
        do { try OutputWriter.checkWritable(OutputDestination(path)) } catch {
          throw LiveCaptureError.io(error.description)
        }
      }
      var recorder = Recorder(
        plan: plan, limits: limits, duration: duration, progress: progress, interval: interval?.seconds,
        log: log)
      // Blocks go out as they are read when the capture goes to stdout; a file is replaced
      // once, whole, at the end.
      let streaming = output == nil && !report
      let blocks = IntervalBlocks(
        writer: interval.map {
          IntervalCaptureWriter(writer: CaptureWriter(keepAddresses: keepAddresses), interval: $0.seconds)
        },
        streaming: streaming)
      if blocks.writer != nil {
        recorder.onInterval = { capture, symbols, time in blocks.add(capture, symbols: symbols, time: time) }
      }
      let result = try recorder.run()
      let text =
        blocks.writer == nil
        ? CaptureWriter(keepAddresses: keepAddresses).render(result.capture, symbols: result.symbols)
        : blocks.finish(result.capture, symbols: result.symbols, time: result.end)
      if let saveKallsyms {
        try CommandSupport.writeOutput(Array(result.kallsymsText.utf8), to: OutputDestination(saveKallsyms))
      }
      // With --report and no --output, stdout carries the report, not the capture.
      if output != nil || !report, !streaming || blocks.writer == nil {
        try CommandSupport.writeOutput(Array(text.utf8), to: OutputDestination(output ?? "-"))
      }
      let capture = result.capture
      var summary =
        probes.mmuLock
        ? "timed \(capture.lockWaits.reduce(0) { $0 + $1.counts.count }) mmu_lock waits in \(capture.lockWaits.count) keys from \(capture.probes.count) probes"
        : probes.faults
          ? "timed \(capture.faults.reduce(0) { $0 + $1.counts.count }) faults in \(capture.faults.count) keys from \(capture.probes.count) probes"
          : latency
            ? "timed \(capture.latency.reduce(0) { $0 + $1.counts.count }) calls in \(capture.latency.count) histograms from \(capture.probes.count) probes"
            : "recorded \(capture.totalCount) events in \(capture.entries.count) stacks from \(capture.probes.count) probes"
      if let signal = result.signal { summary += " (stopped by \(signal == SIGINT ? "SIGINT" : "SIGTERM"))" }
      log(summary)
      if capture.totalDrops > 0 {
        log("DROPPED \(capture.totalDrops) events (written as @tdptrace_drops):")
        for drop in CaptureWriter().drops(capture) {
          log("  \(drop.probe) \(drop.reason.name): \(drop.count)")
        }
      }
      if report { try RecordReport.show(captureText: text, name: output ?? "<record>", symbols: symbols) }
    } catch let error as LiveCaptureError {
      log(error.description)
      throw ExitCode(1)
    }
  }
}

/// `record --interval`'s blocks as they are read: kept for the file or the report, or written
/// to stdout at once. A class, because the recorder's callback adds to it while `run` goes on.
final class IntervalBlocks: @unchecked Sendable {
  var writer: IntervalCaptureWriter?
  let streaming: Bool
  private var text = ""
  private var started = false

  init(writer: IntervalCaptureWriter?, streaming: Bool) {
    self.writer = writer
    self.streaming = streaming
  }

  func add(_ capture: RawCapture, symbols: KernelSymbols, time: Date) {
    guard var writer else { return }
    var piece = started ? "" : writer.header(capture)
    started = true
    piece += writer.block(capture, symbols: symbols, time: time)
    self.writer = writer
    if streaming {
      // A closed pipe ends the process here, and the kernel detaches with our descriptors.
      try? OutputWriter.write(Array(piece.utf8), to: .stdout)
    } else {
      text += piece
    }
  }

  /// The last block, from the final read; the whole capture unless it was streamed.
  func finish(_ capture: RawCapture, symbols: KernelSymbols, time: Date) -> String {
    add(capture, symbols: symbols, time: time)
    return text
  }
}

/// `record --report`: the report of a fresh capture, by the same request as `tdptrace report`,
/// on a profile parsed from the capture in memory, with the record command's debuginfo options
/// so inlined frames are expanded there too.
enum RecordReport {
  static func show(captureText: String, name: String, symbols: SymbolOptions) throws {
    let profile = symbols.apply(to: try Self.profile(captureText: captureText, name: name))
    try CommandSupport.write(
      CommandSupport.outputs(of: ReportRequest(report: ReportOptions(inputs: [name])), on: profile))
  }

  /// A capture as `record` wrote it, read back by the bpftrace reader every command uses.
  static func profile(captureText: String, name: String) throws -> Profile {
    var reader = LineReader(string: captureText, name: name)
    var builder = ProfileBuilder()
    do {
      try ProfileLoader.parser(for: .bpftrace).parse(
        &reader, into: &builder, options: ParseOptions(sourceName: name))
    } catch {
      throw CommandSupport.failure(error.description)
    }
    return builder.build()
  }
}
