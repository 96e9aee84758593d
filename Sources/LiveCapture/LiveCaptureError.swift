import TDPTable

/// Why live capture could not start or continue. Each case prints as one line.
public enum LiveCaptureError: Error, CustomStringConvertible, Equatable {
  case badProbe(String, String)
  case unknownPreset(String)
  case missingPrivileges(missing: [String])
  case noBPF(String)
  case noProbeAttached([String])
  /// `record --faults` without its fault bracket: nothing would time a fault.
  case noFaultBracket([String])
  /// `record --mmu-lock` without both contention tracepoints or the vCPU entry naming the lock.
  case noLockWatch([String])
  case mapCreate(String, Int32)
  case io(String)

  public var description: String {
    switch self {
    case .badProbe(let text, let why): return "unknown probe '\(text)': \(why)"
    case .unknownPreset(let name):
      return "unknown preset '\(name)' (known: \(ProbeTable.all.map(\.name).joined(separator: ", ")))"
    case .missingPrivileges(let missing):
      return "needs root, or CAP_BPF and CAP_PERFMON (missing: \(missing.joined(separator: ", ")))"
    case .noBPF(let why): return "this kernel cannot run BPF programs: \(why)"
    case .noProbeAttached(let reasons):
      return "no probe could be attached: " + reasons.joined(separator: "; ")
    case .noFaultBracket(let reasons):
      return "--faults: kvm_mmu_page_fault could not be attached, so no fault can be timed: "
        + reasons.joined(separator: "; ")
    case .noLockWatch(let reasons):
      return
        "--mmu-lock needs lock:contention_begin and contention_end (5.19+) and kvm_mmu_page_fault to find each VM's mmu_lock: "
        + reasons.joined(separator: "; ")
    case .mapCreate(let name, let errno): return "cannot create BPF map \(name): \(Errno.describe(errno))"
    case .io(let message): return message
    }
  }
}
