import Foundation
import Testing

/// `fold` and `report` with debuginfo options, on the QEMU TDP MMU capture and Debian's kvm.ko.
@Suite struct SymbolizeFoldReportTests {
  static let capture = SymbolizeCLI.root + "/fixtures/bpftrace/qemu-tdp-bpftrace-kprobe-kstack.txt"
  static let note =
    "note: inline expansion: 13 unique frames (weight 15035) in [unknown object] not expanded: "
    + "symbol not in any loaded debuginfo\n"

  /// Sum of the `]: N` counts of the capture: what every output must add up to.
  static func captureTotal() throws -> UInt64 {
    try String(contentsOfFile: capture, encoding: .utf8).split(separator: "\n")
      .filter { $0.hasPrefix("]: ") }.reduce(0) { $0 + UInt64($1.dropFirst(3))! }
  }

  static func foldedTotal(_ text: String) -> UInt64 {
    text.split(separator: "\n").reduce(0) { $0 + UInt64($1.split(separator: " ").last!)! }
  }

  @Test func foldExpandsInlinedFramesWithTheirMarker() throws {
    let ko = try #require(SymbolizeCLI.kvm)
    let out = try SymbolizeCLI.tdptrace(["fold", "--annotate", "all", "--module", "kvm=\(ko)", Self.capture])
    #expect(out.status == 0)
    #expect(out.stderr == Self.note)
    let golden = try String(
      contentsOfFile: SymbolizeCLI.root + "/fixtures/inline/expected/qemu-tdp-kvm-annotated.folded",
      encoding: .utf8)
    #expect(out.stdout == golden)
    #expect(Self.foldedTotal(out.stdout) == (try Self.captureTotal()))
    #expect(out.stdout.contains("__handle_changed_spte_[k];handle_removed_pt_[i];handle_changed_spte_[i];"))
    #expect(out.stdout.contains("kvm_mmu_load_[k];kvm_mmu_load_[i];mmu_alloc_direct_roots_[i];"))
    #expect(out.stdout.contains("kvm_tdp_mmu_zap_all_[k];tdp_mmu_zap_root_[i];"))
  }

  @Test func noInlineAndBadDebuginfoLeaveTheFoldAsItWas() throws {
    let ko = try #require(SymbolizeCLI.kvm)
    let plain = try SymbolizeCLI.tdptrace(["fold", Self.capture])
    #expect(plain.status == 0)
    let off = try SymbolizeCLI.tdptrace(["fold", "--no-inline", "--module", "kvm=\(ko)", Self.capture])
    #expect(off.stdout == plain.stdout)
    #expect(off.stderr == "")
    let missing = try SymbolizeCLI.tdptrace(["fold", "--module", "kvm=/nonexistent/kvm.ko", Self.capture])
    #expect(missing.status == 0)
    #expect(missing.stdout == plain.stdout)
    #expect(missing.stderr.hasPrefix("warning: debuginfo: /nonexistent/kvm.ko: no such file\n"))
    #expect(Self.foldedTotal(missing.stdout) == (try Self.captureTotal()))
  }

  /// `report --callers` on a function that exists only inlined: it gets its own view, with the
  /// weight of the stacks through `__handle_changed_spte+1549`, where the compiler put it.
  @Test func reportCallersOfAnInlinedFunction() throws {
    let ko = try #require(SymbolizeCLI.kvm)
    let text = try String(contentsOfFile: Self.capture, encoding: .utf8)
    var expected: UInt64 = 0
    var through = false
    for line in text.split(separator: "\n") {
      if line.hasPrefix("@[") { through = false }
      if line.trimmingCharacters(in: .whitespaces) == "__handle_changed_spte+1549" { through = true }
      if line.hasPrefix("]: "), through { expected += UInt64(line.dropFirst(3))! }
    }
    #expect(expected == 4206)
    let out = try SymbolizeCLI.tdptrace([
      "report", "--callers", "handle_removed_pt", "--module", "kvm=\(ko)", Self.capture,
    ])
    #expect(out.status == 0)
    #expect(out.stdout.contains("handle_removed_pt: total 4206 (88.42% of all), self 0\n"))
    #expect(out.stdout.contains("      4206  100.00%  __handle_changed_spte\n"))
    let without = try SymbolizeCLI.tdptrace(["report", "--callers", "handle_removed_pt", Self.capture])
    #expect(!without.stdout.contains("handle_removed_pt: total"))
  }
}
