import CTDPTraceBPF
import TDPTable

/// What `record --faults` (and `record --mmu-lock`) reads from the kernel's BTF before attaching: where the vCPU id and
/// the fault's gfn and levels are, and how this kernel numbers `RET_PF_*`, so neither a moved
/// field nor a renumbered outcome (6.12 added `RET_PF_WRITE_PROTECTED`) can mislabel a fault.
public struct FaultLayout: Sendable, Hashable {
  public var vcpuIDOffset: Int?
  public var gfnOffset: Int?
  public var reqLevelOffset: Int?
  public var goalLevelOffset: Int?
  /// `record --mmu-lock`: `kvm_vcpu.kvm` and `kvm.mmu_lock`.
  public var vcpuKVMOffset: Int?
  public var mmuLockOffset: Int?
  /// `RET_PF_*` by value, from BTF; empty when BTF has no such enum.
  public var outcomes: [Int64: String]

  public init(
    vcpuIDOffset: Int? = nil, gfnOffset: Int? = nil, reqLevelOffset: Int? = nil, goalLevelOffset: Int? = nil,
    outcomes: [Int64: String] = [:], vcpuKVMOffset: Int? = nil, mmuLockOffset: Int? = nil
  ) {
    self.vcpuKVMOffset = vcpuKVMOffset
    self.mmuLockOffset = mmuLockOffset
    self.vcpuIDOffset = vcpuIDOffset
    self.gfnOffset = gfnOffset
    self.reqLevelOffset = reqLevelOffset
    self.goalLevelOffset = goalLevelOffset
    self.outcomes = outcomes
  }

  /// Read from the running kernel's BTF (the kvm module's first).
  public init(features: KernelFeatures) {
    func offset(_ type: String, _ member: String) -> Int? {
      features.memberOffset(struct: type, member: member, module: "kvm")
    }
    self.init(
      vcpuIDOffset: offset("kvm_vcpu", "vcpu_id"), gfnOffset: offset("kvm_page_fault", "gfn"),
      reqLevelOffset: offset("kvm_page_fault", "req_level"),
      goalLevelOffset: offset("kvm_page_fault", "goal_level"),
      outcomes: features.enumerators(withMember: FaultCaptureKey.retry, module: "kvm"),
      vcpuKVMOffset: offset("kvm_vcpu", "kvm"), mmuLockOffset: offset("kvm", "mmu_lock"))
  }

  /// The value of the outcome called `name`.
  public func value(of name: String) -> Int64? { outcomes.first { $0.value == name }?.key }

  /// The fast path's returns that fixed the fault.
  public var fixedByFastPath: Set<Int64> {
    Set(["RET_PF_FIXED", "RET_PF_SPURIOUS"].compactMap { value(of: $0) })
  }

  /// What BTF did not give, for the capture's header and `probes`.
  public var missing: [String] {
    var out: [String] = []
    if vcpuIDOffset == nil { out.append("kvm_vcpu.vcpu_id (vCPUs are -)") }
    if gfnOffset == nil { out.append("kvm_page_fault.gfn (no retry runs)") }
    if reqLevelOffset == nil || goalLevelOffset == nil { out.append("kvm_page_fault levels (levels are -)") }
    if outcomes.isEmpty { out.append("the RET_PF_* enum (outcomes by number, no retry runs)") }
    return out
  }

  /// What BTF did not give the lock programs (no lock is watched without them).
  public var lockMissing: [String] {
    (vcpuKVMOffset == nil ? ["kvm_vcpu.kvm"] : []) + (mmuLockOffset == nil ? ["kvm.mmu_lock"] : [])
  }

  /// `struct config`'s fields for the fault programs.
  func apply(to cfg: inout config) {
    cfg.vcpu_id_offset = Int32(vcpuIDOffset ?? -1)
    cfg.pf_gfn_offset = Int32(gfnOffset ?? -1)
    cfg.pf_req_level_offset = Int32(reqLevelOffset ?? -1)
    cfg.pf_goal_level_offset = Int32(goalLevelOffset ?? -1)
    cfg.ret_pf_retry = Int32(clamping: value(of: FaultCaptureKey.retry) ?? -1)
    cfg.vcpu_kvm_offset = Int32(vcpuKVMOffset ?? -1)
    cfg.kvm_mmu_lock_offset = Int32(mmuLockOffset ?? -1)
  }
}
