import Foundation
import Render
import TestSupport
import Testing

@testable import tdptrace

/// The CLI's outputs, in-process: each case is a command line, parsed by the real commands and
/// run through their `outputs()`, and compared with a golden file beside its input named by the
/// input, the command and its flags, as pprof names `pprof.<source>.<flags>`:
/// `fixtures/seed/tdp_mmu-notes.txt.report.callers=tdp_mmu_init_sp.golden`.
/// `UPDATE_GOLDEN=1 swift test --filter GoldenCLITests` rewrites them. Exit codes and stderr
/// are the process tests' business (CLIHarness).
@Suite struct GoldenCLITests {
  static let foldInputs = [
    "seed/tdp_mmu-notes.txt", "seed/tdp_mmu-notes-zap_all.txt",
    "bpftrace/bpftrace-kvm-mmu-tracepoints-kstack.txt", "bpftrace/bpftrace-kvm-mmu-tracepoints-kstack.json",
    "bpftrace/qemu-tdp-bpftrace-kprobe-kstack.txt", "bpftrace/libbpf-loader-tp_btf-kvm-kstack.txt",
    "bpftrace/bpftrace-tracepoint-probe-kstack-tuple.json", "bpftrace/shape-named-maps.txt",
    "bpftrace/shape-tuple-keys.txt", "bpftrace/shape-empty-stack.txt", "bpftrace/shape-kstack-ustack.txt",
    "perf/perf-script-sample.txt", "hostile/hostile.folded",
  ]

  static let reportInputs = [
    "seed/tdp_mmu-notes.txt", "bpftrace/bpftrace-kvm-mmu-tracepoints-kstack.txt",
    "bpftrace/qemu-tdp-bpftrace-kprobe-kstack.txt", "bpftrace/qemu-tdp-bpftrace-kprobe-counts.txt",
    "bpftrace/shape-named-maps.txt", "bpftrace/shape-hist-new.txt", "perf/perf-script-sample.txt",
    "hostile/hostile.folded",
  ]

  static let seed = "fixtures/seed/tdp_mmu-notes.txt"

  /// Every case: the command line, input last (diff: BEFORE then AFTER).
  static let cases: [[String]] =
    foldInputs.map { ["fold", "fixtures/" + $0] }
    + reportInputs.flatMap { [["report", "fixtures/" + $0], ["report", "--json", "fixtures/" + $0]] }
    + [
      ["report", "--callers", "tdp_mmu_init_sp", seed],
      ["report", "--json", "--callers", "tdp_mmu_init_sp", "--callees", "kvm_tdp_mmu_map", seed],
      ["report", "--tdp", seed], ["report", "--tdp", "--json", seed],
      ["report", "--tdp", "fixtures/bpftrace/qemu-tdp-bpftrace-kprobe-kstack.txt"],
      ["report", "--tdp", "--json", "fixtures/bpftrace/qemu-tdp-bpftrace-kprobe-kstack.txt"],
      ["report", "--tdp", "fixtures/bpftrace/bpftrace-kvm-mmu-tracepoints-kstack.txt"],
      ["report", "--tdp", "--json", "fixtures/bpftrace/bpftrace-kvm-mmu-tracepoints-kstack.txt"],
      ["report", "--svg", "-", seed],
      ["diff", "--top", "8", "fixtures/graphs/diff-before.folded", "fixtures/graphs/diff-after.folded"],
      ["fold", "--annotate", "all", "fixtures/perf/perf-script-sample.txt"],
      // fold's stackcollapse-perf.pl options (docs/flamegraph-compat.md) on every perf shape.
      ["fold", "fixtures/perf/shapes.txt"], ["fold", "--root", "comm,pid,tid", "fixtures/perf/shapes.txt"],
      ["fold", "--raw-names", "fixtures/perf/shapes.txt"],
      ["fold", "--annotate", "all", "--addrs", "fixtures/perf/shapes.txt"],
      ["fold", "--root", "none", "fixtures/perf/shapes.txt"],
      ["fold", "--root", "map,key0", "fixtures/bpftrace/shape-tuple-keys.txt"],
      ["fold", "fixtures/qemu-tdp/bpftrace-kfunc-derived.txt"],
      ["report", "fixtures/qemu-tdp/bpftrace-kfunc-derived.txt"],
      ["report", "--json", "fixtures/qemu-tdp/bpftrace-kfunc-derived.txt"],
      ["fold", "fixtures/qemu-tdp/bpftrace-kfunc.txt"], ["report", "fixtures/qemu-tdp/bpftrace-kfunc.txt"],
      ["report", "--latency", "fixtures/qemu-tdp/latency-tdptrace.txt"],
      ["report", "--latency", "fixtures/qemu-tdp/latency-bpftrace.txt"],
    ] + latencyCases + spteCases + intervalCases + faultCases + lockCases

