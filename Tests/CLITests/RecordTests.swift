import Foundation
import Testing
import TraceParse

/// End-to-end tests of `tdptrace record` and `tdptrace probes` on this machine's kernel, with
/// Tests/guest/kvmloop.c as the workload. They need root (BPF) and /dev/kvm; elsewhere they skip
/// and say so. Serialized: they share the kernel's KVM tracepoints.
@Suite(
  .serialized,
  .enabled(if: RecordSupport.isRoot, "record tests need root (CAP_BPF, CAP_PERFMON)"),
  .enabled(if: RecordSupport.hasKVM, "record tests need /dev/kvm to run the guest program"))
struct RecordTests {
  typealias S = RecordSupport
  static let iterations = 25

  /// Starts `record` in the background and waits until it says it attached.
  func startRecord(_ args: [String], dir: String, name: String) throws -> S.Background {
    let record = try S.Background(S.binary, ["record"] + args, dir: dir, name: name)
    let ready = record.wait(for: { record.stderr.contains("Attaching ") }, timeout: 180)
    if !ready {
      record.signal(SIGKILL)
      _ = record.waitExit(timeout: 10)
      throw S.Failure("record did not attach within 180 s: \(record.stderr)")
    }
    return record
  }

  func runGuest(_ guest: String, iterations: Int = iterations) throws {
    let r = try S.run(guest, ["\(iterations)", "16"], timeout: 120)
    guard r.status == 0 else { throw S.Failure("kvmloop failed (\(r.status)): \(r.stderr)") }
  }

