import Foundation
import StackFold
import TDPTable
import TestSupport
import Testing
import TraceParse

/// The guest's `record --faults` capture against bpftrace's count of `kvm_mmu_page_fault` per
/// thread on the same run of fault-driver (scripts/vm/guest-tests.sh, stage "faults"), read
/// through tdptrace's parser and `FaultAnatomy`; fault-driver's log says which thread runs
/// which vCPU. The shell check (`faults.vcpus`) does the same with awk.
@Suite struct GuestFaultCaptureTests {
  static let kernels = GuestKernel.all.filter {
    $0.exists("faults-tdptrace.txt") && $0.exists("faults-bpftrace.txt") && $0.exists("faults-workload.log")
  }

  /// "VM VCPU" -> faults, from bpftrace's `@faults[pid, tid]: N` and the driver's
  /// `vcpu I tid T` lines.
  static func bpftraceSide(_ bpftrace: String, log: String) -> [String: UInt64] {
    var vcpuOfThread: [String: String] = [:]
    for line in log.split(separator: "\n") {
      let words = line.split(separator: " ")
      if words.count == 4, words[0] == "vcpu", words[2] == "tid" {
        vcpuOfThread[String(words[3])] = String(words[1])
      }
    }
    var out: [String: UInt64] = [:]
    for line in bpftrace.split(separator: "\n") where line.hasPrefix("@faults[") {
      guard let close = line.range(of: "]: "), let n = UInt64(line[close.upperBound...]) else { continue }
      let members = line[line.index(line.startIndex, offsetBy: 8)..<close.lowerBound].split(separator: ",")
        .map {
          $0.trimmingCharacters(in: .whitespaces)
        }
      guard members.count == 2, let vcpu = vcpuOfThread[members[1]] else { continue }
      out["\(members[0]) \(vcpu)", default: 0] += n
    }
    return out
  }

  @Test(arguments: kernels)
  func faultsPerVCPUEqualBpftracesOnTheSameRun(kernel: GuestKernel) throws {
    let profile = try GuestCaptureTests.profile(
      try kernel.text("faults-tdptrace.txt"), name: "faults-tdptrace.txt")
    let anatomy = try FaultAnatomy(profile: profile)
    let bpftrace = Self.bpftraceSide(
      try kernel.text("faults-bpftrace.txt"), log: try kernel.text("faults-workload.log"))
    let tdptrace = Dictionary(
      uniqueKeysWithValues: anatomy.rows.map { ("\($0.vm) \($0.vcpu ?? "-")", $0.faults) })
    #expect(bpftrace.count == 2 && tdptrace == bpftrace, "\(kernel)")
    // One unit per fault by entry stack, the same faults as the histograms.
    #expect(profile.samples.reduce(0) { $0 + $1.weight } == anatomy.faults, "\(kernel)")
    // The workload's vCPUs install 4K pages and retry while the memslot is being replaced; the
    // outcomes are the kernel's own names, and every fault has one.
    for row in anatomy.rows {
      #expect(row.outcomes.reduce(0) { $0 + $1.faults } == row.faults)
      #expect(
        row.outcomes.contains { $0.outcome == "RET_PF_FIXED" } && row.retries > 0, "\(kernel) \(row.label)")
      #expect((row.levels["4K"] ?? 0) > 0)
    }
    #expect(anatomy.drops.isEmpty, "\(kernel): \(anatomy.drops)")
  }
}
