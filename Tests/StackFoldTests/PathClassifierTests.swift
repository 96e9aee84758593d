import Foundation
import StackFold
import TDPTable
import TestSupport
import Testing
import TraceParse

/// Every stack of the seed notes and the real captures, with the origin the rules give it,
/// checked against a golden file whose origins were checked by hand against the frames.
@Suite struct PathClassifierTests {
  static let inputs = [
    "fixtures/seed/tdp_mmu-notes.txt",
    "fixtures/seed/tdp_mmu-notes-zap_all.txt",
    "fixtures/bpftrace/qemu-tdp-bpftrace-kprobe-kstack.txt",
    "fixtures/bpftrace/bpftrace-kvm-mmu-tracepoints-kstack.txt",
    "fixtures/bpftrace/bpftrace-kvm-mmu-tracepoints-kstack.json",
    "fixtures/bpftrace/libbpf-loader-tp_btf-kvm-kstack.txt",
  ]

  /// One line per unique stack: file, probe, origin, weight, frames leaf first.
  static func classifyAll() throws -> String {
    let classifier = PathClassifier()
    var out = ""
    for input in inputs {
      let profile = try TDPFixture.load(input)
      out += "# \(input): \(profile.samples.count) stacks, total \(profile.totalWeight)\n"
      for sample in profile.samples {
        let labels = profile.labels(of: sample)
        let functions = profile.frames(of: sample).map(\.symbol)
        let probe = labels.probe ?? functions.last ?? "[empty]"
        let result = classifier.classify(functions, probeFunction: ProbeName(probe).function)
        var origin = result.origin.rawValue
        if !result.topFrames.isEmpty { origin += "(" + result.topFrames.joined(separator: " < ") + ")" }
        out += "\(origin)\t\(sample.weight)\t\(probe)\t\(functions.reversed().joined(separator: " < "))\n"
      }
    }
    return out
  }

  @Test func everyFixtureStackHasItsHandCheckedOrigin() throws {
    try TDPFixture.expectGolden(try Self.classifyAll(), "fixtures/expected/exports/tdp-origins.txt")
  }

  @Test func seedStacksSeparateFaultFromRootAndWorker() throws {
    let c = PathClassifier()
    // init_sp under kvm_mmu_load is root allocation; under kvm_tdp_mmu_map it is fault time.
    #expect(
      c.classify([
        "kvm_vcpu_ioctl", "kvm_arch_vcpu_ioctl_run", "kvm_mmu_load", "kvm_tdp_mmu_get_vcpu_root_hpa",
        "tdp_mmu_init_sp",
      ])
      .origin == .rootLoad)
    #expect(
      c.classify([
        "kvm_arch_vcpu_ioctl_run", "vmx_handle_exit", "kvm_mmu_page_fault", "direct_page_fault",
        "kvm_tdp_mmu_map",
        "tdp_mmu_init_sp",
      ]).origin == .vcpuFault)
    // SPTE changes from the zap worker versus from kvm_tdp_mmu_map.
    #expect(
      c.classify([
        "ret_from_fork", "kthread", "worker_thread", "process_one_work", "tdp_mmu_zap_root_work",
        "__tdp_mmu_zap_root",
        "__handle_changed_spte",
      ]).origin == .zapWorker)
    #expect(
      c.classify(["kvm_mmu_page_fault", "kvm_tdp_mmu_map", "__handle_changed_spte"]).origin == .vcpuFault)
  }

  @Test func innerContextWinsOverOuter() {
    let c = PathClassifier()
    // A fault's GUP triggering an invalidation is the notifier's doing.
    #expect(
      c.classify([
        "kvm_arch_vcpu_ioctl_run", "kvm_mmu_page_fault", "__gup_longterm_locked",
        "__mmu_notifier_invalidate_range_start", "kvm_mmu_notifier_invalidate_range_start",
        "kvm_tdp_mmu_unmap_gfn_range",
      ]).origin == .notifierInvalidate)
    // Release inside kvm_destroy_vm is a release, not just VM destroy.
    #expect(
      c.classify([
        "__fput", "kvm_vm_release", "kvm_destroy_vm", "mmu_notifier_unregister", "kvm_mmu_notifier_release",
      ])
      .origin == .notifierRelease)
    #expect(
      c.classify(["kvm_vm_release", "kvm_destroy_vm", "kvm_arch_destroy_vm", "kvm_mmu_uninit_tdp_mmu"]).origin
        == .vmDestroy)
  }

  @Test func otherIsDescribedByTopFramesWithoutProbeOrBPF() {
    let c = PathClassifier()
    let r = c.classify(
      [
        "entry_SYSCALL_64", "do_syscall_64", "some_ioctl", "kvm_tdp_mmu_zap_leafs", "bpf_trace_run2",
        "bpf_prog_abc_tp",
      ],
      probeFunction: "kvm_tdp_mmu_zap_leafs")
    #expect(r.origin == .other)
    #expect(r.rule == nil)
    #expect(r.topFrames == ["some_ioctl", "do_syscall_64", "entry_SYSCALL_64"])
  }

  @Test func cloneSuffixesAndPrefixStepsMatch() {
    let rules = [PathRule(.memslotIoctl, [["kvm_set_mem*"]], why: "test")]
    let c = PathClassifier(rules: rules)
    #expect(c.classify(["kvm_set_memslot.isra.0", "x"]).origin == .memslotIoctl)
    #expect(c.classify(["kvm_get_memslot"]).origin == .other)
    // Steps must appear in order, root first.
    let ordered = PathClassifier(rules: [PathRule(.vmDestroy, ["a", "b"], why: "test")])
    #expect(ordered.classify(["a", "x", "b"]).origin == .vmDestroy)
    #expect(ordered.classify(["b", "a"]).origin == .other)
  }

  @Test func groupsResolveAcrossProbeSpellings() {
    #expect(ProbeTable.tdpMMU.group(of: "kprobe:tdp_mmu_init_sp")?.name == "init-sp")
    #expect(ProbeTable.tdpMMU.group(of: "tracepoint:kvmmmu:kvm_mmu_get_page")?.name == "init-sp")
    #expect(ProbeTable.tdpMMU.group(of: "tracepoint_btf:kvm_mmu_get_page")?.name == "init-sp")
    #expect(ProbeTable.tdpMMU.group(of: "kvmmmu:kvm_tdp_mmu_spte_changed")?.name == "spte-change")
    #expect(ProbeTable.tdpMMU.group(of: "kfunc:kvm:handle_changed_spte")?.name == "spte-change")
    #expect(ProbeTable.tdpMMU.group(of: "handle_changed_spte.cold")?.name == "spte-change")
    #expect(ProbeTable.tdpMMU.group(of: "kvm_tdp_mmu_wrprot_slot")?.name == "wrprot")
    #expect(ProbeTable.tdpMMU.group(of: "cpu-clock") == nil)
    #expect(ProbeTable.tdpMMU.group(of: "tracepoint:kvm:kvm_pio") == nil)
    // Function names are unique across groups.
    let names = ProbeTable.tdpMMU.groups.flatMap(\.functionNames)
    #expect(Set(names).count == names.count)
  }
}