  @Test func shadowPresetCapturesGuestPathsAndDetachesOnSIGINT() throws {
    S.ensureTracefs()
    let dir = try S.tempDir()
    let guest = try S.buildGuest(in: dir)
    let out = dir + "/shadow.txt"
    let record = try startRecord(["--preset", "shadow-mmu", "--output", out], dir: dir, name: "shadow")
    let ours = try S.tdptracePrograms()
    #expect(!ours.isEmpty, "no tdp_ program loaded while recording")
    try runGuest(guest)
    record.signal(SIGINT)
    let status = record.waitExit(timeout: 60)
    #expect(status == 0, "record exit \(String(describing: status)): \(record.stderr)")
    #expect(record.stderr.contains("stopped by SIGINT"))

    let text = try String(contentsOfFile: out, encoding: .utf8)
    #expect(text.hasPrefix("Attaching "))
    let (byProbe, byStack) = S.parseStacks(text)
    #expect(byProbe["tracepoint:kvmmmu:kvm_mmu_get_page", default: 0] >= UInt64(Self.iterations))
    #expect(byProbe["tracepoint:kvmmmu:kvm_mmu_prepare_zap_page", default: 0] >= UInt64(Self.iterations))
    // kvm_mmu_load -> mmu_alloc_root for get_page; kvm_mmu_notifier_release for prepare_zap_page.
    #expect(
      byStack.keys.contains {
        $0.hasPrefix("tracepoint:kvmmmu:kvm_mmu_get_page;") && $0.contains(";mmu_alloc_root+")
          && $0.contains(";kvm_mmu_load+")
          && $0.range(of: ";mmu_alloc_root+")!.lowerBound < $0.range(of: ";kvm_mmu_load+")!.lowerBound
      }, "\(byStack.keys)")
    #expect(
      byStack.keys.contains {
        $0.hasPrefix("tracepoint:kvmmmu:kvm_mmu_prepare_zap_page;")
          && $0.contains(";kvm_mmu_notifier_release+")
      })
    // No BPF frame survives, and every frame is func+decimal.
    for stack in byStack.keys {
      #expect(!stack.contains("bpf_prog_") && !stack.contains("bpf_trace_run"), "\(stack)")
      for frame in stack.split(separator: ";").dropFirst() {
        #expect(frame.wholeMatch(of: /[A-Za-z0-9_.$]+\+[0-9]+/) != nil, "\(frame)")
      }
    }
    // Clean detach: none of the programs it loaded is left, and no link points at them.
    // `ours` may also hold programs that tests in other suites loaded at the same moment (the
    // listing cannot tell owners apart); those go away when their test ends, a leak does not.
    var left = try S.tdptracePrograms().intersection(ours)
    for _ in 0..<50 where !left.isEmpty {
      usleep(100_000)
      left = try S.tdptracePrograms().intersection(ours)
    }
    #expect(left.isEmpty, "programs left after SIGINT: \(left)")
    let links = try S.run("/usr/sbin/bpftool", ["link", "list"], timeout: 30).stdout
    for id in ours {
      #expect(!links.contains("prog \(id)\n") && !links.contains("prog \(id) "), "link to prog \(id)")
    }

    // report reads it, every count included.
    let profile = try ProfileLoader().load(path: out)
    #expect(profile.totalWeight == byProbe.values.reduce(0, +))
    let report = try S.tdptrace(["report", out], timeout: 120)
    #expect(report.status == 0, "\(report.stderr)")
    #expect(report.stdout.contains("tracepoint:kvmmmu:kvm_mmu_get_page"))
  }

  @Test func tdpPresetFallsBackToTracepointsAndStopsOnSIGTERM() throws {
    S.ensureTracefs()
    let dir = try S.tempDir()
    let guest = try S.buildGuest(in: dir)
    let out = dir + "/tdp.txt"
    let record = try startRecord(
      ["--preset", "tdp-mmu", "--output", out, "--progress", "1", "--comm", "kvmloop"], dir: dir, name: "tdp")
    try runGuest(guest)
    usleep(1_200_000)  // let one interval report pass
    record.signal(SIGTERM)
    #expect(record.waitExit(timeout: 60) == 0, "\(record.stderr)")
    #expect(record.stderr.contains("stopped by SIGTERM"))
    #expect(
      record.stderr.split(separator: "\n").contains {
        $0.contains("s: ") && $0.contains(" tracepoint:kvmmmu:kvm_mmu_get_page=")
      },
      "no interval line: \(record.stderr)")
    let (byProbe, _) = S.parseStacks(try String(contentsOfFile: out, encoding: .utf8))
    let functionAttached = record.stderr.split(separator: "\n").contains {
      $0.hasPrefix("tdptrace: ok    kfunc:") || $0.hasPrefix("tdptrace: ok    kprobe:")
    }
    if !functionAttached {
      // This host (PVM, no kprobes, fentry refused): every group falls back to its tracepoints,
      // and each function says why it did not attach.
      #expect(record.stderr.contains("FAIL  kvm_tdp_mmu_map"), "\(record.stderr)")
      #expect(byProbe["tracepoint:kvmmmu:kvm_mmu_get_page", default: 0] >= UInt64(Self.iterations))
    }
  }

  /// tdptrace attaches first; bpftrace then runs the guest itself (`-c`) and exits when it ends,
  /// so both see the whole run. Both filter on the guest's comm so nothing else on the host counts.
  /// (bpftrace gets its signals blocked when spawned from a test thread, so it cannot be stopped
  /// with SIGINT here; `-c` needs no signal.)
  @Test(.enabled(if: RecordSupport.onPath("bpftrace"), "needs bpftrace to compare counts"))
  func countsEqualBpftraceOnTheSameRun() throws {
    S.ensureTracefs()
    let dir = try S.tempDir()
    // A comm of its own: other tests run kvmloop guests in parallel.
    let guest = try S.buildGuest(in: dir, name: "kvmcount")
    let tracepoints = ["tracepoint:kvmmmu:kvm_mmu_get_page", "tracepoint:kvmmmu:kvm_mmu_prepare_zap_page"]
    let out = dir + "/tdptrace.txt"
    let record = try startRecord(
      tracepoints.flatMap { ["--probe", $0] } + ["--comm", "kvmcount", "--output", out], dir: dir, name: "tdp"
    )
    let program =
      tracepoints.joined(separator: ", ") + " /comm == \"kvmcount\"/ { @[probe, kstack] = count(); }"
    let bpftrace = try S.run(
      "/usr/bin/env", ["bpftrace", "-e", program, "-c", "\(guest) \(Self.iterations) 16"], timeout: 240)
    record.signal(SIGINT)
    #expect(record.waitExit(timeout: 60) == 0)
    #expect(bpftrace.status == 0, "\(bpftrace.stderr)")
    let theirs = S.parseStacks(bpftrace.stdout)
    let ours = S.parseStacks(try String(contentsOfFile: out, encoding: .utf8))
    #expect(ours.byProbe == theirs.byProbe)
    #expect(ours.byStack == theirs.byStack)
    #expect(ours.byProbe["tracepoint:kvmmmu:kvm_mmu_get_page", default: 0] >= UInt64(Self.iterations))
  }

  /// `record --interval`: blocks of what each 100 ms counted, on the same guest run as a
  /// bpftrace count. The blocks sum to bpftrace's counts stack by stack, several blocks hold
  /// events, and the reader takes them as the deltas they declare themselves to be.
  @Test(.enabled(if: RecordSupport.onPath("bpftrace"), "needs bpftrace to compare counts"))
  func intervalBlocksSumToBpftraceOnTheSameRun() throws {
    S.ensureTracefs()
    let dir = try S.tempDir()
    let guest = try S.buildGuest(in: dir, name: "kvminterval")
    let tracepoints = ["tracepoint:kvmmmu:kvm_mmu_get_page", "tracepoint:kvmmmu:kvm_mmu_prepare_zap_page"]
    let out = dir + "/interval.txt"
    let record = try startRecord(
      tracepoints.flatMap { ["--probe", $0] } + [
        "--comm", "kvminterval", "--interval", "100ms", "--output", out,
      ],
      dir: dir, name: "interval")
    let program =
      tracepoints.joined(separator: ", ") + " /comm == \"kvminterval\"/ { @[probe, kstack] = count(); }"
    let bpftrace = try S.run(
      "/usr/bin/env", ["bpftrace", "-e", program, "-c", "\(guest) 4000 16"], timeout: 240)
    record.signal(SIGINT)
    #expect(record.waitExit(timeout: 60) == 0, "\(record.stderr)")
    #expect(bpftrace.status == 0, "\(bpftrace.stderr)")
    let text = try String(contentsOfFile: out, encoding: .utf8)
    let theirs = S.parseStacks(bpftrace.stdout)
    let ours = S.parseStacks(text)
    #expect(ours.byProbe == theirs.byProbe)
    #expect(ours.byStack == theirs.byStack)
    // Blocks with events: a time() header followed by an entry.
    let lines = text.split(separator: "\n")
    let busy = zip(lines, lines.dropFirst()).filter { $0.0.first?.isNumber == true && $0.1.hasPrefix("@[") }
    #expect(busy.count >= 3, "\(text.prefix(2000))")
    let fold = try S.tdptrace(["fold", out], timeout: 120)
    #expect(fold.status == 0, "\(fold.stderr)")
    #expect(!fold.stderr.contains("running totals"), "\(fold.stderr)")
    let folded = fold.stdout.split(separator: "\n").reduce(UInt64(0)) {
      $0 + (UInt64($1.split(separator: " ").last ?? "") ?? 0)
    }
    #expect(folded == theirs.byProbe.values.reduce(0, +))
  }

  /// A stack map of one bucket (`--stack-entries 1`) on the same guest run as a default one:
  /// every stack but one collides in the stack map and goes through the fallback by content, and
  /// the capture is the default one, probe by probe and stack by stack, with no drop. A third
  /// record with no room in the fallback either (`--fallback-entries 1`) drops what collides,
  /// and counts each drop: its counts plus its drops are the reference's.
  @Test func oneBucketStackMapCountsEveryEvent() throws {
    S.ensureTracefs()
    let dir = try S.tempDir()
    let guest = try S.buildGuest(in: dir, name: "kvmfallback")
    let probes = ["tracepoint:kvmmmu:kvm_mmu_get_page", "tracepoint:kvmmmu:kvm_mmu_prepare_zap_page"].flatMap
    {
      ["--probe", $0]
    }
    let common = probes + ["--comm", "kvmfallback"]
    let reference = try startRecord(
      common + ["--output", dir + "/reference.txt"], dir: dir, name: "reference")
    let tiny = try startRecord(
      common + ["--stack-entries", "1", "--output", dir + "/tiny.txt"], dir: dir, name: "tiny")
    let full = try startRecord(
      common + ["--stack-entries", "1", "--fallback-entries", "1", "--output", dir + "/full.txt"], dir: dir,
      name: "full")
    let records = [reference, tiny, full]
    defer { for record in records { record.signal(SIGKILL) } }
    try runGuest(guest)
    for record in records {
      record.signal(SIGINT)
      #expect(record.waitExit(timeout: 60) == 0, "\(record.stderr)")
    }
    let referenceText = try String(contentsOfFile: dir + "/reference.txt", encoding: .utf8)
    let tinyText = try String(contentsOfFile: dir + "/tiny.txt", encoding: .utf8)
    let fullText = try String(contentsOfFile: dir + "/full.txt", encoding: .utf8)
    let want = S.parseStacks(referenceText)
    let got = S.parseStacks(tinyText)
    #expect(!referenceText.contains("@tdptrace_drops"), "\(referenceText)")
    #expect(!tinyText.contains("@tdptrace_drops"), "\(tinyText)")
    #expect(!tiny.stderr.contains("DROPPED"), "\(tiny.stderr)")
    #expect(got.byProbe == want.byProbe)
    #expect(got.byStack == want.byStack)
    #expect(want.byProbe["tracepoint:kvmmmu:kvm_mmu_get_page", default: 0] >= UInt64(Self.iterations))
    // More than one stack: all but one of them came through the fallback. Each once.
    #expect(want.byStack.count >= 2, "\(want.byStack.keys)")
    #expect(tinyText.components(separatedBy: "@[").count - 1 == got.byStack.count)

    // No room in the fallback either: what collides is dropped as stack_collision and counted.
    var dropped: UInt64 = 0
    for line in fullText.split(separator: "\n") where line.hasPrefix("@tdptrace_drops[") {
      #expect(line.contains(", stack_collision]: "), "\(line)")
      dropped += UInt64(line.split(separator: " ").last ?? "") ?? 0
    }
    let counted = S.parseStacks(fullText).byProbe.values.reduce(0, +)
    #expect(counted + dropped == want.byProbe.values.reduce(0, +), "counted \(counted), dropped \(dropped)")
    if want.byStack.count > 2 { #expect(dropped > 0) }
    if dropped > 0 { #expect(full.stderr.contains(" stack_collision: "), "\(full.stderr)") }
  }

  @Test func kprobeAndFentryFallBackOrFailWithTheReason() throws {
    // Each must attach (on a kernel that allows it) or fail quickly naming why, never hang.
    for probe in ["kprobe:kvm_mmu_page_fault", "fentry:kvm_mmu_page_fault", "kvm_mmu_page_fault"] {
      let r = try S.tdptrace(
        ["record", "--probe", probe, "--duration", "1", "--output", "/dev/null"], timeout: 120)
      #expect(!r.timedOut, "\(probe) hung")
      if r.status != 0 {
        #expect(r.status == 1)
        let known = [
          "kprobes unavailable", "fentry refused", "not in kallsyms", "no BTF", "notrace", "kprobe refused",
        ]
        #expect(known.contains { r.stderr.contains($0) }, "\(probe): \(r.stderr)")
        #expect(r.stderr.contains("no probe could be attached"), "\(r.stderr)")
      }
    }
    let probes = try S.tdptrace(
      [
        "probes", "--probe", "fentry:kvm_mmu_page_fault", "--probe", "kprobe:kvm_mmu_page_fault", "--probe",
        "no_such_function_xyz", "--probe", "tracepoint:kvmmmu:kvm_mmu_get_page", "--probe",
        "tracepoint:kvmmmu:no_such_event",
      ], timeout: 120)
    #expect(probes.status == 0, "\(probes.stderr)")
    let lines = probes.stdout.split(separator: "\n").map(String.init)
    #expect(lines.contains { $0.contains("FAIL  no_such_function_xyz: not in kallsyms") }, "\(probes.stdout)")
    #expect(lines.contains { $0.contains("ok    tracepoint:kvmmmu:kvm_mmu_get_page via tp_btf") })
    #expect(lines.contains { $0.contains("FAIL  tracepoint:kvmmmu:no_such_event: tracepoint missing") })
    #expect(
      lines.contains { $0.contains("fentry:kvm_mmu_page_fault") || $0.contains("kfunc:kvm_mmu_page_fault") })
  }

  @Test func commFilterAndBadInputErrors() throws {
    let dir = try S.tempDir()
    let guest = try S.buildGuest(in: dir)
    let out = dir + "/none.txt"
    let record = try startRecord(
      ["--probe", "tracepoint:kvmmmu:kvm_mmu_get_page", "--comm", "no-such-comm", "--output", out], dir: dir,
      name: "comm")
    try runGuest(guest, iterations: 5)
    record.signal(SIGINT)
    #expect(record.waitExit(timeout: 60) == 0)
    #expect(try String(contentsOfFile: out, encoding: .utf8) == "Attaching 1 probe...\n\n\n")

    // --report prints the report of the capture (here an empty one) on stdout.
    let reported = try S.tdptrace(
      [
        "record", "--probe", "tracepoint:kvmmmu:kvm_mmu_get_page", "--comm", "no-such-comm", "--duration",
        "1", "--report",
      ],
      timeout: 120)
    #expect(reported.status == 0, "\(reported.stderr)")
    #expect(reported.stdout.hasPrefix("tdptrace report"), "\(reported.stdout)")

    let bad = try S.tdptrace(["record", "--probe", "uprobe:foo", "--duration", "1"], timeout: 60)
    #expect(bad.status == 1)
    #expect(
      bad.stderr
        == "tdptrace: unknown probe 'uprobe:foo': unknown probe type 'uprobe' (kprobe, fentry, kfunc, tracepoint)\n"
    )
    let preset = try S.tdptrace(["record", "--preset", "nope", "--duration", "1"], timeout: 60)
    #expect(preset.status == 1)
    #expect(
      preset.stderr
        == "tdptrace: unknown preset 'nope' (known: tdp-mmu, shadow-mmu, tdp-mmu-latency, tdp-mmu-spte, tdp-mmu-faults, tdp-mmu-lock)\n"
    )
  }

  /// Two guests run at once: `kvmloop` (5 iterations) and a copy named `kvmloop2` (15). `--pid`
  /// of the first counts what `--comm kvmloop` counts, plus any event in KVM's worker thread of
  /// that process (the `kvm-nx-lpage-re` vhost task shares its thread group but not its comm);
  /// the second guest's events, seen by `--comm kvmloop2`, reach neither.
  @Test func pidFilterCountsOneProcess() throws {
    let dir = try S.tempDir()
    let guest = try S.buildGuest(in: dir)
    let other = dir + "/kvmloop2"
    try FileManager.default.copyItem(atPath: guest, toPath: other)
    let first = try S.Background(guest, ["5", "16", "wait"], dir: dir, name: "guest1", stdin: true)
    let second = try S.Background(other, ["15", "16", "wait"], dir: dir, name: "guest2", stdin: true)
    defer {
      first.signal(SIGKILL)
      second.signal(SIGKILL)
    }
    let probe = ["--probe", "tracepoint:kvmmmu:kvm_mmu_get_page"]
    let byPid = try startRecord(
      probe + ["--pid", "\(first.process.processIdentifier)", "--output", dir + "/pid.txt"], dir: dir,
      name: "pid")
    let byComm = try startRecord(
      probe + ["--comm", "kvmloop", "--output", dir + "/comm.txt"], dir: dir, name: "comm")
    let byOther = try startRecord(
      probe + ["--comm", "kvmloop2", "--output", dir + "/other.txt"], dir: dir, name: "other")
    first.input!.fileHandleForWriting.write(Data("go\n".utf8))
    second.input!.fileHandleForWriting.write(Data("go\n".utf8))
    #expect(first.waitExit(timeout: 120) == 0, "\(first.stderr)")
    #expect(second.waitExit(timeout: 120) == 0, "\(second.stderr)")
    for record in [byPid, byComm, byOther] {
      record.signal(SIGINT)
      #expect(record.waitExit(timeout: 60) == 0)
    }
    func total(_ name: String) throws -> UInt64 {
      S.parseStacks(try String(contentsOfFile: dir + "/" + name, encoding: .utf8)).byProbe.values.reduce(0, +)
    }
    let (pidCount, commCount, otherCount) = (
      try total("pid.txt"), try total("comm.txt"), try total("other.txt")
    )
    #expect(pidCount >= 5)
    #expect(commCount >= 5)
    #expect(otherCount >= 15)
    #expect(pidCount >= commCount, "pid \(pidCount), comm \(commCount), other \(otherCount)")
    #expect(pidCount < commCount + otherCount, "pid \(pidCount), comm \(commCount), other \(otherCount)")
  }

  @Test(
    .enabled(
      if: RecordSupport.onPath("setpriv") || FileManager.default.fileExists(atPath: "/usr/bin/setpriv")))
  func withoutPrivilegesOneClearLine() throws {
    let r = try S.run(
      "/usr/bin/setpriv",
      [
        "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all", S.binary, "record",
        "--duration", "1",
      ],
      timeout: 60)
    #expect(r.status == 1)
    #expect(r.stderr == "tdptrace: needs root, or CAP_BPF and CAP_PERFMON (missing: CAP_BPF, CAP_PERFMON)\n")
    #expect(r.stdout.isEmpty)
    // probes still answers, from static checks, and says so.
    let p = try S.run(
      "/usr/bin/setpriv",
      [
        "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all", S.binary, "probes",
        "--probe",
        "tracepoint:kvmmmu:kvm_mmu_get_page", "--probe", "no_such_function_xyz",
      ], timeout: 60)
    #expect(p.status == 0, "\(p.stderr)")
    #expect(p.stderr.contains("static checks only"))
    #expect(p.stdout.contains("ok?   tracepoint:kvmmmu:kvm_mmu_get_page via tp_btf"), "\(p.stdout)")
    #expect(p.stdout.contains("FAIL  no_such_function_xyz: not in kallsyms"), "\(p.stdout)")
  }
}
