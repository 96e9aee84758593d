import CLibbpf
import CTDPTraceBPF
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

  /// The object was built with the same bpf/tdptrace.h that Swift imports: its maps and .rodata
  /// have the header's sizes. Opening parses the ELF and BTF only, so no privileges are needed.
  @Test func embeddedObjectHasTheHeadersLayout() throws {
    let bytes = CaptureSession.objectBytes
    let object = try #require(bytes.withUnsafeBytes { bpf_object__open_mem($0.baseAddress, $0.count, nil) })
    defer { bpf_object__close(object) }
    func map(_ name: String) throws -> OpaquePointer {
      try #require(bpf_object__find_map_by_name(object, name), "\(name)")
    }
    #expect(try bpf_map__value_size(map(".rodata")) == MemoryLayout<config>.size)
    #expect(try bpf_map__key_size(map("counts")) == MemoryLayout<count_key>.size)
    #expect(try bpf_map__value_size(map("stacks")) == Int(MAX_STACK_DEPTH) * MemoryLayout<UInt64>.size)
    #expect(try bpf_map__max_entries(map("drops")) == UInt32(MAX_PROBES) * DROP_REASONS.rawValue)
    // The stack fallback: stacks by content (struct stack_key) to a fallback id.
    #expect(try bpf_map__key_size(map("fb_stacks")) == MemoryLayout<stack_key>.size)
    #expect(try bpf_map__value_size(map("fb_stacks")) == MemoryLayout<UInt32>.size)
    #expect(try bpf_map__max_entries(map("fb_stacks")) == UInt32(FALLBACK_ENTRIES))
    #expect(try bpf_map__value_size(map("fb_scratch")) == MemoryLayout<stack_key>.size)
    #expect(MemoryLayout<stack_key>.size == 8 + Int(MAX_STACK_DEPTH) * MemoryLayout<UInt64>.size)
    #expect(MemoryLayout<config>.size == ProbeConfig(probeID: 0, limits: CaptureLimits()).bytes.count)
  }

  /// Every map the object declares is one the session creates, with the object's type, key and
  /// value sizes (a map left out made 6.1 refuse every program using it: "invalid BPF map
  /// reference"), and the session creates no map the object lacks.
  @Test func theSessionCreatesEveryMapOfTheObject() throws {
    let bytes = CaptureSession.objectBytes
    let object = try #require(bytes.withUnsafeBytes { bpf_object__open_mem($0.baseAddress, $0.count, nil) })
    defer { bpf_object__close(object) }
    let specs = Dictionary(
      uniqueKeysWithValues: CaptureSession.mapSpecs(CaptureLimits()).map { ($0.0, ($0.1, $0.2, $0.3)) })
    var declared: Set<String> = []
    var map = bpf_object__next_map(object, nil)
    while let current = map {
      defer { map = bpf_object__next_map(object, current) }
      let name = String(cString: bpf_map__name(current))
      // OBJ.rodata, OBJ.bss: the object's own sections, which libbpf creates.
      if name.contains(".") { continue }
      declared.insert(name)
      guard let (type, key, value) = specs[name] else {
        Issue.record("map \(name) of tdptrace.bpf.c is not in CaptureSession.mapSpecs")
        continue
      }
      #expect(bpf_map__type(current) == type, "\(name)")
      if type != BPF_MAP_TYPE_RINGBUF {
        #expect(bpf_map__key_size(current) == key, "\(name)")
        #expect(bpf_map__value_size(current) == value, "\(name)")
      }
    }
    #expect(declared == Set(specs.keys))
  }

  /// Every reason the BPF program counts (0 ..< DROP_REASONS in bpf/tdptrace.h) has a Swift
  /// case, with a name for the output, and the user-space reason is none of them.
  @Test func everyKernelDropReasonHasACase() {
    #expect(DropReason.kernelReasons == DROP_REASONS.rawValue)
    for raw in 0..<DROP_REASONS.rawValue {
      #expect(DropReason(rawValue: raw)?.rawValue == raw, "drop reason \(raw) has no DropReason case")
    }
    let kernel = DropReason.allCases.filter { $0.rawValue < DROP_REASONS.rawValue }
    #expect(kernel.count == Int(DROP_REASONS.rawValue))
    #expect(DropReason.stackUnreadable.rawValue >= DROP_REASONS.rawValue)
    #expect(Set(DropReason.allCases.map(\.rawValue)).count == DropReason.allCases.count)
    #expect(Set(DropReason.allCases.map(\.name)).count == DropReason.allCases.count)
  }

  static var clangAvailable: Bool {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    return path.split(separator: ":").contains {
      FileManager.default.isExecutableFile(atPath: "\($0)/clang")
        && FileManager.default.isExecutableFile(atPath: "\($0)/llvm-objcopy")
    }
  }
}
