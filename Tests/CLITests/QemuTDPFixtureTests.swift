import Foundation
import TestSupport
import Testing

/// The guest checks of the QEMU test bed (`scripts/vm/check-captures.sh`) run on the committed
/// captures in `fixtures/qemu-tdp/`, so the real 6.1 TDP MMU stacks are covered by every
/// `swift test` without booting the guest.
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
    // The bpftrace reference capture must show every required path on the real TDP MMU.
    #expect(result.output.contains("PASS bpftrace-kprobe.stacks"), "\(result.output)")
    #expect(result.output.contains("PASS guest.kvm-amd-tdp-mmu"), "\(result.output)")
  }

  @Test func checksRejectACaptureMissingAPath() throws {
    // The checks are only worth something if they fail: drop the notifier-release zap path and
    // put a BPF program frame on top of a stack.
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("tdptrace-qemu-neg-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let src = Self.repo.appendingPathComponent("fixtures/qemu-tdp")
    for name in ["setup.txt", "kallsyms-kvm.txt", "bpftrace-kprobe.txt"] {
      try FileManager.default.copyItem(
        at: src.appendingPathComponent(name), to: dir.appendingPathComponent(name))
    }
    let capture = dir.appendingPathComponent("bpftrace-kprobe.txt")
    var text = try String(contentsOf: capture, encoding: .utf8)
    text = text.replacingOccurrences(of: "kvm_mmu_notifier_release+", with: "other_function+")
    if let range = text.range(of: "\n    kvm_tdp_mmu_map+1\n") {
      text.replaceSubrange(range, with: "\n    bpf_prog_6deef7357e7b4530_probe+63\n")
    }
    try text.write(to: capture, atomically: true, encoding: .utf8)
    let result = try Self.run(["scripts/vm/check-captures.sh", dir.path])
    #expect(result.status != 0)
    #expect(result.output.contains("FAIL bpftrace-kprobe.stacks: missing: zap from kvm_mmu_notifier_release"))
    #expect(result.output.contains("FAIL bpftrace-kprobe.top-frame"))
  }
}
