import Foundation
import StackFold
import TDPTable
import TestSupport
import Testing
import TraceParse

/// The guest's `record --mmu-lock` capture (scripts/vm/guest-tests.sh, stage "mmu-lock": the
/// long fault-driver run), read through tdptrace's parser and `MMULockWaits`, against the
/// capture's own `@mmu_lock_wait_stats_ns` lines read as text. The shell check
/// (`lock.holders`) does the same with awk.
@Suite struct GuestLockCaptureTests {
  static let kernels = GuestKernel.all.filter { $0.exists("lock-tdptrace.txt") }

  /// The write paths fault-driver takes mmu_lock through: the MMU notifier (MADV_DONTNEED),
  /// the memslot ioctl and its fast zap, and the VM's release at exit; `-` none.
  static let workloadHolders: Set<String> = [
    "kvm_mmu_notifier_invalidate_range_start", "kvm_set_memslot", "kvm_mmu_zap_all_fast",
    "kvm_mmu_notifier_release", "kvm_mmu_zap_all", LockCaptureKey.noHolder,
  ]

  /// (vCPU, holder) -> waits, from each stats entry's first line and its `]: count N` line.
  static func textSide(_ text: String) -> [String: UInt64] {
    var out: [String: UInt64] = [:]
    var key: String? = nil
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix(LockCaptureKey.statsMap + "[") {
        let members = line.dropFirst(LockCaptureKey.statsMap.count + 1).components(separatedBy: ", ")
        key = members.count >= 5 ? "\(members[2]) \(members[4])" : nil
      } else if let current = key, line.hasPrefix("]: count ") {
        let n = line.dropFirst("]: count ".count).prefix { $0 != "," }
        out[current, default: 0] += UInt64(n) ?? 0
        key = nil
      }
    }
    return out
  }

  @Test(arguments: kernels)
  func waitsByVCPUAndHolderAreTheCapturesAndTheWorkloads(kernel: GuestKernel) throws {
    let text = try kernel.text("lock-tdptrace.txt")
    let profile = try GuestCaptureTests.profile(text, name: "lock-tdptrace.txt")
    #expect(profile.notes.isEmpty, "\(kernel): \(profile.notes)")
    let waits = try MMULockWaits(profile: profile)
    #expect(waits.vms.count == 1, "\(kernel)")
    let vm = try #require(waits.vms.first)
    var read: [String: UInt64] = [:]
    for vcpu in vm.vcpus {
      for holder in vcpu.holders { read["\(vcpu.name) \(holder.name)", default: 0] += holder.waits }
    }
    #expect(read == Self.textSide(text), "\(kernel)")
    #expect(vm.waits > 0 && vm.waits == vm.holders.reduce(0) { $0 + $1.waits })
    #expect(
      Set(vm.holders.map(\.name)).isSubset(of: Self.workloadHolders), "\(kernel): \(vm.holders.map(\.name))")
    // fault-driver runs vCPUs 0 and 1; its main thread (memslot ioctls, teardown) is no vCPU.
    #expect(Set(vm.vcpus.map(\.name)).isSubset(of: ["0", "1", LockCaptureKey.noVCPU]), "\(kernel)")
    #expect(vm.vcpus.contains { $0.name != LockCaptureKey.noVCPU }, "\(kernel)")
    #expect(waits.drops.isEmpty, "\(kernel): \(waits.drops)")
  }

  /// `report --latency --by vcpu` splits the waits into the same vCPUs `report --mmu-lock` has,
  /// and `--by vm` into the one VM: nothing is lost or counted twice.
  @Test(arguments: kernels)
  func latencyByVCPUHasTheSameWaits(kernel: GuestKernel) throws {
    let profile = try GuestCaptureTests.profile(
      try kernel.text("lock-tdptrace.txt"), name: "lock-tdptrace.txt")
    let vm = try #require(try MMULockWaits(profile: profile).vms.first)
    let byVCPU = LatencySummary(profile: profile, split: .vcpu).probes
    let expected = Dictionary(
      uniqueKeysWithValues: vm.vcpus.map {
        ("VM \(vm.vm) " + ($0.name == LockCaptureKey.noVCPU ? "no vCPU" : "vCPU \($0.name)"), $0.waits)
      })
    #expect(Dictionary(uniqueKeysWithValues: byVCPU.map { ($0.group ?? "?", $0.total.count) }) == expected)
    let byVM = LatencySummary(profile: profile, split: .vm).probes
    #expect(byVM.map(\.group) == ["VM \(vm.vm)"] && byVM.map(\.total.count) == [vm.waits])
    #expect(LatencySummary(profile: profile).probes.map(\.total.count) == [vm.waits])
  }
}
