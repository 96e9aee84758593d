/// The path that reached a TDP MMU operation: who asked KVM to map, allocate, change or zap.
public enum PathOrigin: String, Sendable, Hashable, CaseIterable, Codable {
  /// A guest access faulted: the vendor exit handler, `kvm_mmu_page_fault`, `kvm_tdp_mmu_map`.
  case vcpuFault = "vcpu-fault"
  /// Loading or reloading a vCPU's root on `KVM_RUN`: `kvm_mmu_load`.
  case rootLoad = "root-load"
  /// A zap queued to a workqueue or run by a kernel thread: `tdp_mmu_zap_root_work`,
  /// `process_one_work`, `kthread`.
  case zapWorker = "zap-worker"
  /// The host unmapped or changed memory behind the guest: `invalidate_range_start`.
  case notifierInvalidate = "mmu-notifier-invalidate"
  /// The host aged memory behind the guest (reclaim, DAMON): `clear_young`, `test_young`.
  case notifierAge = "mmu-notifier-age"
  /// The VMM's mm went away: `kvm_mmu_notifier_release`, from `exit_mmap` at process exit or
  /// from `mmu_notifier_unregister` in `kvm_destroy_vm`.
  case notifierRelease = "mmu-notifier-release"
  /// `KVM_SET_USER_MEMORY_REGION`: creating, moving, deleting a memslot or changing its flags.
  case memslotIoctl = "memslot-ioctl"
  /// `KVM_GET_DIRTY_LOG`, `KVM_CLEAR_DIRTY_LOG`, dirty ring reset.
  case dirtyLogIoctl = "dirty-log-ioctl"
  /// Tearing the VM down after its last file reference closed: `kvm_destroy_vm`.
  case vmDestroy = "vm-destroy"
  /// Some other part of `KVM_RUN` (emulation, obsolete roots, requests).
  case vcpuRunOther = "vcpu-run-other"
  /// None of the rules matched; reported with the stack's top frames.
  case other

  /// How a report names the origin.
  public var label: String {
    switch self {
    case .vcpuFault: return "vCPU page fault"
    case .rootLoad: return "root load/reload"
    case .zapWorker: return "zap worker"
    case .notifierInvalidate: return "MMU notifier: invalidate range"
    case .notifierAge: return "MMU notifier: age"
    case .notifierRelease: return "MMU notifier: release"
    case .memslotIoctl: return "memslot ioctl"
    case .dirtyLogIoctl: return "dirty-log ioctl"
    case .vmDestroy: return "VM destroy"
    case .vcpuRunOther: return "KVM_RUN, other"
    case .other: return "other"
    }
  }
}

/// One classification rule: if the stack holds these frames in this order (root first, other
/// frames may come between), the sample came from `origin`.
public struct PathRule: Sendable, Hashable {
  /// One position of the pattern: any of these function names. A name ending in `*` matches
  /// by prefix. Names are compared without compiler clone suffixes (`.isra.0`, `.cold`).
  public struct Step: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByArrayLiteral {
    public var names: [String]
    public init(_ names: [String]) { self.names = names }
    public init(stringLiteral value: String) { names = [value] }
    public init(arrayLiteral elements: String...) { names = elements }

    /// Whether `function` (already without clone suffix, `FrameName.base`) is one of the names.
    public func matches(_ function: Substring) -> Bool {
      names.contains { name in
        name.last == "*" ? function.hasPrefix(name.dropLast()) : function == name
      }
    }
  }

  public var origin: PathOrigin
  /// Root first, as stacks are stored.
  public var steps: [Step]
  /// Why the rule says what it says, for `tdptrace report --tdp --explain`-style output and
  /// for whoever edits the table.
  public var why: String

  public init(_ origin: PathOrigin, _ steps: [Step], why: String) {
    self.origin = origin
    self.steps = steps
    self.why = why
  }
}

