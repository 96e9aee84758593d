import ArgumentParser
import Foundation
import LiveCapture
import Render
import StackFold
import TDPTable
import TraceParse

struct TopCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "top",
    abstract: "A live view of the TDP MMU, like kvm_stat: events per second by probe group and origin path.",
    discussion: """
      Attaches like record (same presets, attach methods and fallbacks) and, every --interval,
      shows each probe group and the origin paths that reached it: events in the interval, per
      second, and since attach, busiest first. q quits; so do Ctrl-C, SIGTERM and --duration.
      Every exit path detaches. --batch (or output that is not a terminal) prints CSV lines
      instead, one per group and path per interval, after kvm_stat's logging mode:
        time,group,path,events,per_second,total
      --latency times each call instead and adds the interval's p99 (p99_ns in CSV).

      Examples:
        sudo tdptrace top
        sudo tdptrace top --pid $(pgrep -f qemu-system) --group zap --group map
        sudo tdptrace top --batch --interval 5s --duration 60 > tdp.csv
      """)

  @OptionGroup var probes: ProbeSelectionOptions

  @OptionGroup var filters: CaptureLimitOptions

  @Option(
    name: .long,
    help: ArgumentHelp("Refresh every period (1s, 500ms; a bare number is seconds).", valueName: "period"))
  var interval: PeriodArgument = PeriodArgument(argument: "1s")!

  @Option(name: .long, help: "Seconds to run (default: until q, Ctrl-C or SIGTERM).")
  var duration: Double?

  @Option(name: .long, help: "Show only this probe group (repeatable): map, init-sp, zap, spte-change, ...")
  var group: [String] = []

  @Flag(name: .long, help: "Print CSV lines for logs instead of refreshing a screen.")
  var batch = false

  @Flag(
    name: .long,
    help:
      "Time each call (fentry with fexit, else kprobe with kretprobe; default preset tdp-mmu-latency) and show each row's p99 over the interval."
  )
  var latency = false

  @Flag(name: .long, help: "Print libbpf's messages (warnings, verifier logs) on stderr.")
  var verbose = false

  func validate() throws {
    try interval.validate("--interval")
    if let duration, !(duration > 0) { throw ValidationError("--duration must be positive") }
  }

  func run() throws {
    @Sendable func log(_ line: String) { OutputWriter.writeStandardError("tdptrace: " + line + "\n") }
    LibbpfLog.setVerbose(verbose)
    let plan: ProbePlan
    if latency && probes.attach == .tracepoint {
      log("--latency needs fentry or kprobe: a tracepoint has no exit to time the call by")
      throw ExitCode(1)
    }
    do { plan = try probes.plan(latency: latency) } catch {
      log(error.description)
      throw ExitCode(1)
    }
    let table = plan.presets.first ?? .tdpMMU
    let known = Set(ProbeTable.all.flatMap { $0.groups.map(\.name) })
    for name in group where !known.contains(name) {
      log("--group \(name): no such probe group; groups: \(known.sorted().joined(separator: ", "))")
      throw ExitCode(1)
    }
    let interactive = !batch && TerminalSession.isInteractive
    if !batch && !interactive { log("stdout or stdin is not a terminal: printing CSV lines as with --batch") }
    var filtersText = [String]()
    if let pid = filters.pid { filtersText.append("pid \(pid)") }
    if let comm = filters.comm { filtersText.append("comm \(comm)") }
    if !group.isEmpty { filtersText.append("groups " + group.joined(separator: ",")) }
    let view = TopView(
      table: table, groups: Set(group), interactive: interactive, timed: latency,
      title: "tdptrace top: "
        + ([plan.presets.map(\.name).joined(separator: "+")] + filtersText).filter { !$0.isEmpty }
        .joined(separator: ", "))

    var recorder = Recorder(
      plan: plan, limits: filters.limits, duration: duration, interval: interval.seconds, log: log)
    recorder.onReady = { view.start() }
    recorder.onInterval = { capture, symbols, time in view.show(capture, symbols: symbols, time: time) }
    recorder.shouldStop = { view.quitTyped() }
    let result: Recorder.Result
    do {
      result = try recorder.run()
    } catch {
      view.stop()
      log(error.description)
      throw ExitCode(1)
    }
    view.stop()
    // The last interval, printed on the normal screen so it stays when the view is gone.
    view.finish(result.capture, symbols: result.symbols, time: result.end)
  }
}

