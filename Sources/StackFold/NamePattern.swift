#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A function, map, probe or label pattern given on the command line: a shell glob (`*`, `?`,
/// `[...]`, matched with fnmatch(3)), or an exact name. An exact match always counts, so names
/// with brackets such as `[unknown]` or `[no stack]` match themselves.
public struct NamePattern: Sendable, Hashable, CustomStringConvertible {
  public let pattern: String
  private let isGlob: Bool

  public init(_ pattern: String) {
    self.pattern = pattern
    self.isGlob = pattern.contains { $0 == "*" || $0 == "?" || $0 == "[" }
  }

  public func matches(_ name: String) -> Bool {
    if name == pattern { return true }
    guard isGlob else { return false }
    return fnmatch(pattern, name, 0) == 0
  }

  public var description: String { pattern }
}