extension PathRule {
  /// The TDP MMU origin rules, applied in order, first match wins. Inner contexts come before
  /// outer ones: a fault taken while a notifier runs is the notifier's doing, a notifier
  /// release inside `kvm_destroy_vm` is a release, and `KVM_RUN` or a bare kernel thread only
  /// decide when nothing more specific is on the stack. Names cover 5.15 to linux-next and
  /// VMX, SVM and PVM.
  public static let tdpMMU: [PathRule] = [
    PathRule(
      .zapWorker, ["tdp_mmu_zap_root_work"],
      why: "async root zap queued on kvm->arch.tdp_mmu_zap_wq (5.18 to 6.5, early 6.1.y)"),
    PathRule(
      .zapWorker,
      [["kvm_nx_huge_page_recovery_worker", "kvm_nx_lpage_recovery_worker", "kvm_nx_lpage_recovery"]],
      why: "NX huge page recovery thread zapping split pages"),
    PathRule(
      .notifierInvalidate,
      [
        [
          "kvm_mmu_notifier_invalidate_range_start", "kvm_mmu_notifier_invalidate_range_end",
          "kvm_mmu_notifier_invalidate_range", "kvm_mmu_notifier_change_pte",
          "kvm_mmu_notifier_arch_invalidate_secondary_tlbs",
        ]
      ],
      why: "munmap, madvise, migration, THP or KSM changed host memory behind the guest"),
    PathRule(
      .notifierAge,
      [
        ["kvm_mmu_notifier_clear_young", "kvm_mmu_notifier_clear_flush_young", "kvm_mmu_notifier_test_young"]
      ],
      why: "reclaim or DAMON asked whether guest memory was accessed"),
    PathRule(
      .notifierRelease, ["exit_mmap", "kvm_mmu_notifier_release"],
      why: "the VMM exited with the VM still open: exit_mmap releases the notifier"),
    PathRule(
      .notifierRelease, ["kvm_mmu_notifier_release"],
      why: "kvm_destroy_vm unregisters the notifier (mmu_notifier_unregister)"),
    PathRule(
      .vcpuFault,
      [
        [
          "kvm_mmu_page_fault", "kvm_tdp_page_fault", "tdp_page_fault", "direct_page_fault",
          "kvm_tdp_mmu_page_fault", "kvm_mmu_do_page_fault", "kvm_arch_async_page_ready",
        ]
      ],
      why: "EPT violation or NPF exit: vendor exit handler, kvm_mmu_page_fault, the TDP fault handler"),
    PathRule(
      .vcpuFault, ["kvm_tdp_mmu_map"],
      why: "kvm_tdp_mmu_map runs only for faults; covers stacks cut off below it"),
    PathRule(
      .rootLoad,
      [
        [
          "kvm_mmu_load", "kvm_mmu_reload", "kvm_tdp_mmu_get_vcpu_root_hpa", "kvm_tdp_mmu_alloc_root",
          "mmu_alloc_direct_roots", "kvm_mmu_free_obsolete_roots",
        ]
      ],
      why: "KVM_RUN loads the vCPU's root (allocating it on first use) or drops obsolete roots"),
    PathRule(
      .memslotIoctl,
      [
        [
          "kvm_set_memslot", "__kvm_set_memory_region", "kvm_set_memory_region",
          "kvm_vm_ioctl_set_memory_region", "kvm_set_internal_memslot",
        ]
      ],
      why: "KVM_SET_USER_MEMORY_REGION: deleting or moving a slot zaps, dirty-logging flags write-protect"),
    PathRule(
      .dirtyLogIoctl,
      [
        [
          "kvm_vm_ioctl_get_dirty_log", "kvm_vm_ioctl_clear_dirty_log", "kvm_get_dirty_log_protect",
          "kvm_clear_dirty_log_protect", "kvm_get_dirty_log", "kvm_dirty_ring_reset",
          "kvm_vm_ioctl_reset_dirty_pages",
        ]
      ],
      why: "KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG, KVM_RESET_DIRTY_RINGS"),
    PathRule(
      .vmDestroy, [["kvm_destroy_vm", "kvm_arch_destroy_vm", "kvm_vm_release"]],
      why: "the last reference to the VM file closed; roots and invalidated roots are freed"),
    PathRule(
      .vcpuRunOther, [["kvm_arch_vcpu_ioctl_run", "vcpu_run", "vcpu_enter_guest"]],
      why: "KVM_RUN, but not a fault or a root load"),
    PathRule(
      .zapWorker, ["process_one_work"],
      why: "a workqueue item with no more specific frame"),
    PathRule(
      .zapWorker, ["kthread"],
      why: "a kernel thread with no more specific frame"),
  ]
}
