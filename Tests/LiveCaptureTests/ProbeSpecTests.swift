import TDPTable
import Testing

@testable import LiveCapture

@Suite struct ProbeSpecTests {
  @Test func parsesEveryForm() throws {
    #expect(try ProbeSpec.parse("kprobe:kvm_tdp_mmu_map") == .function("kvm_tdp_mmu_map", .kprobe))
    #expect(try ProbeSpec.parse("fentry:kvm_tdp_mmu_map") == .function("kvm_tdp_mmu_map", .fentry))
    #expect(try ProbeSpec.parse("kfunc:kvm_tdp_mmu_map") == .function("kvm_tdp_mmu_map", .fentry))
    #expect(try ProbeSpec.parse("kfunc:kvm:kvm_tdp_mmu_map") == .function("kvm_tdp_mmu_map", .fentry))
    #expect(try ProbeSpec.parse("kvm_tdp_mmu_map") == .function("kvm_tdp_mmu_map", .auto))
    #expect(
      try ProbeSpec.parse("tracepoint:kvmmmu:kvm_mmu_get_page") == .tracepoint("kvmmmu", "kvm_mmu_get_page"))
    #expect(try ProbeSpec.parse("t:kvmmmu:kvm_mmu_get_page") == .tracepoint("kvmmmu", "kvm_mmu_get_page"))
    #expect(try ProbeSpec.parse("handle_changed_spte.cold") == .function("handle_changed_spte.cold", .auto))
  }

  @Test(arguments: [
    ("uprobe:foo", "unknown probe type 'uprobe'"),
    ("tracepoint:kvmmmu", "expected tracepoint:CATEGORY:NAME"),
    ("kprobe:", "expected a kernel function name"),
    ("a:b:c:d", "too many ':'"),
    ("foo bar", "expected a kernel function name"),
    ("", "expected a kernel function name"),
  ])
  func rejectsWithReason(text: String, reason: String) {
    #expect {
      try ProbeSpec.parse(text)
    } throws: { error in
      "\(error)".contains(reason) && "\(error)".hasPrefix("unknown probe '\(text)'")
    }
  }

  @Test func bpftraceNames() {
    let f = ProbeSpec.function("kvm_tdp_mmu_map")
    #expect(f.bpftraceName(via: .kprobe) == "kprobe:kvm_tdp_mmu_map")
    #expect(f.bpftraceName(via: .fentry) == "kfunc:kvm_tdp_mmu_map")
    let t = ProbeSpec.tracepoint("kvmmmu", "kvm_mmu_get_page")
    for method in [AttachMethod.tpBTF, .rawTracepoint, .tracepoint] {
      #expect(t.bpftraceName(via: method) == "tracepoint:kvmmmu:kvm_mmu_get_page")
    }
  }

  @Test func attachOrderIsDocumented() {
    #expect(AttachMethod.order(for: .function("f"), request: .auto) == [.fentry, .kprobe])
    #expect(AttachMethod.order(for: .function("f"), request: .kprobe) == [.kprobe])
    #expect(AttachMethod.order(for: .function("f"), request: .tracepoint) == [])
    #expect(
      AttachMethod.order(for: .tracepoint(category: "c", name: "n"), request: .auto) == [
        .tpBTF, .rawTracepoint, .tracepoint,
      ])
  }

  @Test func presetsCoverRenamesAndGroups() throws {
    let tdp = try ProbeTable.preset(named: "tdp-mmu")
    #expect(tdp.recordedGroups.map(\.name) == ["map", "init-sp", "spte-change", "zap", "wrprot"])
    let functions = Set(tdp.groups.flatMap(\.recordedFunctions))
    for name in [
      "__handle_changed_spte", "handle_changed_spte", "kvm_tdp_mmu_zap_leafs", "__kvm_tdp_mmu_zap_gfn_range",
      "tdp_mmu_init_sp", "alloc_tdp_mmu_page", "kvm_tdp_mmu_alloc_root", "kvm_tdp_mmu_get_vcpu_root_hpa",
    ] {
      #expect(functions.contains(name), "\(name)")
    }
    let tracepoints = Set(tdp.groups.flatMap(\.recordedTracepoints).map { "tracepoint:" + $0.name })
    #expect(
      tracepoints.isSuperset(of: [
        "tracepoint:kvmmmu:kvm_mmu_get_page", "tracepoint:kvmmmu:kvm_tdp_mmu_spte_changed",
        "tracepoint:kvmmmu:kvm_mmu_prepare_zap_page", "tracepoint:kvmmmu:kvm_mmu_set_spte",
        "tracepoint:kvmmmu:kvm_mmu_spte_requested",
      ]))
    #expect(try ProbeTable.preset(named: "shadow-mmu").recordedGroups.count == 5)
    #expect(throws: LiveCaptureError.unknownPreset("nope")) { try ProbeTable.preset(named: "nope") }
  }

  @Test func probeConfigMatchesTheBPFLayout() {
    var limits = CaptureLimits()
    limits.pid = 0x0102_0304
    limits.comm = "kvmloop"
    limits.slowerThanNs = 0x0A0B
    limits.fallbackEntries = 0x0506
    var config = ProbeConfig(probeID: 7, limits: limits)
    config.spteMaskAddresses = (1...9).map { 0xffff_0000_0000_0000 | UInt64($0) }
    let bytes = config.bytes
    // sizeof(struct config) in bpf/tdptrace.h: three u32, comm[16], the u64 at offset 32, then
    // fallback_entries and its padding, then the nine SPTE mask addresses, then record
    // --faults' four offsets and RET_PF_RETRY, record --mmu-lock's two offsets, and padding
    // (-1: unknown, without a layout).
    #expect(bytes.count == 48 + 9 * 8 + 8 * 4)
    #expect(Array(bytes[120..<148]) == Array(repeating: 0xff, count: 28))
    config.faultLayout = FaultLayout(
      vcpuIDOffset: 0x90, gfnOffset: 0x20, reqLevelOffset: 0x2a, goalLevelOffset: 0x2b,
      outcomes: [1: "RET_PF_RETRY"], vcpuKVMOffset: 0x08, mmuLockOffset: 0x1234)
    #expect(
      Array(config.bytes[120..<148]) == [
        0x90, 0, 0, 0, 0x20, 0, 0, 0, 0x2a, 0, 0, 0, 0x2b, 0, 0, 0, 1, 0, 0, 0,
        0x08, 0, 0, 0, 0x34, 0x12, 0, 0,
      ])
    for i in 0..<9 {
      let start = 48 + i * 8
      #expect(Array(bytes[start..<start + 8]) == [UInt8(i + 1), 0, 0, 0, 0, 0, 0xff, 0xff])
    }
    #expect(Array(bytes[32..<40]) == [0x0B, 0x0A, 0, 0, 0, 0, 0, 0])
    #expect(Array(bytes[40..<48]) == [0x06, 0x05, 0, 0, 0, 0, 0, 0])
    #expect(Array(bytes[0..<12]) == [7, 0, 0, 0, 4, 3, 2, 1, 7, 0, 0, 0])
    #expect(Array(bytes[12..<19]) == Array("kvmloop".utf8))
    #expect(bytes[19..<32].allSatisfy { $0 == 0 })
  }

  @Test func privilegesNameWhatIsMissing() {
    #expect(Privileges(effective: 0).missing == ["CAP_BPF", "CAP_PERFMON"])
    #expect(Privileges(effective: 1 << 39).missing == ["CAP_PERFMON"])
    #expect(Privileges(effective: (1 << 39) | (1 << 38)).missing == [])
    #expect(Privileges(effective: 1 << 21).missing == [])  // CAP_SYS_ADMIN covers both
    #expect(
      LiveCaptureError.missingPrivileges(missing: ["CAP_BPF", "CAP_PERFMON"]).description
        == "needs root, or CAP_BPF and CAP_PERFMON (missing: CAP_BPF, CAP_PERFMON)")
  }
}
