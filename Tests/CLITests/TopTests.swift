import Foundation
import TDPTable
import Testing

/// `tdptrace top` in a real terminal: tmux runs it in a pane (`send-keys`, `capture-pane`)
/// while Tests/guest/kvmloop.c loops under a bpftrace count of the same tracepoints, on this
/// host's tracepoint fallback. Totals on the screen equal bpftrace's; each rate shown lies in
/// the range of bpftrace's per-second counts, widened for the interval's edges; `q` quits
/// with status 0 and gives the terminal back.
extension RecordTests {
  /// Inside `RecordTests`, whose `.serialized` covers it: the record tests check that no
  /// tdptrace BPF program outlives them, which a `top` running beside them would break.
  @Suite(
    .enabled(if: RecordSupport.onPath("tmux"), "needs tmux (apt-get install tmux) to drive a terminal"),
    .enabled(if: RecordSupport.onPath("bpftrace"), "needs bpftrace to compare counts"))
  struct TopTests {
    typealias S = RecordSupport

    /// A tmux server of the test's own, so nothing else's sessions are touched.
    struct Tmux {
      let socket = "tdptrace-top-\(getpid())"
      /// Runs tmux and waits for it with waitpid: Foundation's Process does not see a child end
      /// while a daemon it started (the tmux server) holds the descriptors it inherited.
      func run(_ args: [String]) throws -> String {
        let out = NSTemporaryDirectory() + "tmux-\(getpid())-\(UUID().uuidString.prefix(8))"
        defer { unlink(out) }
        let quoted = (["tmux", "-L", socket] + args).map {
          "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
        // The server outlives the client: it must not keep descriptors of this process (the
        // pipes by which Foundation sees other tests' children end), so bash closes them first.
        let closeAll =
          "for fd in /proc/$$/fd/*; do n=${fd##*/}; [ \"$n\" -gt 2 ] && eval \"exec $n>&-\"; done; "
        let argv = [
          "/bin/bash", "-c", closeAll + "exec " + quoted.joined(separator: " ") + " >\(out) 2>&1 </dev/null",
        ]
        var pid: pid_t = 0
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        guard posix_spawn(&pid, "/bin/bash", nil, nil, &cArgs, environ) == 0 else {
          throw S.Failure("cannot spawn tmux")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        guard status == 0 else { throw S.Failure("tmux \(args.first ?? ""): \(text)") }
        return text
      }
      func pane() -> String { (try? run(["capture-pane", "-p", "-t", "top"])) ?? "" }
    }

    /// The screen's rows: group or path name → (events/s, events, total).
    static func rows(_ screen: String) -> [String: (rate: Double, events: UInt64, total: UInt64)] {
      var out: [String: (Double, UInt64, UInt64)] = [:]
      for line in screen.split(separator: "\n") {
        let tokens = line.split(separator: " ")
        guard tokens.count >= 4, let rate = Double(tokens[0]), let events = UInt64(tokens[1]),
          let total = UInt64(tokens[2])
        else { continue }
        out[tokens[3...].joined(separator: " ")] = (rate, events, total)
      }
      return out
    }

    @Test func ratesAndTotalsMatchBpftraceInATerminal() throws {
      S.ensureTracefs()
      let dir = try S.tempDir()
      let guest = try S.buildGuest(in: dir, name: "kvmtop")
      let tmux = Tmux()
      defer { _ = try? tmux.run(["kill-server"]) }
      let status = dir + "/status"
      let err = dir + "/top.err"
      let command = "\(S.binary) top --comm kvmtop --interval 1 2>\(err); echo $? > \(status); sleep 600"
      _ = try tmux.run(["new-session", "-d", "-s", "top", "-x", "200", "-y", "50", command])
      let attached = waitUntil(timeout: 180) {
        tmux.pane().contains("q quits") || tmux.pane().contains("waiting")
      }
      let errText = { (try? String(contentsOfFile: err, encoding: .utf8)) ?? "" }
      try #require(attached, "top did not start: \(errText()) \(tmux.pane())")

      // The probes top attached, from its attach lines: bpftrace counts exactly those.
      let probes = errText().split(separator: "\n").compactMap { line -> String? in
        guard line.hasPrefix("tdptrace: ok    tracepoint:") else { return nil }
        return line.dropFirst("tdptrace: ok    ".count).split(separator: " ").first.map(String.init)
      }
      try #require(!probes.isEmpty, "\(errText())")
      let program =
        probes.joined(separator: ", ")
        + " /comm == \"kvmtop\"/ { @total[probe] = count(); @second = count(); }"
        + " interval:s:1 { print(@second); clear(@second); }"
      let bpftrace = try S.Background(
        "/usr/bin/env", ["bpftrace", "-e", program, "-c", "\(guest) 15000 16"], dir: dir, name: "bpftrace")
      var screens: [String] = []
      while bpftrace.process.isRunning {
        usleep(500_000)
        screens.append(tmux.pane())
      }
      #expect(bpftrace.waitExit(timeout: 10) == 0, "\(bpftrace.stderr)")
      // Two intervals after the guest ended, every event is on the screen.
      usleep(2_500_000)
      let finalScreen = tmux.pane()
      let final = Self.rows(finalScreen)

      // bpftrace: totals by probe, and the per-second counts of all probes together.
      var totals: [String: UInt64] = [:]
      var seconds: [UInt64] = []
      for line in bpftrace.stdout.split(separator: "\n") {
        if line.hasPrefix("@total["), let close = line.firstIndex(of: "]") {
          totals[String(line[line.index(line.startIndex, offsetBy: 7)..<close])] = UInt64(
            line[line.index(close, offsetBy: 3)...])
        } else if line.hasPrefix("@second: ") {
          seconds.append(UInt64(line.dropFirst(9)) ?? 0)
        }
      }
      var byGroup: [String: UInt64] = [:]
      for (probe, n) in totals {
        let group = ProbeTable.tdpMMU.group(of: probe)?.name ?? probe
        byGroup[group, default: 0] += n
      }
      try #require(!byGroup.isEmpty, "bpftrace counted nothing: \(bpftrace.stdout)")
      for (group, n) in byGroup {
        #expect(
          final[group]?.total == n,
          "group \(group): top \(String(describing: final[group])), bpftrace \(n); screen:\n\(finalScreen)")
      }
      #expect(final.values.contains { $0.events == 0 }, "the last interval after the guest ended is quiet")

      // Rates: the screens taken while the guest ran, each interval's events over every group,
      // against bpftrace's whole seconds (its first and last second are partial).
      let interior = seconds.count > 2 ? Array(seconds.dropFirst().dropLast()) : seconds
      let low = Double(interior.min() ?? 0) * 0.75
      let high = Double(interior.max() ?? 0) * 1.25
      // One rate per interval (screens are taken twice an interval), in time order; the first
      // and last busy intervals hold the guest's start and end, the rest lie inside its run.
      var rateAt: [String: Double] = [:]
      for screen in screens {
        guard let title = screen.split(separator: "\n").first,
          let clock = title.split(separator: " ").first(where: {
            $0.count == 8 && $0.filter { $0 == ":" }.count == 2
          })
        else { continue }
        let rows = Self.rows(screen)
        rateAt[String(clock)] = byGroup.keys.compactMap { rows[$0]?.rate }.reduce(0, +)
      }
      let busy = rateAt.sorted { $0.key < $1.key }.map(\.value).filter { $0 > 0 }
      let inside = busy.count > 2 ? Array(busy.dropFirst().dropLast()) : []
      for rate in inside {
        #expect(
          rate >= low && rate <= high,
          "rate \(rate) outside [\(low), \(high)]: bpftrace's seconds \(seconds), top's \(busy)")
      }
      #expect(
        interior.count < 3 || !inside.isEmpty, "no interval inside the run: top \(busy), bpftrace \(seconds)")

