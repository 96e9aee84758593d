import Foundation

/// The capabilities BPF tracing needs, read from `/proc/self/status` (`CapEff`).
public struct Privileges: Sendable, Equatable {
  public var effective: UInt64

  static let capSysAdmin: UInt64 = 21
  static let capPerfmon: UInt64 = 38
  static let capBPF: UInt64 = 39

  public init(effective: UInt64) { self.effective = effective }

  /// Reads this process's effective capability set.
  public static func current() -> Privileges {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
      return Privileges(effective: geteuid() == 0 ? ~0 : 0)
    }
    for line in text.split(separator: "\n") where line.hasPrefix("CapEff:") {
      let hex = line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces)
      return Privileges(effective: UInt64(hex, radix: 16) ?? 0)
    }
    return Privileges(effective: 0)
  }

  private func has(_ cap: UInt64) -> Bool { effective & (1 << cap) != 0 }

  /// What is missing for loading tracing programs: nothing with CAP_SYS_ADMIN, else CAP_BPF and
  /// CAP_PERFMON (kernel 5.8+).
  public var missing: [String] {
    if has(Self.capSysAdmin) { return [] }
    var missing: [String] = []
    if !has(Self.capBPF) { missing.append("CAP_BPF") }
    if !has(Self.capPerfmon) { missing.append("CAP_PERFMON") }
    return missing
  }

  /// Throws the one-line error `record` and `probes` print without privileges.
  public func require() throws(LiveCaptureError) {
    let missing = self.missing
    if !missing.isEmpty { throw .missingPrivileges(missing: missing) }
  }
}
