import StackFold
import Testing
import TraceParse

@Suite struct FunctionTableTests {
  @Test func seedTopBySelf() throws {
    let table = try FunctionTable(profile: SeedProfile.make())
    #expect(table.totalWeight == SeedProfile.total)
    #expect(
      table.topBySelf(10).map { "\($0.name) \($0.selfWeight) \($0.totalWeight)" } == [
        "__handle_changed_spte 1062662 1062662", "tdp_mmu_init_sp 2246 2246", "kvm_tdp_mmu_map 465 450407",
      ])
  }

  @Test func seedTopByTotal() throws {
    let top = try FunctionTable(profile: SeedProfile.make()).topByTotal(3)
    #expect(
      top.map { "\($0.name) \($0.totalWeight)" } == [
        "__handle_changed_spte 1062662", "__tdp_mmu_zap_root 614912", "kthread 614912",
      ])
  }

  @Test func selfWeightsSumToTheTotal() throws {
    let table = try FunctionTable(profile: SeedProfile.make())
    #expect(table.functions.reduce(0) { $0 + $1.selfWeight } == SeedProfile.total)
    #expect(table.functions.allSatisfy { $0.totalWeight <= SeedProfile.total })
  }
}
