import Foundation
import TDPTable

/// The masks `record --spte` classified SPTEs under, and where they came from: the running
/// kernel's `shadow_*_mask` globals (their kallsyms addresses read in the kernel by the BPF
/// program `tdp_spte_masks`), or, when kallsyms does not list them all, the preset of the
/// hardware `/proc/cpuinfo` shows. The capture's header records both (`SPTECaptureKey`).
public struct SPTEMaskReading: Sendable, Equatable {
  public var masks: SPTEMasks
  /// `kernel (...)` or `preset (...): why the kernel's could not be read`.
  public var source: String

  public init(masks: SPTEMasks, source: String) {
    self.masks = masks
    self.source = source
  }

  /// The reading from what `tdp_spte_masks` found: every global read, or the hardware preset
  /// (`hardware`), with the names that were missing (`read` has bit i set when mask i was read;
  /// `addressed[i]`, whether kallsyms listed it; `failure`, why the run itself failed, if it did).
  static func resolve(
    values: [UInt64], read: UInt32, addressed: [Bool], failure: String? = nil,
    hardware: () -> (SPTEMasks, String)
  ) -> SPTEMaskReading {
    let names = SPTEMasks.names
    if read == (1 << names.count) - 1, let masks = SPTEMasks(values: values) {
      return SPTEMaskReading(masks: masks, source: "kernel (\(names.count) shadow_* globals read at attach)")
    }
    let missing = names.indices.filter { read & (1 << $0) == 0 }
    let notListed = missing.filter { !addressed[$0] }.map { names[$0] }
    let why: String
    if !notListed.isEmpty {
      why = "\(notListed.joined(separator: ", ")) not in kallsyms (CONFIG_KALLSYMS_ALL off?)"
    } else if let failure {
      why = failure
    } else {
      why = "reading \(missing.map { names[$0] }.joined(separator: ", ")) failed"
    }
    let (masks, preset) = hardware()
    return SPTEMaskReading(masks: masks, source: "preset (\(preset)): \(why)")
  }

  /// The masks KVM sets on this hardware: NPT's on AMD (`svm`), EPT's on Intel (`vmx`, with A/D
  /// bits as `kvm_intel.ept_ad` says), NPT's as a guess on neither.
  static func preset(cpuinfo: String?, eptAD: String?) -> (SPTEMasks, String) {
    let flags =
      cpuinfo?.split(separator: "\n").first { $0.hasPrefix("flags") }.map {
        Set($0.split(separator: " ").map(String.init))
      } ?? []
    if flags.contains("vmx") {
      let ad = eptAD?.trimmingCharacters(in: .whitespacesAndNewlines) != "N"
      let suppressVE = (KernelVersion.running ?? KernelVersion(0, 0)) >= KernelVersion(6, 10)
      return (
        SPTEMasks.ept(adBits: ad, suppressVE: suppressVE),
        "EPT, kvm_intel.ept_ad=\(ad ? "Y" : "N")\(suppressVE ? ", suppress-VE" : "")"
      )
    }
    // "address sizes	: 46 bits physical, 48 bits virtual"
    let bits =
      cpuinfo?.split(separator: "\n").first { $0.hasPrefix("address sizes") }
      .flatMap { line in line.split(separator: ":").last?.split(separator: " ").first.flatMap { Int($0) } }
      ?? 46
    return (
      SPTEMasks.npt(physicalBits: bits),
      "\(flags.contains("svm") ? "NPT" : "no vmx or svm: NPT guessed"), \(bits) physical address bits"
    )
  }

  /// `preset` on this machine's `/proc/cpuinfo` and `kvm_intel.ept_ad`.
  static func hardwarePreset() -> (SPTEMasks, String) {
    preset(
      cpuinfo: try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
      eptAD: try? String(contentsOfFile: "/sys/module/kvm_intel/parameters/ept_ad", encoding: .utf8))
  }
}
