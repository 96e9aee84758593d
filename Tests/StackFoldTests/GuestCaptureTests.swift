import Foundation
import StackFold
import TDPTable
import TestSupport
import Testing
import TraceParse

/// The guest test bed's checks of tdptrace's own view of a real 6.1 TDP MMU run: which paths
/// reached each probe (through the one probe table's path rules), that every stack starts at
/// the probed function, that the summary adds up, and what `probes` said.
///
/// Reads the captures of the last guest run when `TDPTRACE_GUEST_CAPTURES` names its output
/// folder (`scripts/vm/run-tests.sh` sets it), else the committed `fixtures/qemu-tdp/`. The
/// independent checks stay in shell: bpftrace against tdptrace counts with awk, and inline
/// chains against `addr2line` (`scripts/vm/check-captures.sh`).
@Suite struct GuestCaptureTests {
  static let folder: URL = {
    if let dir = ProcessInfo.processInfo.environment["TDPTRACE_GUEST_CAPTURES"], !dir.isEmpty {
      return URL(fileURLWithPath: dir)
    }
    return TDPFixture.url("fixtures/qemu-tdp")
  }()

  static func text(_ name: String) throws -> String {
    try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
  }

  static func profile(_ text: String, name: String) throws -> Profile {
    var reader = LineReader(string: text, name: name)
    var builder = ProfileBuilder()
    try ProfileLoader.parser(for: .bpftrace).parse(
      &reader, into: &builder, options: ParseOptions(sourceName: name))
    return builder.build()
  }

  /// A path the workload (`Tests/guest/zap-driver.c`) must drive: probe function, the origin
  /// the table's rules must give it, and a frame that must be on such a stack.
  struct Path: Sendable, CustomStringConvertible {
    var function: String
    var origin: PathOrigin
    var through: String?
    var description: String {
      "\(function) from \(origin.rawValue)" + (through.map { " through \($0)" } ?? "")
    }
  }

  static let paths: [Path] = [
    Path(function: "kvm_tdp_mmu_map", origin: .vcpuFault, through: "direct_page_fault"),
    Path(function: "tdp_mmu_init_sp", origin: .vcpuFault, through: "kvm_tdp_mmu_map"),
    Path(function: "tdp_mmu_init_sp", origin: .rootLoad, through: "kvm_tdp_mmu_get_vcpu_root_hpa"),
    Path(function: "__handle_changed_spte", origin: .vcpuFault, through: "kvm_tdp_mmu_map"),
    Path(
      function: "__handle_changed_spte", origin: .notifierInvalidate, through: "kvm_tdp_mmu_unmap_gfn_range"),
    Path(function: "__handle_changed_spte", origin: .notifierRelease, through: "__tdp_mmu_zap_root"),
    Path(function: "__tdp_mmu_zap_root", origin: .notifierRelease, through: "kvm_tdp_mmu_zap_all"),
    Path(function: "__tdp_mmu_zap_root", origin: .memslotIoctl, through: "kvm_tdp_mmu_zap_invalidated_roots"),
    Path(function: "kvm_tdp_mmu_unmap_gfn_range", origin: .notifierInvalidate, through: "do_madvise"),
  ]

  /// fentry refuses these on 6.1 (7 arguments; a union by value), so an fentry capture lacks them.
  static let fentryRefused: Set<String> = ["__handle_changed_spte", "tdp_mmu_init_sp"]

  /// The paths of `paths` that no stack of `profile` shows.
  static func missingPaths(_ profile: Profile, skipping: Set<String> = []) -> [Path] {
    let classifier = PathClassifier(rules: ProbeTable.tdpMMU.pathRules)
    var cache = PathClassifier.Cache()
    var seen: [(function: String, origin: PathOrigin, frames: Set<String>)] = []
    for sample in profile.samples where sample.weight > 0 {
      guard let probe = profile.labels(of: sample).probe else { continue }
      let function = ProbeName(probe).function
      let origin = classifier.classify(sample, in: profile, probeFunction: function, cache: &cache).origin
      seen.append((function, origin, Set(profile.frames(of: sample).map { FrameName.base($0.symbol) })))
    }
    return paths.filter { path in
      !skipping.contains(path.function)
        && !seen.contains {
          $0.function == path.function && $0.origin == path.origin
            && (path.through.map($0.frames.contains) ?? true)
        }
    }
  }

  /// `probe -> leaf` for every stack whose leaf is not the probed function or that holds
  /// tracing machinery.
  static func wrongTops(_ profile: Profile) -> [String] {
    profile.samples.compactMap { sample in
      let frames = profile.frames(of: sample).map(\.symbol)
      let probe = profile.labels(of: sample).probe ?? "?"
      let leaf = frames.last.map { FrameName.base($0) } ?? "[empty]"
      let machinery = frames.contains { FrameName.isTracingMachinery(Substring($0)) }
      return leaf == ProbeName(probe).function && !machinery ? nil : "\(probe) -> \(frames.last ?? "[empty]")"
    }
  }

