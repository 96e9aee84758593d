import Foundation
import TestSupport
import Testing

@testable import LiveCapture

@Suite struct BPFObjectTests {
  /// The committed BPFObjectData.swift is what scripts/gen-bpf.sh builds from tdptrace.bpf.c.
  @Test(.enabled(if: Self.clangAvailable, "needs the toolchain's clang (with BPF target) and llvm-objcopy"))
  func embeddedObjectMatchesSource() throws {
    let (status, output) = try TDPFixture.run("/bin/bash", [Fixtures.path("scripts/gen-bpf.sh"), "--check"])
    #expect(status == 0, "\(output)")
  }

  @Test func embeddedObjectIsABPFELFWithBTF() {
    let bytes = CaptureSession.objectBytes
    #expect(bytes.starts(with: [0x7F, 0x45, 0x4C, 0x46]))  // ELF
    #expect(bytes[18] == 247)  // e_machine EM_BPF
    let text = String(decoding: bytes, as: UTF8.self)
    for name in [
      ".BTF", "tdp_kprobe", "tdp_fentry", "tdp_tp_btf", "tdp_raw_tp", "tdp_tracepoint", "stacks", "counts",
      "drops",
    ] {
      #expect(text.contains(name), "\(name)")
    }
  }

  static var clangAvailable: Bool {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    return path.split(separator: ":").contains {
      FileManager.default.isExecutableFile(atPath: "\($0)/clang")
        && FileManager.default.isExecutableFile(atPath: "\($0)/llvm-objcopy")
    }
  }
}