  /// `report --mmu-lock` on the capture `LockCaptureTests` writes (two vCPUs and a VM teardown
  /// waiting behind two holders and none), and its waits by origin path in `report --latency`.
  static let lockCases: [[String]] = [
    ["report", "--mmu-lock", "fixtures/record/capture-mmu-lock.golden.txt"],
    ["report", "--mmu-lock", "--json", "fixtures/record/capture-mmu-lock.golden.txt"],
    ["report", "--latency", "fixtures/record/capture-mmu-lock.golden.txt"],
    // The guest's real captures of both kernels (docs/mmu-lock.md).
    ["report", "--mmu-lock", "fixtures/qemu-tdp/lock-tdptrace.txt"],
    ["report", "--mmu-lock", "--json", "fixtures/qemu-tdp-6.12/lock-tdptrace.txt"],
    // --by: the fault and wait histograms per VM or vCPU; a capture without them stays whole.
    ["report", "--mmu-lock", "--by", "vm", "fixtures/record/capture-mmu-lock.golden.txt"],
    ["report", "--latency", "--by", "vcpu", "--json", "fixtures/record/capture-mmu-lock.golden.txt"],
    ["report", "--latency", "--by", "vm", "fixtures/qemu-tdp/faults-tdptrace.txt"],
    ["report", "--latency", "--by", "vcpu", "fixtures/qemu-tdp-6.12/lock-tdptrace.txt"],
    ["report", "--latency", "--by", "vm", "fixtures/qemu-tdp/latency-tdptrace.txt"],
  ]

  /// `report --faults` on the capture `FaultCaptureTests` writes (two vCPUs, a stuck one).
  static let faultCases: [[String]] = [
    ["report", "--faults", "fixtures/record/capture-faults.golden.txt"],
    ["report", "--faults", "--json", "fixtures/record/capture-faults.golden.txt"],
    [
      "report", "--faults", "--by", "vm", "--stuck-retries", "100",
      "fixtures/record/capture-faults.golden.txt",
    ],
    ["fold", "fixtures/record/capture-faults.golden.txt"],
    // The guest's real captures of both kernels (docs/faults.md).
    ["report", "--faults", "fixtures/qemu-tdp/faults-tdptrace.txt"],
    ["report", "--faults", "--json", "fixtures/qemu-tdp-6.12/faults-tdptrace.txt"],
  ]

  /// Interval captures (docs/intervals.md): real cleared and cumulative bpftrace outputs read
  /// as blocks, their sparkline rows and JSON series, and ranges of blocks.
  static let intervalCases: [[String]] = [
    ["report", "fixtures/intervals/host-cleared.txt"],
    // A filtered profile keeps its blocks: the over-time rows follow the focus.
    ["report", "--focus", "kvm_mmu_load", "fixtures/intervals/host-cleared.txt"],
    ["report", "fixtures/intervals/host-cumulative.txt"],
    ["report", "--json", "fixtures/intervals/host-cumulative.json"],
    ["fold", "--from", "1", "--to", "07:59:48", "fixtures/intervals/host-cumulative.txt"],
    ["fold", "--intervals", "delta", "fixtures/intervals/host-cumulative.txt"],
    [
      "diff", "--from", "0", "--to", "1", "--from", "2", "--to", "3", "fixtures/intervals/host-cleared.txt",
      "fixtures/intervals/host-cleared.txt",
    ],
  ]

