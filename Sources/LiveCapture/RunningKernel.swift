import Foundation
import TDPTable

extension KernelVersion {
  /// `uname -r` of the running kernel.
  public static var runningRelease: String {
    var name = utsname()
    uname(&name)
    return withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
  }

  /// The running kernel's version, nil if its release does not start with `N.N`.
  public static var running: KernelVersion? { KernelVersion(release: runningRelease) }
}
