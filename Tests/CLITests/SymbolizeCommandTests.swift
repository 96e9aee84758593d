import Foundation
import Testing

/// `tdptrace symbolize` end to end, on Debian's kvm.ko and on the C fixture.
@Suite struct SymbolizeCommandTests {
  private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

  private struct Output {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  private static func run(_ arguments: [String], input: String = "") throws -> Output {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tdptrace-symcli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let paths = ["in", "out", "err"].map { dir.appendingPathComponent($0).path }
    try Data(input.utf8).write(to: URL(fileURLWithPath: paths[0]))
    for path in paths.dropFirst() { FileManager.default.createFile(atPath: path, contents: nil) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.standardInput = FileHandle(forReadingAtPath: paths[0])
    process.standardOutput = FileHandle(forWritingAtPath: paths[1])
    process.standardError = FileHandle(forWritingAtPath: paths[2])
    try process.run()
    process.waitUntilExit()
    return Output(
      status: process.terminationStatus, stdout: try String(contentsOfFile: paths[1], encoding: .utf8),
      stderr: try String(contentsOfFile: paths[2], encoding: .utf8))
  }

  private static func tdptrace(_ arguments: [String], input: String = "") throws -> Output {
    try run([root + "/.build/debug/tdptrace"] + arguments, input: input)
  }

  private static let scratch: String = {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tdptrace-symcli-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.path
  }()

  /// kvm.ko decompressed from `fixtures/debuginfo/` with `xz -dc`, once per process.
  private static let kvm: String? = {
    let ko = scratch + "/kvm.ko"
    let out = try? run([
      "sh", "-c", "xz -dc \"$0\" > \"$1\"", root + "/fixtures/debuginfo/kvm-6.1.0-50-amd64.ko.xz", ko,
    ])
    return out?.status == 0 ? ko : nil
  }()

  private static let nested: String? = {
    let exe = scratch + "/nested"
    let out = try? run(["gcc", "-O2", "-g", "-o", exe, root + "/fixtures/inline/nested.c"])
    return out?.status == 0 ? exe : nil
  }()

  @Test func kvmChainsFromTheIssue() throws {
    let ko = try #require(Self.kvm)
    let out = try Self.tdptrace([
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
    let ko = try #require(Self.kvm)
    let out = try Self.tdptrace([
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
    let notELF = Self.scratch + "/not-elf.ko"
    try Data("text\n".utf8).write(to: URL(fileURLWithPath: notELF))
    let out = try Self.tdptrace([
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
    let out = try Self.tdptrace(["symbolize", "--module", "kvm.ko", "x+1"])
    #expect(out.status == 64)
    #expect(out.stderr.contains("--module expects NAME=PATH, got 'kvm.ko'"))
  }

  /// Addresses on standard input, in addr2line's output format, give addr2line's answer.
  @Test func stdinInAddr2lineFormatMatchesAddr2line() throws {
    let exe = try #require(Self.nested)
    let symbols = try Self.run(["nm", exe]).stdout
    let outerLine = try #require(symbols.split(separator: "\n").first { $0.hasSuffix(" T outer") })
    let outer = try #require(UInt64(outerLine.split(separator: " ")[0], radix: 16))
    let addresses =
      (0..<64).map { "0x" + String(outer + UInt64($0), radix: 16) }.joined(separator: "\n") + "\n"
    let ours = try Self.tdptrace(
      ["symbolize", "-e", exe, "--exact", "--format", "addr2line"], input: addresses)
    let theirs = try Self.run(["addr2line", "-f", "-i", "-e", exe], input: addresses)
    #expect(ours.status == 0)
    #expect(
      ours.stdout
        == theirs.stdout.replacingOccurrences(
          of: #" \(discriminator \d+\)"#, with: "", options: .regularExpression))
  }
}
