import TraceParse

/// The seed notes' five stacks (counts 465, 54, 2192, 447750, 614912), built in code so the
/// StackFold tests do not depend on the bpftrace parser.
enum SeedProfile {
  static let syscallTail = [
    "kvm_vcpu_ioctl+629", "__x64_sys_ioctl+139", "do_syscall_64+60", "entry_SYSCALL_64_after_hwframe+114",
  ]
  static let faultTail =
    [
      "direct_page_fault+862", "kvm_mmu_page_fault+276", "vmx_handle_exit+374",
      "kvm_arch_vcpu_ioctl_run+3286",
    ]
    + syscallTail

  /// Stacks leaf first, as bpftrace prints them.
  static let stacks: [([String], UInt64)] = [
    (["kvm_tdp_mmu_map+5"] + faultTail, 465),
    (
      [
        "tdp_mmu_init_sp+1", "kvm_tdp_mmu_get_vcpu_root_hpa+223", "kvm_mmu_load+1527",
        "kvm_arch_vcpu_ioctl_run+4482",
      ]
        + syscallTail, 54
    ),
    (["tdp_mmu_init_sp+1", "kvm_tdp_mmu_map+296"] + faultTail, 2192),
    (["__handle_changed_spte+1", "kvm_tdp_mmu_map+829"] + faultTail, 447750),
    (
      [
        "__handle_changed_spte+1", "__handle_changed_spte+905", "__handle_changed_spte+905",
        "__tdp_mmu_zap_root+238", "tdp_mmu_zap_root_work+65", "process_one_work+482", "worker_thread+84",
        "kthread+233", "ret_from_fork+41",
      ], 614912
    ),
  ]

  static let total: UInt64 = 1_065_373

  /// `name+862` → a frame with a decimal offset.
  static func frame(_ text: String, kind: FrameKind = .unknown) -> Frame {
    guard let plus = text.lastIndex(of: "+"), let offset = UInt64(text[text.index(after: plus)...]) else {
      return Frame(symbol: text, kind: kind)
    }
    return Frame(symbol: String(text[..<plus]), offset: FrameOffset(offset, base: .decimal), kind: kind)
  }

  static func make(labels: Labels = Labels([.init(Labels.Name.map, "@")])) throws -> Profile {
    var builder = ProfileBuilder()
    for (leafFirst, count) in stacks {
      try builder.add(frames: leafFirst.reversed().map { frame($0) }, labels: labels, weight: count)
    }
    return builder.build()
  }

  /// A profile from folded-style lines (`a;b+1;c 12`, root first) with one label set per line.
  static func profile(_ lines: [(String, UInt64, Labels)], kind: FrameKind = .unknown) throws -> Profile {
    var builder = ProfileBuilder()
    for (stack, weight, labels) in lines {
      let frames =
        stack.isEmpty
        ? []
        : stack.split(separator: ";", omittingEmptySubsequences: false).map { frame(String($0), kind: kind) }
      try builder.add(frames: frames, labels: labels, weight: weight)
    }
    return builder.build()
  }

  static func labels(_ pairs: (String, String)...) -> Labels {
    Labels(pairs.map { Labels.Entry($0.0, $0.1) })
  }
}
