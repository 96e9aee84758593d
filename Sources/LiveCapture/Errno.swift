import Foundation

/// errno names for messages: `EPERM (Operation not permitted)`.
enum Errno {
  static let names: [Int32: String] = [
    1: "EPERM", 2: "ENOENT", 3: "ESRCH", 7: "E2BIG", 9: "EBADF", 12: "ENOMEM", 13: "EACCES", 14: "EFAULT",
    16: "EBUSY", 17: "EEXIST", 19: "ENODEV", 22: "EINVAL", 28: "ENOSPC", 38: "ENOSYS", 95: "EOPNOTSUPP",
    524: "ENOTSUPP",
  ]

  static func describe(_ code: Int32) -> String {
    let code = abs(code)
    let name = names[code] ?? "errno \(code)"
    if code == 524 { return "\(name) (operation not supported by the kernel)" }
    return "\(name) (\(String(cString: strerror(code))))"
  }
}
