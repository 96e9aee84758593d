/// A kernel release as `major.minor`, read from `uname -r` (`6.4.0-rc1`, `6.18.44-fc-v669`): what
/// table entries that changed at a release compare against.
public struct KernelVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
  public var major: Int
  public var minor: Int

  public init(_ major: Int, _ minor: Int) {
    self.major = major
    self.minor = minor
  }

  /// The version at the start of a release string, or nil when it does not start with `N.N`.
  public init?(release: some StringProtocol) {
    let parts = release.split(
      maxSplits: 2, omittingEmptySubsequences: false, whereSeparator: { !$0.isNumber })
    guard parts.count >= 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
    self.init(major, minor)
  }

  public static func < (a: KernelVersion, b: KernelVersion) -> Bool {
    (a.major, a.minor) < (b.major, b.minor)
  }

  public var description: String { "\(major).\(minor)" }
}