  /// `report --spte` and `diff --spte` on synthetic NPT captures written with real SPTE classes
  /// (fixtures/spte/README.md).
  static let spteCases: [[String]] = [
    ["report", "--spte", "fixtures/spte/spte-npt-before.txt"],
    ["report", "--spte", "--json", "fixtures/spte/spte-npt-before.txt"],
    ["report", "--spte", "--lenient", "fixtures/spte/spte-bad-class.txt"],
    // The per-operation ledger, on the capture SPTECaptureTests writes (two operations).
    ["report", "--spte", "fixtures/record/capture-spte-ops.golden.txt"],
    ["report", "--spte", "--json", "fixtures/record/capture-spte-ops.golden.txt"],
    ["diff", "--spte", "fixtures/spte/spte-npt-before.txt", "fixtures/spte/spte-npt-after.txt"],
  ]

  /// `report --latency` on each latency shape (docs/latency.md), and `diff --latency`.
  static let latencyInputs = [
    "latency/record-latency.txt", "latency/bpftrace-hist-017.txt", "latency/bpftrace-lhist-new.txt",
  ]
  static let latencyCases: [[String]] =
    latencyInputs.flatMap {
      [["report", "--latency", "fixtures/" + $0], ["report", "--latency", "--json", "fixtures/" + $0]]
    } + [
      ["report", "--latency", "--slowest", "3", "fixtures/latency/record-latency-after.txt"],
      [
        "diff", "--latency", "fixtures/latency/record-latency.txt",
        "fixtures/latency/record-latency-after.txt",
      ],
    ]

  /// `fixtures/x/in.txt` + `report --json --callers f` → `fixtures/x/in.txt.report.json.callers=f.golden`.
  static func goldenPath(_ args: [String]) -> String {
    let command = args[0]
    var rest = Array(args.dropFirst())
    let input = command == "diff" ? rest[rest.count - 2] : rest[rest.count - 1]
    rest.removeLast(command == "diff" ? 2 : 1)
    var words: [String] = []
    var i = 0
    while i < rest.count {
      let flag = String(rest[i].drop { $0 == "-" })
      if i + 1 < rest.count, !rest[i + 1].hasPrefix("--") {
        words.append(flag + "=" + rest[i + 1].replacingOccurrences(of: "/", with: "_"))
        i += 2
      } else {
        words.append(flag)
        i += 1
      }
    }
    return ([input, command] + words + ["golden"]).joined(separator: ".")
  }

  /// Runs a command line in-process; returns what it sends to stdout.
  static func stdout(_ args: [String]) throws -> [UInt8] {
    let command = try TDPTrace.parseAsRoot(args)
    guard let producer = command as? any ProducesOutputs else {
      Issue.record("\(args[0]) does not produce outputs in-process")
      return []
    }
    let previous = FileManager.default.currentDirectoryPath
    // Inputs print as given, relative to the repository, as users run them.
    FileManager.default.changeCurrentDirectoryPath(TDPFixture.root.path)
    defer { FileManager.default.changeCurrentDirectoryPath(previous) }
    return try producer.outputs().filter { $0.destination == .stdout }.flatMap(\.bytes)
  }

  @Test(.serialized, arguments: cases)
  func matchesGolden(args: [String]) throws {
    try TDPFixture.expectGolden(String(decoding: try Self.stdout(args), as: UTF8.self), Self.goldenPath(args))
  }

  @Test func goldenNamesSayInputCommandAndFlags() {
    #expect(
      Self.goldenPath(["report", "--json", "--callers", "f", "fixtures/a/in.txt"])
        == "fixtures/a/in.txt.report.json.callers=f.golden")
    #expect(Self.goldenPath(["diff", "--top", "8", "a.folded", "b.folded"]) == "a.folded.diff.top=8.golden")
    #expect(Self.goldenPath(["report", "--svg", "-", "x"]) == "x.report.svg=-.golden")
  }
}