      _ = try tmux.run(["send-keys", "-t", "top", "q"])
      let exited = waitUntil(timeout: 30) { FileManager.default.fileExists(atPath: status) }
      #expect(exited, "q did not end top: \(tmux.pane())")
      let code = (try? String(contentsOfFile: status, encoding: .utf8))?.trimmingCharacters(
        in: .whitespacesAndNewlines)
      #expect(code == "0", "\(errText())")
      // The terminal is back: the alternate screen is off and the final table stays printed.
      #expect(
        (try? tmux.run(["display-message", "-p", "-t", "top", "#{alternate_on}"]))?.hasPrefix("0") == true)
      #expect(tmux.pane().contains("GROUP / PATH"))
    }

    /// `--batch`: CSV after kvm_stat's logging mode; SIGTERM and a closed pipe end it with
    /// status 0, and its BPF programs go with it.
    @Test func batchLinesAndEveryExitPath() throws {
      S.ensureTracefs()
      let dir = try S.tempDir()
      let guest = try S.buildGuest(in: dir, name: "kvmbatch")
      let top = try S.Background(
        S.binary, ["top", "--batch", "--comm", "kvmbatch", "--interval", "200ms"], dir: dir, name: "top")
      #expect(
        top.wait(for: { top.stdout.hasPrefix("time,group,path,events,per_second,total\n") }, timeout: 180))
      let run = try S.run(guest, ["2000", "16"], timeout: 120)
      #expect(run.status == 0)
      usleep(600_000)
      top.signal(SIGTERM)
      #expect(top.waitExit(timeout: 60) == 0, "\(top.stderr)")
      let lines = top.stdout.split(separator: "\n").dropFirst()
      #expect(lines.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 6 })
      // Each group's events over its lines add up to its last total.
      var events: [String: UInt64] = [:]
      var last: [String: UInt64] = [:]
      for line in lines {
        let f = line.split(separator: ",", omittingEmptySubsequences: false)
        guard f[2].isEmpty else { continue }
        events[String(f[1]), default: 0] += UInt64(f[3]) ?? 0
        last[String(f[1])] = UInt64(f[5])
      }
      #expect(!events.isEmpty && events == last, "\(top.stdout)")
      #expect(events["init-sp", default: 0] >= 2000)

      // A reader that goes away: the next write ends top quietly.
      let piped = try S.run(
        "/bin/sh", ["-c", "'\(S.binary)' top --batch --comm kvmbatch --interval 100ms | head -n 1"],
        timeout: 120)
      #expect(
        piped.status == 0 && piped.stdout == "time,group,path,events,per_second,total\n", "\(piped.stderr)")
      #expect(!piped.timedOut)
    }

    func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
      let deadline = Date().addingTimeInterval(timeout)
      while Date() < deadline {
        if condition() { return true }
        usleep(200_000)
      }
      return condition()
    }
  }
}
