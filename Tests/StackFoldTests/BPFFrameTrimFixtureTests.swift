import Foundation
import StackFold
import TestSupport
import Testing
import TraceParse

/// `BPFFrameTrim` on the real TDP MMU captures of the QEMU test bed, on every kernel generation:
/// the committed ones in fixtures/qemu-tdp*/, or guest runs' output folders given in
/// `TDPTRACE_GUEST_CAPTURES` (scripts/vm/guest-tests.sh writes `bpftrace-kfunc.txt` there).
@Suite struct BPFFrameTrimFixtureTests {
  static func load(_ name: String, of kernel: GuestKernel) throws -> Profile? {
    guard kernel.exists(name) else { return nil }
    return try ProfileLoader().load(path: kernel.url(name).path)
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

  @Test(arguments: GuestKernel.all)
  func everyKfuncStackEndsInItsProbedFunctionWithTheWeightUnchanged(kernel: GuestKernel) throws {
    guard let input = try Self.load("bpftrace-kfunc.txt", of: kernel) else {
      #expect(GuestKernel.given, "\(kernel): bpftrace-kfunc.txt is missing")
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
    // Every stack of bpftrace 0.17's kfunc capture carried frames above the function; a
    // bpftrace that leaves them out has none to trim (kernels.txt: kfunc-bpf).
    #expect(result.summary.stacks == (kernel.kfuncBPFFrames ? input.samples.count : 0), "\(kernel)")
  }

  @Test func theDerivedKfuncFixtureTrimsToTdptracesOwnFentryCapture() throws {
    // fixtures/qemu-tdp/bpftrace-kfunc-derived.txt is tdptrace-fentry.txt with bpftrace 0.17's
    // frames put back (fixtures/qemu-tdp/README.md); the real capture is another workload run.
    let kernel = try GuestKernel(folder: TDPFixture.url("fixtures/qemu-tdp"))
    guard let kfunc = try Self.load("bpftrace-kfunc-derived.txt", of: kernel),
      let fentry = try Self.load("tdptrace-fentry.txt", of: kernel)
    else {
      Issue.record("fixtures/qemu-tdp/bpftrace-kfunc-derived.txt or tdptrace-fentry.txt is missing")
      return
    }
    let trimmed = try BPFFrameTrim().apply(to: kfunc)
    #expect(trimmed.summary.dropped.map(\.name) == ["mpls_gso_exit", "vring_alloc_queue_split.cold"])
    #expect(trimmed.summary.frames == 2 * kfunc.samples.count)
    let relabeled = Self.named(trimmed.profile) { $0.replacingOccurrences(of: "kfunc:kvm:", with: "kfunc:") }
    #expect(relabeled == Self.named(fentry))
  }

  @Test(arguments: GuestKernel.all)
  func cleanCapturesAreLeftAsTheyWere(kernel: GuestKernel) throws {
    // tdptrace's own captures strip the BPF frames when they are written; bpftrace's kprobe
    // stacks start at the probed function.
    for name in ["tdptrace-fentry.txt", "tdptrace-kprobe.txt", "bpftrace-kprobe.txt"] {
      guard let input = try Self.load(name, of: kernel) else { continue }
      let result = try BPFFrameTrim().apply(to: input)
      #expect(result.summary.stacks == 0, "\(kernel) \(name): \(result.summary.line() ?? "")")
      #expect(result.summary.probeNotOnStack == 0, "\(kernel) \(name)")
      #expect(SuspectFrames(profile: input).entries.isEmpty, "\(kernel) \(name)")
    }
  }
}
