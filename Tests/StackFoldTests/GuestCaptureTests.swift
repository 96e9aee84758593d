import Foundation
import StackFold
import TDPTable
import TestSupport
import Testing
import TraceParse

/// The guest test bed's checks of tdptrace's own view of a real TDP MMU run, on every kernel
/// generation it boots: which paths reached each probe (through the one probe table's path
/// rules), that every stack starts at the probed function, that the summary adds up, and what
/// `probes` said. What each generation must show is in `scripts/vm/kernels.txt` (`GuestKernel`).
///
/// Reads the captures of the last guest runs when `TDPTRACE_GUEST_CAPTURES` names their output
/// folders (`scripts/vm/run-tests.sh` sets it), else the committed `fixtures/qemu-tdp*/`. The
/// independent checks stay in shell: bpftrace against tdptrace counts with awk, and inline
/// chains against `addr2line` (`scripts/vm/check-captures.sh`).
@Suite struct GuestCaptureTests {
  static func profile(_ text: String, name: String) throws -> Profile {
    var reader = LineReader(string: text, name: name)
    var builder = ProfileBuilder()
    try ProfileLoader.parser(for: .bpftrace).parse(
      &reader, into: &builder, options: ParseOptions(sourceName: name))
    return builder.build()
  }

  typealias Path = GuestKernel.Path

  /// The paths of `paths` that no stack of `profile` shows.
  static func missingPaths(_ profile: Profile, paths: [Path], skipping: Set<String> = []) -> [Path] {
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

  @Test func everyCommittedKernelIsKnown() {
    #expect(!GuestKernel.all.isEmpty)
    for kernel in GuestKernel.all {
      #expect(!kernel.generation.hasPrefix("unknown"), "\(kernel.folder.path): \(kernel.generation)")
      #expect(!kernel.paths.isEmpty, "\(kernel)")
    }
  }

  @Test(arguments: GuestKernel.all, captures)
  func everyRequiredPathIsClassified(kernel: GuestKernel, capture: String) throws {
    let profile = try Self.profile(try kernel.text(capture), name: capture)
    #expect(!profile.samples.isEmpty, "no stacks in \(capture)")
    let skipping = capture.contains("fentry") ? Set(kernel.fentryRefused.map(\.function)) : []
    #expect(
      Self.missingPaths(profile, paths: kernel.paths, skipping: skipping).isEmpty, "\(kernel) \(capture)")
  }

  @Test(arguments: GuestKernel.all, captures)
  func everyStackStartsAtTheProbedFunction(kernel: GuestKernel, capture: String) throws {
    let profile = try Self.profile(try kernel.text(capture), name: capture)
    #expect(Self.wrongTops(profile).isEmpty, "\(kernel) \(capture)")
  }

  /// The summary files every event, and a probe's row is its exact total in the capture.
  @Test(arguments: GuestKernel.all, captures)
  func summaryAddsUp(kernel: GuestKernel, capture: String) throws {
    let profile = try Self.profile(try kernel.text(capture), name: capture)
    let summary = TDPSummary(profile: profile)
    #expect(summary.groupedWeight + summary.elsewhereWeight == profile.totalWeight)
    #expect(summary.elsewhere.isEmpty, "\(kernel): \(summary.elsewhere.map(\.probe))")
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
  /// one with a BPF program frame on top of a stack (the committed 6.1 capture).
  @Test func checksRejectABrokenCapture() throws {
    let kernel = try GuestKernel(folder: TDPFixture.url("fixtures/qemu-tdp"))
    var text = try kernel.text("bpftrace-kprobe.txt")
    text = text.replacingOccurrences(of: "kvm_mmu_notifier_release+", with: "other_function+")
    text = text.replacingOccurrences(
      of: "\n    kvm_tdp_mmu_map+1\n",
      with: "\n    bpf_prog_6deef7357e7b4530_probe+63\n    kvm_tdp_mmu_map+1\n")
    let profile = try Self.profile(text, name: "broken")
    #expect(
      Self.missingPaths(profile, paths: kernel.paths).map(\.description).contains(
        "__tdp_mmu_zap_root from mmu-notifier-release through kvm_tdp_mmu_zap_all"))
    #expect(Self.wrongTops(profile).contains { $0.hasPrefix("kprobe:kvm_tdp_mmu_map -> bpf_prog_") })
  }

  /// What `probes` said on the guest: lines by function name.
  static func probeLines(_ function: String, in file: String, of kernel: GuestKernel) throws -> [String] {
    try kernel.text(file).split(separator: "\n").map(String.init).filter { line in
      line.split(whereSeparator: { " :".contains($0) }).contains {
        ProbeName(String($0)).function == function
      }
    }
  }

  @Test(arguments: GuestKernel.all)
  func probesSayWhatIsInlinedAndWhatFentryRefuses(kernel: GuestKernel) throws {
    for function in kernel.inlined {
      let lines = try Self.probeLines(function, in: "probes.txt", of: kernel)
      #expect(lines.contains { $0.contains("inlined") }, "\(kernel) \(function): \(lines)")
    }
    for (function, reason) in kernel.fentryRefused {
      #expect(
        try Self.probeLines(function, in: "probes-fentry.txt", of: kernel).contains { $0.contains(reason) },
        "\(kernel) \(function)")
      // Under --attach auto, kprobe stands in where fentry is refused.
      #expect(
        try Self.probeLines(function, in: "probes.txt", of: kernel).contains {
          $0.contains(" ok ") && $0.contains("via kprobe")
        }, "\(kernel) \(function)")
    }
  }

  /// `probes` lists exactly the table's recorded functions and tracepoints for the preset.
  @Test(arguments: GuestKernel.all)
  func probesListTheTablesRecordedProbes(kernel: GuestKernel) throws {
    let listed = Set(
      try kernel.text("probes.txt").split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
        line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).first.map {
          ProbeName(String($0.hasSuffix(":") ? $0.dropLast() : $0)).function
        }
      })
    let table = ProbeTable.tdpMMU.recordedGroups
    let wanted = Set(table.flatMap(\.recordedFunctions) + table.flatMap(\.recordedTracepoints).map(\.event))
    #expect(
      listed == wanted,
      "\(kernel): only listed: \(listed.subtracting(wanted)); only in the table: \(wanted.subtracting(listed))"
    )
  }
}
