import StackFold
import Testing
import TraceParse

/// The rules of `BPFFrameTrim` on small hand-built profiles: which frames go, by probe kind, and
/// that weights are never lost.
@Suite struct BPFFrameTrimTests {
  /// The two frames issue 20 quotes from a bpftrace 0.17 `kfunc:` capture.
  static let bogus = ["mpls_gso_exit+429794123", "vring_alloc_queue_split.cold+36580"]
  static let fault = ["direct_page_fault+848", "kvm_mmu_page_fault+275", "kvm_arch_vcpu_ioctl_run+2537"]

  /// A profile of `(probe, stack leaf first, weight)`; a nil probe leaves the label out.
  static func profile(_ entries: [(String?, [String], UInt64)], event: String? = nil) throws -> Profile {
    var builder = ProfileBuilder()
    for (probe, leafFirst, weight) in entries {
      var labels = Labels([.init(Labels.Name.map, "@")])
      labels[Labels.Name.probe] = probe
      labels[Labels.Name.event] = event
      try builder.add(
        frames: leafFirst.reversed().map { SeedProfile.frame($0) }, labels: labels, weight: weight)
    }
    return builder.build()
  }

  /// Every stack leaf first, names with offsets, and its weight.
  static func stacks(_ profile: Profile) -> [[String]: UInt64] {
    var out: [[String]: UInt64] = [:]
    for sample in profile.samples {
      out[profile.frames(of: sample).reversed().map { $0.name(keepOffset: true) }, default: 0] +=
        sample.weight
    }
    return out
  }

