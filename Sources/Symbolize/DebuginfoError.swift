/// Why a debuginfo file could not be used. Each becomes one warning; the frames it would have
/// resolved stay as they were.
public struct DebuginfoError: Error, Hashable, Sendable, CustomStringConvertible {
  public enum Reason: Hashable, Sendable {
    case missing
    case notELF
    case noDWARF
    case unreadable(String)
  }
  public var path: String
  public var reason: Reason

  public init(path: String, reason: Reason) {
    self.path = path
    self.reason = reason
  }

  public var description: String {
    switch reason {
    case .missing: return "\(path): no such file"
    case .notELF: return "\(path): not an ELF file"
    case .noDWARF: return "\(path): no DWARF debug information (stripped?); its frames stay unexpanded"
    case .unreadable(let why): return "\(path): cannot read: \(why)"
    }
  }
}