  static let captures = ["bpftrace-kprobe.txt", "tdptrace-kprobe.txt", "tdptrace-fentry.txt"]

  @Test(arguments: captures)
  func everyRequiredPathIsClassified(capture: String) throws {
    let profile = try Self.profile(try Self.text(capture), name: capture)
    #expect(!profile.samples.isEmpty, "no stacks in \(capture)")
    let skipping = capture.contains("fentry") ? Self.fentryRefused : []
    #expect(Self.missingPaths(profile, skipping: skipping).isEmpty, "\(capture)")
  }

  @Test(arguments: captures)
  func everyStackStartsAtTheProbedFunction(capture: String) throws {
    let profile = try Self.profile(try Self.text(capture), name: capture)
    #expect(Self.wrongTops(profile).isEmpty, "\(capture)")
  }

  /// The summary files every event, and a probe's row is its exact total in the capture.
  @Test(arguments: captures)
  func summaryAddsUp(capture: String) throws {
    let profile = try Self.profile(try Self.text(capture), name: capture)
    let summary = TDPSummary(profile: profile)
    #expect(summary.groupedWeight + summary.elsewhereWeight == profile.totalWeight)
    #expect(summary.elsewhere.isEmpty, "\(summary.elsewhere.map(\.probe))")
    var byProbe: [String: UInt64] = [:]
    for sample in profile.samples {
      byProbe[profile.labels(of: sample).probe ?? "", default: 0] += sample.weight
    }
    for group in summary.groups {
      for probe in group.probes {
        #expect(probe.weight == byProbe[probe.probe], "\(probe.probe)")
        #expect(ProbeTable.tdpMMU.group(of: probe.probe)?.name == group.group)
      }
    }
  }

  /// The checks fail when they should: a capture that lost the notifier-release zap path, and
  /// one with a BPF program frame on top of a stack.
  @Test func checksRejectABrokenCapture() throws {
    var text = try Self.text("bpftrace-kprobe.txt")
    text = text.replacingOccurrences(of: "kvm_mmu_notifier_release+", with: "other_function+")
    text = text.replacingOccurrences(
      of: "\n    kvm_tdp_mmu_map+1\n",
      with: "\n    bpf_prog_6deef7357e7b4530_probe+63\n    kvm_tdp_mmu_map+1\n")
    let profile = try Self.profile(text, name: "broken")
    #expect(
      Self.missingPaths(profile).map(\.description).contains(
        "__tdp_mmu_zap_root from mmu-notifier-release through kvm_tdp_mmu_zap_all"))
    #expect(Self.wrongTops(profile).contains { $0.hasPrefix("kprobe:kvm_tdp_mmu_map -> bpf_prog_") })
  }

  /// What `probes` said on the guest: lines by function name.
  static func probeLines(_ function: String, in file: String) throws -> [String] {
    try text(file).split(separator: "\n").map(String.init).filter { line in
      line.split(whereSeparator: { " :".contains($0) }).contains {
        ProbeName(String($0)).function == function
      }
    }
  }

  @Test func probesSayWhatIsInlinedAndWhatFentryRefuses() throws {
    for function in ["tdp_mmu_zap_root", "handle_removed_pt", "tdp_mmu_map_handle_target_level"] {
      let lines = try Self.probeLines(function, in: "probes.txt")
      #expect(lines.contains { $0.contains("inlined") }, "\(function): \(lines)")
    }
    let refusals = [("__handle_changed_spte", "ENOTSUPP"), ("tdp_mmu_init_sp", "UNION")]
    for (function, reason) in refusals {
      #expect(
        try Self.probeLines(function, in: "probes-fentry.txt").contains { $0.contains(reason) }, "\(function)"
      )
      // Under --attach auto, kprobe stands in where fentry is refused.
      #expect(
        try Self.probeLines(function, in: "probes.txt").contains {
          $0.contains(" ok ") && $0.contains("via kprobe")
        })
    }
  }

  /// `probes` lists exactly the table's recorded functions and tracepoints for the preset.
  @Test func probesListTheTablesRecordedProbes() throws {
    let listed = Set(
      try Self.text("probes.txt").split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
        line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).first.map {
          ProbeName(String($0.hasSuffix(":") ? $0.dropLast() : $0)).function
        }
      })
    let table = ProbeTable.tdpMMU.recordedGroups
    let wanted = Set(table.flatMap(\.recordedFunctions) + table.flatMap(\.recordedTracepoints).map(\.event))
    #expect(
      listed == wanted,
      "only listed: \(listed.subtracting(wanted)); only in the table: \(wanted.subtracting(listed))")
  }
}