  @Test func kfuncFramesAboveTheProbedFunctionGo() throws {
    let input = try Self.profile([
      ("kfunc:kvm:kvm_tdp_mmu_map", Self.bogus + ["kvm_tdp_mmu_map+5"] + Self.fault, 40),
      ("fentry:kvm_tdp_mmu_put_root", Self.bogus + ["kvm_tdp_mmu_put_root+5", "mmu_free_root_page+112"], 3),
    ])
    let result = try BPFFrameTrim().apply(to: input)
    #expect(
      Self.stacks(result.profile) == [
        ["kvm_tdp_mmu_map+5"] + Self.fault: 40, ["kvm_tdp_mmu_put_root+5", "mmu_free_root_page+112"]: 3,
      ])
    #expect(result.profile.totalWeight == input.totalWeight)
    let summary = result.summary
    #expect(summary.stacks == 2 && summary.weight == 43 && summary.frames == 4 && summary.merged == 0)
    #expect(
      summary.dropped == [
        .init(name: "mpls_gso_exit", stacks: 2, weight: 43),
        .init(name: "vring_alloc_queue_split.cold", stacks: 2, weight: 43),
      ])
    #expect(summary.probeNotOnStack == 0)
    #expect(
      summary.line()
        == "2 stacks (weight 43) trimmed of 4 tracing frames: mpls_gso_exit (2 stacks, weight 43), vring_alloc_queue_split.cold (2 stacks, weight 43)"
    )
  }

  @Test func stacksThatBecomeEqualMergeAndWeightsAdd() throws {
    let input = try Self.profile([
      ("kfunc:kvm_tdp_mmu_map", Self.bogus + ["kvm_tdp_mmu_map+5"] + Self.fault, 40),
      ("kfunc:kvm_tdp_mmu_map", ["bpf_prog_6deef7357e7b4530_probe+63", "kvm_tdp_mmu_map+5"] + Self.fault, 2),
      ("kfunc:kvm_tdp_mmu_map", ["kvm_tdp_mmu_map+5"] + Self.fault, 1),
    ])
    let result = try BPFFrameTrim().apply(to: input)
    #expect(Self.stacks(result.profile) == [["kvm_tdp_mmu_map+5"] + Self.fault: 43])
    #expect(result.summary.stacks == 2 && result.summary.weight == 42 && result.summary.merged == 2)
  }

  @Test func theTopmostCallOfARecursiveFunctionIsKeptWithItsCallers() throws {
    let stack = ["__handle_changed_spte+1", "__handle_changed_spte+905", "kvm_tdp_mmu_map+829"]
    let input = try Self.profile([("kprobe:__handle_changed_spte", ["bpf_trampoline_6442+0"] + stack, 7)])
    #expect(Self.stacks(try BPFFrameTrim().apply(to: input).profile) == [stack: 7])
  }

  @Test func cloneSuffixesCompareByBaseName() throws {
    let input = try Self.profile([
      ("kfunc:handle_changed_spte", Self.bogus + ["handle_changed_spte.isra.0+5", "kvm_tdp_mmu_map+829"], 5),
      (
        "kprobe:kvm:handle_changed_spte.isra.0", ["junk+1", "handle_changed_spte+1", "kvm_tdp_mmu_map+829"], 6
      ),
    ])
    let result = try BPFFrameTrim().apply(to: input)
    #expect(
      Self.stacks(result.profile) == [
        ["handle_changed_spte.isra.0+5", "kvm_tdp_mmu_map+829"]: 5,
        ["handle_changed_spte+1", "kvm_tdp_mmu_map+829"]: 6,
      ])
  }

  @Test func aProbedFunctionNotOnTheStackLeavesItAsRecordedBarNamedBPFFrames() throws {
    let input = try Self.profile([
      ("kfunc:kvm_tdp_mmu_map", Self.bogus + Self.fault, 4),
      ("kfunc:kvm_tdp_mmu_map", ["bpf_prog_abc_probe+63", "bpf_trampoline_6442+0"] + Self.fault, 2),
    ])
    let result = try BPFFrameTrim().apply(to: input)
    #expect(Self.stacks(result.profile) == [Self.bogus + Self.fault: 4, Self.fault: 2])
    #expect(result.summary.probeNotOnStack == 2 && result.summary.probeNotOnStackWeight == 6)
    #expect(result.summary.stacks == 1 && result.summary.weight == 2)
  }

  @Test func fexitIsTrimmedAboveTheFunctionKretprobeOnlyByName() throws {
    // fexit runs from the fentry trampoline, so F+5 is on the stack; at a kretprobe F has returned
    // and a lower F is an outer call whose callee (tdp_mmu_zap_leafs here) is real.
    let recursive = ["tdp_mmu_zap_leafs+80", "kvm_tdp_mmu_zap_leafs+99", "kvm_tdp_mmu_zap_leafs+40"]
    let input = try Self.profile([
      (
        "kretfunc:kvm:kvm_tdp_mmu_zap_leafs",
        Self.bogus + ["kvm_tdp_mmu_zap_leafs+5", "kvm_unmap_gfn_range+80"], 3
      ),
      ("kretprobe:kvm_tdp_mmu_zap_leafs", ["bpf_prog_abc_probe+63"] + recursive, 2),
    ])
    let result = try BPFFrameTrim().apply(to: input)
    #expect(
      Self.stacks(result.profile) == [
        ["kvm_tdp_mmu_zap_leafs+5", "kvm_unmap_gfn_range+80"]: 3, recursive: 2,
      ])
    #expect(result.summary.probeNotOnStack == 0)
  }

  @Test func tracepointStacksLoseTheirNamedBPFFramesOnly() throws {
    let stack = ["__kvm_mmu_get_shadow_page+1083", "mmu_alloc_root+137"]
    let input = try Self.profile([
      (
        "tracepoint_btf:kvm_mmu_get_page",
        ["bpf_prog_5c4f1a291db26c60_tp_probe+64", "bpf_trace_run2+242"] + stack, 200
      ),
      ("tracepoint:kvmmmu:kvm_mmu_get_page", ["perf_trace_kvm_mmu_get_page+180"] + stack, 9),
      (nil, ["bpf_prog_1_x+1"] + stack, 1),
    ])
    let result = try BPFFrameTrim().apply(to: input)
    #expect(result.profile.samples.count == 3)
    let byProbe = Dictionary(
      uniqueKeysWithValues: result.profile.samples.map {
        (result.profile.labels(of: $0).probe ?? "", result.profile.frames(of: $0).count)
      })
    #expect(
      byProbe == ["tracepoint_btf:kvm_mmu_get_page": 2, "tracepoint:kvmmmu:kvm_mmu_get_page": 3, "": 2])
  }

  @Test func sampledStacksAreLeftAlone() throws {
    // A BPF frame on top of a sampled stack is CPU time spent in the program.
    let stack = ["bpf_prog_abc_probe+63", "bpf_trace_run2+242", "kvm_tdp_mmu_map+829"]
    for (probe, event) in [("profile:hz:99", nil), (nil, "cpu-clock"), ("software:cpu-clock:1000", nil)]
      as [(String?, String?)]
    {
      let input = try Self.profile([(probe, stack, 5)], event: event)
      let result = try BPFFrameTrim().apply(to: input)
      #expect(
        Self.stacks(result.profile) == [stack: 5], "\(String(describing: probe)) \(String(describing: event))"
      )
      #expect(result.summary.isEmpty)
    }
  }

  @Test func rulesByProbeSpelling() {
    func rule(_ probe: String) -> BPFFrameTrim.Rule {
      BPFFrameTrim.rule(for: Labels([.init(Labels.Name.probe, probe)]))
    }
    #expect(rule("kfunc:kvm:kvm_tdp_mmu_map") == .aboveFunction("kvm_tdp_mmu_map"))
    #expect(rule("fentry:kvm_tdp_mmu_map") == .aboveFunction("kvm_tdp_mmu_map"))
    #expect(rule("kprobe:kvm:tdp_mmu_zap_root.isra.0") == .aboveFunction("tdp_mmu_zap_root"))
    #expect(rule("fexit:kvm:kvm_tdp_mmu_map") == .aboveFunction("kvm_tdp_mmu_map"))
    #expect(rule("kretfunc:kvm_tdp_mmu_map") == .aboveFunction("kvm_tdp_mmu_map"))
    #expect(rule("kretprobe:kvm_tdp_mmu_map") == .byName)
    #expect(rule("tracepoint:kvmmmu:kvm_mmu_get_page") == .byName)
    #expect(rule("profile:hz:99") == .none)
    #expect(BPFFrameTrim.rule(for: Labels([.init(Labels.Name.map, "@")])) == .byName)
    #expect(BPFFrameTrim.rule(for: Labels()) == .none)
    #expect(BPFFrameTrim.rule(for: Labels([.init(Labels.Name.event, "cpu-clock")])) == .none)
  }

  @Test func nothingToTrimReturnsTheProfileAsItWas() throws {
    let input = try SeedProfile.make()
    let result = try BPFFrameTrim().apply(to: input)
    #expect(result.summary.isEmpty)
    #expect(result.profile.samples == input.samples && result.profile.frames == input.frames)
  }
}
