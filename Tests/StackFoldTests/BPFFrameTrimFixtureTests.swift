import Foundation
import StackFold
import TestSupport
import Testing
import TraceParse

/// `BPFFrameTrim` on the real TDP MMU captures of the QEMU test bed: the committed ones in
/// fixtures/qemu-tdp/, or a guest run's output folder given in `TDPTRACE_GUEST_CAPTURES`
/// (scripts/vm/guest-tests.sh writes `bpftrace-kfunc.txt` there).
@Suite struct BPFFrameTrimFixtureTests {
  static let given = ProcessInfo.processInfo.environment["TDPTRACE_GUEST_CAPTURES"].flatMap {
    $0.isEmpty ? nil : $0
  }
  static let folder = given.map { URL(fileURLWithPath: $0) } ?? TDPFixture.url("fixtures/qemu-tdp")

  static func load(_ name: String) throws -> Profile? {
    let url = folder.appendingPathComponent(name)
    guard FileManager.default.fileExists(atPath: url.path) else { return nil }
    return try ProfileLoader().load(path: url.path)
  }

  /// Unique stacks as (probe, names root first) with their weights.
  static func named(_ profile: Profile, probe: (String) -> String = { $0 }) -> [String: UInt64] {
    var out: [String: UInt64] = [:]
    for sample in profile.samples {
      let key =
        probe(profile.labels(of: sample).probe ?? "") + " "
        + profile.frames(of: sample).map(\.symbol).joined(separator: ";")
      out[key, default: 0] += sample.weight
    }
    return out
  }

  @Test func everyKfuncStackEndsInItsProbedFunctionWithTheWeightUnchanged() throws {
    guard let input = try Self.load("bpftrace-kfunc.txt") else {
      #expect(Self.given != nil, "fixtures/qemu-tdp/bpftrace-kfunc.txt is missing")
      return
    }
    #expect(!input.samples.isEmpty)
    let result = try BPFFrameTrim().apply(to: input)
    #expect(result.profile.totalWeight == input.totalWeight)
    #expect(result.summary.probeNotOnStack == 0)
    for sample in result.profile.samples {
      let probe = ProbeName(result.profile.labels(of: sample).probe ?? "")
      #expect(probe.kind == .fentry, "\(probe)")
      let leaf = result.profile.frames(of: sample).last.map { FrameName.base($0.symbol) }
      #expect(leaf == probe.function, "\(probe): leaf \(leaf ?? "none")")
    }
    // Every stack of bpftrace 0.17's kfunc capture carried frames above the function.
    #expect(result.summary.stacks == input.samples.count)
  }

  @Test func theDerivedKfuncFixtureTrimsToTdptracesOwnFentryCapture() throws {
    // fixtures/qemu-tdp/bpftrace-kfunc-derived.txt is tdptrace-fentry.txt with bpftrace 0.17's
    // frames put back (fixtures/qemu-tdp/README.md); the real capture is another workload run.
    guard Self.given == nil, let kfunc = try Self.load("bpftrace-kfunc-derived.txt"),
      let fentry = try Self.load("tdptrace-fentry.txt")
    else { return }
    let trimmed = try BPFFrameTrim().apply(to: kfunc)
    #expect(trimmed.summary.dropped.map(\.name) == ["mpls_gso_exit", "vring_alloc_queue_split.cold"])
    #expect(trimmed.summary.frames == 2 * kfunc.samples.count)
    let relabeled = Self.named(trimmed.profile) { $0.replacingOccurrences(of: "kfunc:kvm:", with: "kfunc:") }
    #expect(relabeled == Self.named(fentry))
  }

  @Test func cleanCapturesAreLeftAsTheyWere() throws {
    // tdptrace's own captures strip the BPF frames when they are written; bpftrace's kprobe
    // stacks start at the probed function.
    for name in ["tdptrace-fentry.txt", "tdptrace-kprobe.txt", "bpftrace-kprobe.txt"] {
      guard let input = try Self.load(name) else { continue }
      let result = try BPFFrameTrim().apply(to: input)
      #expect(result.summary.stacks == 0, "\(name): \(result.summary.line() ?? "")")
      #expect(result.summary.probeNotOnStack == 0, "\(name)")
      #expect(SuspectFrames(profile: input).entries.isEmpty, "\(name)")
    }
  }
}
