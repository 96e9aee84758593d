import TDPTable
import Testing

@testable import LiveCapture

/// Since 6.4 dirty-log clears and aging change SPTEs without `handle_changed_spte`, calling
/// `trace_kvm_tdp_mmu_spte_changed` directly (kvm-probes research note, §1(f); users-needs row
/// 4): there the plan counts the `spte-change` group by its tracepoint instead, and says why.
@Suite struct ProbePlanReleaseTests {
  /// The plan's outcomes for the spte-change group when every probe attaches.
  static func spteChange(_ plan: ProbePlan) -> [AttachOutcome] {
    plan.resolve { spec, methods, group in
      AttachOutcome(group: group, spec: spec, method: methods.first)
    }.filter { $0.group == "spte-change" }
  }

  static func line(_ outcomes: [AttachOutcome], _ spec: ProbeSpec) -> String? {
    outcomes.first { $0.spec == spec }?.summary
  }

  @Test func through63TheFunctionsCountAndTheTracepointIsLeftOut() {
    let outcomes = Self.spteChange(ProbePlan(presets: [.tdpMMU], kernel: KernelVersion(6, 1)))
    #expect(outcomes.first { $0.spec == .function("__handle_changed_spte") }?.attached == true)
    #expect(outcomes.first { $0.spec == .function("handle_changed_spte") }?.attached == true)
    let tracepoint = Self.line(outcomes, .tracepoint("kvmmmu", "kvm_tdp_mmu_spte_changed"))
    #expect(tracepoint?.hasPrefix("skip") == true)
  }

  @Test func from64TheTracepointCountsInsteadOfHandleChangedSpte() throws {
    for kernel in [KernelVersion(6, 4), KernelVersion(6, 18)] {
      let outcomes = Self.spteChange(ProbePlan(presets: [.tdpMMU], kernel: kernel))
      let function = try #require(Self.line(outcomes, .function("handle_changed_spte")))
      #expect(function.hasPrefix("skip"))
      #expect(function.contains("clear_dirty_pt_masked"))
      let tracepoint = try #require(
        outcomes.first { $0.spec == .tracepoint("kvmmmu", "kvm_tdp_mmu_spte_changed") })
      #expect(tracepoint.attached)
      #expect(tracepoint.summary.hasSuffix("(instead of handle_changed_spte)"))
      // The other functions of the group still count.
      #expect(outcomes.first { $0.spec == .function("handle_removed_pt") }?.attached == true)
    }
  }

  @Test func timingAndFunctionOnlyRequestsKeepTheFunction() {
    let latency = Self.spteChange(
      ProbePlan(presets: [.tdpMMULatency], mode: .latency, kernel: KernelVersion(6, 18)))
    #expect(latency.first { $0.spec == .function("handle_changed_spte") }?.attached == true)
    let kprobe = Self.spteChange(ProbePlan(presets: [.tdpMMU], attach: .kprobe, kernel: KernelVersion(6, 18)))
    #expect(kprobe.first { $0.spec == .function("handle_changed_spte", .kprobe) }?.attached == true)
  }

  @Test func releasesParse() {
    #expect(KernelVersion(release: "6.18.44-fc-v669") == KernelVersion(6, 18))
    #expect(KernelVersion(release: "6.4.0-rc1") == KernelVersion(6, 4))
    #expect(KernelVersion(release: "6") == nil)
    #expect(KernelVersion(6, 4) > KernelVersion(5, 19))
  }
}
