import Foundation
import TestSupport
import Testing

/// Property through the binary: for generated bpftrace and folded inputs, the folded output and
/// the report add up to exactly the counts written in.
@Suite struct WeightPropertyCLITests {
  static let functions = [
    "kvm_tdp_mmu_map", "tdp_mmu_init_sp", "__handle_changed_spte", "direct_page_fault", "kvm_mmu_page_fault",
    "vmx_handle_exit", "do_syscall_64", "[unknown]",
  ]

  /// Returns (bpftrace text, folded text, total written).
  static func generate(seed: UInt64) -> (String, String, UInt64) {
    var g = SplitMix64(seed: seed)
    var bpftrace = "Attaching 1 probe...\n\n\n"
    var folded = ""
    var total: UInt64 = 0
    for _ in 0..<(1 + g.below(40)) {
      let depth = 1 + g.below(10)
      let frames = (0..<depth).map { _ in functions[g.below(functions.count)] + "+\(g.below(1000))" }
      let count = g.next() >> (16 + g.below(48))
      total += count
      bpftrace += "@[\n" + frames.map { "    \($0)\n" }.joined() + "]: \(count)\n"
      folded += frames.reversed().joined(separator: ";") + " \(count)\n"
    }
    return (bpftrace, folded, total)
  }

  @Test(arguments: 0..<8 as Range<UInt64>)
  func sumInEqualsSumOut(seed: UInt64) throws {
    let (bpftrace, folded, total) = Self.generate(seed: seed)
    for (input, format) in [(bpftrace, "bpftrace"), (folded, "folded")] {
      let fold = try CLIHarness.run(["fold", "--input-format", format, "-"], stdin: Array(input.utf8))
      #expect(fold.status == 0, "\(fold.stderr)")
      #expect(FoldReportCLITests.foldedSum(fold.out) == total)
      let report = try CLIHarness.run(
        ["report", "--json", "--input-format", format, "-"], stdin: Array(input.utf8))
      let object = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout)) as? [String: Any])
      #expect((object["totalWeight"] as? NSNumber)?.uint64Value == total)
    }
  }
}
