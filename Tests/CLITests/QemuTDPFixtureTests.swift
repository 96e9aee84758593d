import Foundation
import TestSupport
import Testing

/// The shell half of the QEMU test bed's checks (`scripts/vm/check-captures.sh`: the guest's
/// setup, the awk fold of bpftrace against tdptrace on the same run, inline chains against
/// addr2line) on the committed captures in `fixtures/qemu-tdp/`, so they run in every
/// `swift test` without booting the guest. The Swift half is `GuestCaptureTests`.
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

  /// kvm.ko with DWARF from the committed fixture, decompressed into a temporary directory.
  static func debuginfo() throws -> String? {
    let xz = repo.appendingPathComponent("fixtures/debuginfo/kvm-6.1.0-50-amd64.ko.xz").path
    guard FileManager.default.fileExists(atPath: xz) else { return nil }
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("tdptrace-qemu-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let result = try run(["-c", "xz -dc \"$0\" >\"$1/kvm.ko\"", xz, dir.path])
    return result.status == 0 ? dir.path : nil
  }

  @Test func committedGuestCapturesPassEveryGuestCheck() throws {
    let dbg = try Self.debuginfo()
    defer { if let dbg { try? FileManager.default.removeItem(atPath: dbg) } }
    let result = try Self.run([
      "scripts/vm/check-captures.sh", "fixtures/qemu-tdp", dbg ?? "", Self.tdptrace ?? "",
    ])
    #expect(result.status == 0, "\(result.output)")
    #expect(!result.output.contains("FAIL "), "\(result.output)")
    #expect(result.output.contains("PASS crosscheck.kprobe-vs-bpftrace"), "\(result.output)")
    #expect(result.output.contains("PASS guest.kvm-amd-tdp-mmu"), "\(result.output)")
  }

  @Test func crossCheckRejectsACountThatDiffers() throws {
    // The cross-check is only worth something if it fails: one more event in tdptrace's capture
    // than bpftrace saw on the same run.
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("tdptrace-qemu-neg-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let src = Self.repo.appendingPathComponent("fixtures/qemu-tdp")
    for name in ["setup.txt", "kallsyms-kvm.txt", "bpftrace-kprobe.txt", "tdptrace-kprobe.txt"] {
      try FileManager.default.copyItem(
        at: src.appendingPathComponent(name), to: dir.appendingPathComponent(name))
    }
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
}