/// `top`'s state between refreshes: the summary at the last read, the terminal, the start.
/// A class, because the recorder's callbacks update it while `run` goes on.
final class TopView: @unchecked Sendable {
  let table: ProbeTable
  let groups: Set<String>
  let interactive: Bool
  let timed: Bool
  let screen: TopScreen
  private var terminal: TerminalSession?
  private var before: TopTable.Totals?
  private var beforeCapture: RawCapture?
  private var lastTime: Date?
  private var started = Date()
  private var printedHeader = false

  init(table: ProbeTable, groups: Set<String>, interactive: Bool, timed: Bool, title: String) {
    self.table = table
    self.groups = groups
    self.interactive = interactive
    self.timed = timed
    screen = TopScreen(title: title)
  }

  func start() {
    started = Date()
    lastTime = started
    if interactive {
      terminal = TerminalSession()
      terminal?.draw(screen.title + "\nwaiting for the first interval...\n")
    } else if !printedHeader {
      printedHeader = true
      try? OutputWriter.write(Array(TopScreen.csvHeader(timed: timed).utf8), to: .stdout)
    }
  }

  func stop() {
    terminal?.restore()
    terminal = nil
  }

  /// Whether to stop: `q` typed in the view; in batch mode, a reader that went away (a pipe's
  /// write end reports POLLERR once its reader closed), so `top --batch | head` ends even in
  /// intervals with nothing to write.
  func quitTyped() -> Bool {
    if let terminal { return terminal.quitTyped() }
    var out = pollfd(fd: 1, events: 0, revents: 0)
    return poll(&out, 1, 0) == 1 && out.revents & Int16(POLLERR | POLLHUP) != 0
  }

  /// The table for the interval that ended at `time`, from the running totals in `capture`.
  func table(_ capture: RawCapture, symbols: KernelSymbols, time: Date) -> TopTable {
    let now = totals(capture, symbols: symbols)
    // With latency probes, the interval's own histograms (differences of the two reads) give p99.
    let interval = timed ? totals(beforeCapture.map { capture.since($0) } ?? capture, symbols: symbols) : nil
    let seconds = time.timeIntervalSince(lastTime ?? started)
    let out = TopTable(now: now, before: before, interval: interval, seconds: seconds, groups: groups)
    before = now
    beforeCapture = capture
    lastTime = time
    return out
  }

  /// A read as rows, through the capture's text and the reader every command uses.
  private func totals(_ capture: RawCapture, symbols: KernelSymbols) -> TopTable.Totals {
    let text = CaptureWriter().render(capture, symbols: symbols)
    let profile = (try? RecordReport.profile(captureText: text, name: "<top>")) ?? Profile()
    return timed
      ? TopTable.Totals(LatencySummary(profile: profile, table: table), table: table)
      : TopTable.Totals(TDPSummary(profile: profile, table: table))
  }

  func show(_ capture: RawCapture, symbols: KernelSymbols, time: Date) {
    let rows = table(capture, symbols: symbols, time: time)
    let clock = Self.clock(time)
    if let terminal {
      let size = TerminalSession.size
      terminal.draw(
        screen.screen(
          rows, clock: clock, elapsed: time.timeIntervalSince(started), width: size.width, height: size.height
        ))
    } else {
      // A closed pipe ends the process here; the kernel detaches with our descriptors.
      try? OutputWriter.write(Array(screen.csv(rows, clock: clock).utf8), to: .stdout)
    }
  }

  /// After the last read: in batch mode its CSV lines, in the view the final screen, printed
  /// once more on the normal screen.
  func finish(_ capture: RawCapture, symbols: KernelSymbols, time: Date) {
    let rows = table(capture, symbols: symbols, time: time)
    let clock = Self.clock(time)
    let text =
      interactive
      ? screen.screen(rows, clock: clock, elapsed: time.timeIntervalSince(started), width: 1000, height: 1000)
      : screen.csv(rows, clock: clock)
    try? OutputWriter.write(Array(text.utf8), to: .stdout)
  }

  /// `%H:%M:%S` local time, as `record --interval` and bpftrace's `time()` print it.
  static func clock(_ time: Date) -> String { IntervalCaptureWriter.clock(time) }
}
