import Foundation
import Testing

/// `tdptrace symbolize` end to end, on Debian's kvm.ko and on the C fixture.
@Suite struct SymbolizeCommandTests {
  @Test func kvmChainsFromTheIssue() throws {
    let ko = try #require(SymbolizeCLI.kvm)
    let out = try SymbolizeCLI.tdptrace([
      "symbolize", "--module", "kvm=\(ko)", "--srcline", "__handle_changed_spte+1549", "kvm_mmu_load+1566",
      "kvm:kvm_tdp_mmu_zap_all+0x3b",
    ])
    #expect(out.status == 0)
    #expect(out.stderr == "")
    #expect(
      out.stdout == """
        __handle_changed_spte+1549
          __handle_changed_spte at arch/x86/kvm/mmu/tdp_mmu.c:536
          handle_removed_pt (inlined) at arch/x86/kvm/mmu/tdp_mmu.c:429
          handle_changed_spte (inlined) at arch/x86/kvm/mmu/tdp_mmu.c:543
        kvm_mmu_load+1566
          kvm_mmu_load at arch/x86/kvm/mmu/mmu.c:5317
          kvm_mmu_load (inlined) at arch/x86/kvm/mmu/mmu.c:5328
          mmu_alloc_direct_roots (inlined) at arch/x86/kvm/mmu/mmu.c:3575
        kvm:kvm_tdp_mmu_zap_all+0x3b
          kvm_tdp_mmu_zap_all at arch/x86/kvm/mmu/tdp_mmu.c:936
          tdp_mmu_zap_root (inlined) at arch/x86/kvm/mmu/tdp_mmu.c:835

        """)
  }

  @Test func unresolvedSpecsAreNamedAndFailTheRun() throws {
    let ko = try #require(SymbolizeCLI.kvm)
    let out = try SymbolizeCLI.tdptrace([
      "symbolize", "--module", "kvm=\(ko)", "zap_page_range_single+404", "kvm_vm_ioctl+99999", "nonsense",
    ])
    #expect(out.status == 1)
    #expect(
      out.stdout == """
        zap_page_range_single+404: not resolved ([unknown object]: symbol not in any loaded debuginfo)
        kvm_vm_ioctl+99999: not resolved (kvm: offset past the end of the symbol)
        nonsense: not resolved ([input]: expected FUNC+OFFSET or 0xADDRESS)

        """)
  }

  @Test func badDebuginfoWarnsOncePerFile() throws {
    let notELF = SymbolizeCLI.scratch + "/not-elf.ko"
    try Data("text\n".utf8).write(to: URL(fileURLWithPath: notELF))
    let out = try SymbolizeCLI.tdptrace([
      "symbolize", "--module", "kvm=/nonexistent/kvm.ko", "--module", "kvm_amd=\(notELF)",
      "kvm_mmu_load+1566",
    ])
    #expect(out.status == 1)
    #expect(
      out.stderr == """
        warning: debuginfo: /nonexistent/kvm.ko: no such file
        warning: debuginfo: \(notELF): not an ELF file

        """)
    #expect(out.stdout.contains("kvm_mmu_load+1566: not resolved"))
  }

  @Test func badModuleOptionIsAUsageError() throws {
    let out = try SymbolizeCLI.tdptrace(["symbolize", "--module", "kvm.ko", "x+1"])
    #expect(out.status == 64)
    #expect(out.stderr.contains("--module expects NAME=PATH, got 'kvm.ko'"))
  }

  /// Addresses on standard input, in addr2line's output format, give addr2line's answer.
  @Test func stdinInAddr2lineFormatMatchesAddr2line() throws {
    let exe = try #require(SymbolizeCLI.nested)
    let symbols = try SymbolizeCLI.run(["nm", exe]).stdout
    let outerLine = try #require(symbols.split(separator: "\n").first { $0.hasSuffix(" T outer") })
    let outer = try #require(UInt64(outerLine.split(separator: " ")[0], radix: 16))
    let addresses =
      (0..<64).map { "0x" + String(outer + UInt64($0), radix: 16) }.joined(separator: "\n") + "\n"
    let ours = try SymbolizeCLI.tdptrace(
      ["symbolize", "-e", exe, "--exact", "--format", "addr2line"], input: addresses)
    let theirs = try SymbolizeCLI.run(["addr2line", "-f", "-i", "-e", exe], input: addresses)
    #expect(ours.status == 0)
    #expect(
      ours.stdout
        == theirs.stdout.replacingOccurrences(
          of: #" \(discriminator \d+\)"#, with: "", options: .regularExpression))
  }
}
