import StackFold
import Testing
import TraceParse

@Suite struct CallersCalleesTests {
  @Test func seedCallersOfInitSp() throws {
    let views = try CallersCallees.views(of: NamePattern("tdp_mmu_init_sp"), in: SeedProfile.make())
    #expect(views.count == 1)
    let view = try #require(views.first)
    #expect(view.function == "tdp_mmu_init_sp")
    #expect(view.totalWeight == 2246)
    #expect(view.selfWeight == 2246)
    #expect(
      view.callers.map { [$0.name: $0.weight] } == [
        ["kvm_tdp_mmu_map": 2192], ["kvm_tdp_mmu_get_vcpu_root_hpa": 54],
      ])
    #expect(view.callees.isEmpty)
  }

  @Test func seedCalleesOfTdpMmuMap() throws {
    let view = try #require(
      try CallersCallees.views(of: NamePattern("kvm_tdp_mmu_map"), in: SeedProfile.make()).first)
    #expect(view.totalWeight == 465 + 2192 + 447750)
    #expect(view.selfWeight == 465)
    #expect(view.callees.map(\.name) == ["__handle_changed_spte", "tdp_mmu_init_sp"])
    #expect(view.callees.map(\.weight) == [447750, 2192])
    #expect(view.callers.map(\.name) == ["direct_page_fault"])
  }

  @Test func recursionCountsEachSampleOnce() throws {
    let view = try #require(
      try CallersCallees.views(of: NamePattern("__handle_changed_spte"), in: SeedProfile.make()).first)
    #expect(view.totalWeight == 447750 + 614912)
    #expect(view.selfWeight == 447750 + 614912)
    #expect(
      view.callers.map { "\($0.name)=\($0.weight)" } == [
        "__handle_changed_spte=614912", "__tdp_mmu_zap_root=614912", "kvm_tdp_mmu_map=447750",
      ])
    #expect(view.callees.map { "\($0.name)=\($0.weight)" } == ["__handle_changed_spte=614912"])
  }

  @Test func globMatchesSeveralFunctions() throws {
    let views = try CallersCallees.views(of: NamePattern("kvm_tdp_mmu_*"), in: SeedProfile.make())
    #expect(views.map(\.function) == ["kvm_tdp_mmu_map", "kvm_tdp_mmu_get_vcpu_root_hpa"])
  }

  @Test func outermostFrameHasRootCaller() throws {
    let view = try #require(
      try CallersCallees.views(of: NamePattern("ret_from_fork"), in: SeedProfile.make()).first)
    #expect(view.callers == [CallEdge(name: "[root]", kind: .unknown, weight: 614912)])
  }

  @Test func noMatchGivesNoViews() throws {
    #expect(try CallersCallees.views(of: NamePattern("nothing_here"), in: SeedProfile.make()).isEmpty)
  }
}
