import StackFold
import TDPTable
import TestSupport
import Testing
import TraceParse

/// The ledger of the synthetic NPT capture: every change that goes in comes out, in one cell, and
/// every kind the capture was written with is there, under the origin its stack has.
@Suite struct SPTELedgerTests {
  @Test func everyChangeIsCountedOnceByOriginKindAndLevel() throws {
    let profile = try TDPFixture.load("fixtures/spte/spte-npt-before.txt")
    let ledger = try SPTELedger(profile: profile)
    // Every unit comes out: SPTE changes in cells, the splits and flushes as ledger events.
    #expect(ledger.total + ledger.events.values.reduce(0, +) == profile.totalWeight)
    #expect(ledger.origins.reduce(0) { $0 + $1.total } == ledger.total)
    #expect(
      ledger.events == [
        "kvm_flush_remote_tlbs": 1, "kvm_flush_remote_tlbs_memslot": 2, "kvm_mmu_split_huge_page": 12,
      ])
    #expect(
      ledger.origins.first { $0.origin == .memslotIoctl }?.events == [
        "kvm_flush_remote_tlbs_memslot": 2, "kvm_mmu_split_huge_page": 12,
      ])
    let kinds = Set(ledger.counts.keys.map(\.kind))
    let written: Set<SPTETransition.Kind> = [
      .installLeaf, .linkPageTable, .zapLeaf, .unlinkPageTable, .freeze, .split, .writeProtect, .clearDirty,
      .clearAccessed, .mmio,
    ]
    #expect(kinds == written)
    func origin(_ o: PathOrigin) -> [SPTELedger.Cell: UInt64] {
      ledger.origins.first { $0.origin == o }?.counts ?? [:]
    }
    #expect(origin(.dirtyLogIoctl) == [SPTELedger.Cell(kind: .clearDirty, level: 1): 5120])
    #expect(origin(.notifierAge) == [SPTELedger.Cell(kind: .clearAccessed, level: 1): 2048])
    #expect(origin(.memslotIoctl)[SPTELedger.Cell(kind: .split, level: 2)] == 12)
    #expect(origin(.vcpuFault)[SPTELedger.Cell(kind: .linkPageTable, level: 3)] == 1)
  }

  @Test func samplesOfOtherMapsAreLeftAloneAndNoneAtAllIsAnError() throws {
    #expect(throws: SPTELedgerError.noEntries) {
      try SPTELedger(profile: try TDPFixture.load("fixtures/seed/tdp_mmu-notes.txt"))
    }
  }
}
