import Foundation
import TestSupport
import Testing

/// The shell half of the QEMU test bed's checks (`scripts/vm/check-captures.sh`: the guest's
/// setup, the awk fold of bpftrace against tdptrace on the same run, inline chains against
/// addr2line) on the committed captures of every kernel generation (`fixtures/qemu-tdp/` for
/// 6.1, `fixtures/qemu-tdp-6.12/`), so they run in every `swift test` without booting the
/// guest. The Swift half is `GuestCaptureTests`.
@Suite struct QemuTDPFixtureTests {
  static let repo = TDPFixture.root

  /// The built `tdptrace` next to the test bundle, if there is one.
  static var tdptrace: String? {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [dir, dir.deletingLastPathComponent()] {
      let path = candidate.appendingPathComponent("tdptrace").path
      if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
  }

  struct Run {
    var status: Int32
    var output: String
  }

  static func run(_ arguments: [String]) throws -> Run {
    let (status, output) = try TDPFixture.run("/bin/bash", arguments, in: repo)
    return Run(status: status, output: output)
  }

  /// The committed capture folders, one per kernel generation.
  static let folders = TDPFixture.guestCaptureFolders

  /// kvm.ko (and kvm-amd.ko) with DWARF for the kernel a folder was captured on (its CAPTURED
  /// file), from the committed fixtures, decompressed into a temporary directory.
  static func debuginfo(for folder: String) throws -> String? {
    let captured = try String(
      contentsOf: repo.appendingPathComponent(folder + "/CAPTURED"), encoding: .utf8)
    guard let kver = captured.split(separator: " ").first else { return nil }
    let xz = repo.appendingPathComponent("fixtures/debuginfo/kvm-\(kver).ko.xz").path
    guard FileManager.default.fileExists(atPath: xz) else { return nil }
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("tdptrace-qemu-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let amd = repo.appendingPathComponent("fixtures/debuginfo/kvm-amd-\(kver).ko.xz").path
    let result = try run([
      "-c", "xz -dc \"$0\" >\"$1/kvm.ko\" && { [ ! -f \"$2\" ] || xz -dc \"$2\" >\"$1/kvm-amd.ko\"; }", xz,
      dir.path, amd,
    ])
    return result.status == 0 ? dir.path : nil
  }

  /// A temporary folder holding copies of `files` of the committed capture folder `folder`, for
  /// a test to spoil.
  static func scratchCopy(of folder: String, _ files: [String]) throws -> URL {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("tdptrace-qemu-scratch-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let src = repo.appendingPathComponent(folder)
    for name in files {
      try FileManager.default.copyItem(
        at: src.appendingPathComponent(name), to: dir.appendingPathComponent(name))
    }
    return dir
  }

  @Test func everyKernelHasCommittedCaptures() {
    #expect(Self.folders.contains("fixtures/qemu-tdp"))
    #expect(Self.folders.contains("fixtures/qemu-tdp-6.12"))
  }

  @Test(arguments: folders)
  func committedGuestCapturesPassEveryGuestCheck(folder: String) throws {
    let dbg = try Self.debuginfo(for: folder)
    defer { if let dbg { try? FileManager.default.removeItem(atPath: dbg) } }
    #expect(dbg != nil, "\(folder): no committed kvm.ko for its kernel")
    let result = try Self.run([
      "scripts/vm/check-captures.sh", folder, dbg ?? "", Self.tdptrace ?? "",
    ])
    #expect(result.status == 0, "\(result.output)")
    #expect(!result.output.contains("FAIL "), "\(result.output)")
    #expect(!result.output.contains("N/A "), "\(result.output)")
    #expect(result.output.contains("PASS crosscheck.kprobe-vs-bpftrace"), "\(result.output)")
    #expect(result.output.contains("PASS guest.kvm-amd-tdp-mmu"), "\(result.output)")
    #expect(result.output.contains("PASS symbolize.inline-vs-addr2line"), "\(result.output)")
  }

  @Test func crossCheckRejectsACountThatDiffers() throws {
    // The cross-check is only worth something if it fails: one more event in tdptrace's capture
    // than bpftrace saw on the same run.
    let dir = try Self.scratchCopy(
      of: "fixtures/qemu-tdp",
      ["setup.txt", "kallsyms-kvm.txt", "bpftrace-kprobe.txt", "tdptrace-kprobe.txt"])
    defer { try? FileManager.default.removeItem(at: dir) }
    let capture = dir.appendingPathComponent("tdptrace-kprobe.txt")
    let text = try String(contentsOf: capture, encoding: .utf8)
    let marker = try #require(text.range(of: "\n]: "))
    let digits = text[marker.upperBound...].prefix { $0.isNumber }
    let changed = text.replacingCharacters(
      in: marker.upperBound..<text.index(marker.upperBound, offsetBy: digits.count),
      with: String(Int(digits)! + 1))
    try changed.write(to: capture, atomically: true, encoding: .utf8)
    let result = try Self.run(["scripts/vm/check-captures.sh", dir.path])
    #expect(result.status != 0)
    #expect(
      result.output.contains("FAIL crosscheck.kprobe-vs-bpftrace: stacks or counts differ"),
      "\(result.output)")
  }

  @Test func probesReasonsRejectAClaimTheKernelContradicts() throws {
    // `probes` saying a function kallsyms has is missing (6.12's handle_changed_spte), and the
    // DWARF check of reasons must say so.
    let dir = try Self.scratchCopy(
      of: "fixtures/qemu-tdp-6.12", ["setup.txt", "kallsyms-kvm.txt", "probes.txt", "CAPTURED"])
    defer { try? FileManager.default.removeItem(at: dir) }
    let probes = dir.appendingPathComponent("probes.txt")
    let text = try String(contentsOf: probes, encoding: .utf8)
    let lie =
      "spte-change  FAIL  handle_changed_spte: not in kallsyms (inlined, renamed or not built on this kernel)"
    // From 6.4 `probes` skips it for the tracepoint (`tracepointFrom`); the lie replaces that line.
    let skip = try #require(
      text.split(separator: "\n").first { $0.hasPrefix("spte-change  skip  handle_changed_spte ") })
    let changed = text.replacingOccurrences(of: String(skip), with: lie)
    #expect(changed != text)
    try changed.write(to: probes, atomically: true, encoding: .utf8)
    let dbg = try Self.debuginfo(for: "fixtures/qemu-tdp-6.12")
    defer { if let dbg { try? FileManager.default.removeItem(atPath: dbg) } }
    let result = try Self.run(["scripts/vm/check-captures.sh", dir.path, try #require(dbg)])
    #expect(result.status != 0)
    #expect(
      result.output.contains("FAIL probes.reasons: handle_changed_spte is in kallsyms"), "\(result.output)")
  }
}
