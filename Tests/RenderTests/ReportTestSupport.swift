import Foundation
import TestSupport
import Testing
import TraceParse

/// Fixtures for the report tests (goldens go through `TDPFixture.expectGolden`).
enum ReportGolden {
  static let root = TDPFixture.root

  /// The seed notes' five stacks, built in code (leaf first as bpftrace prints, then reversed).
  static func seed() throws -> Profile {
    let tail = [
      "kvm_vcpu_ioctl+629", "__x64_sys_ioctl+139", "do_syscall_64+60", "entry_SYSCALL_64_after_hwframe+114",
    ]
    let fault =
      [
        "direct_page_fault+862", "kvm_mmu_page_fault+276", "vmx_handle_exit+374",
        "kvm_arch_vcpu_ioctl_run+3286",
      ] + tail
    let stacks: [([String], UInt64)] = [
      (["kvm_tdp_mmu_map+5"] + fault, 465),
      (
        [
          "tdp_mmu_init_sp+1", "kvm_tdp_mmu_get_vcpu_root_hpa+223", "kvm_mmu_load+1527",
          "kvm_arch_vcpu_ioctl_run+4482",
        ] + tail, 54
      ),
      (["tdp_mmu_init_sp+1", "kvm_tdp_mmu_map+296"] + fault, 2192),
      (["__handle_changed_spte+1", "kvm_tdp_mmu_map+829"] + fault, 447750),
      (
        [
          "__handle_changed_spte+1", "__handle_changed_spte+905", "__handle_changed_spte+905",
          "__tdp_mmu_zap_root+238",
          "tdp_mmu_zap_root_work+65", "process_one_work+482", "worker_thread+84", "kthread+233",
          "ret_from_fork+41",
        ], 614912
      ),
    ]
    var builder = ProfileBuilder()
    for (leafFirst, count) in stacks {
      let frames = leafFirst.reversed().map { text -> Frame in
        let plus = text.lastIndex(of: "+")!
        return Frame(
          symbol: String(text[..<plus]),
          offset: FrameOffset(UInt64(text[text.index(after: plus)...])!, base: .decimal))
      }
      try builder.add(frames: frames, labels: Labels([.init("map", "@")]), weight: count)
    }
    return builder.build()
  }
}
