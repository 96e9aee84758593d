import CLibbpf
import Foundation

/// Collects libbpf's messages instead of letting it print them, so a refusal is reported once, with
/// its reason, and not with libbpf's misleading hints (such as `ulimit -l` for an EPERM).
public enum LibbpfLog {
  nonisolated(unsafe) private static var lines: [String] = []
  private static let lock = NSLock()
  nonisolated(unsafe) static var echo = false

  /// Also print libbpf's warnings and the verifier logs on stderr (`--verbose`).
  public static func setVerbose(_ on: Bool) {
    lock.lock()
    echo = on
    lock.unlock()
  }

  /// Routes libbpf's output here. Idempotent.
  static func install() {
    _ = libbpf_set_print { level, format, args in
      guard let format, let args else { return 0 }
      var buffer = [CChar](repeating: 0, count: 8192)
      let n = tdp_vformat(&buffer, buffer.count, format, args)
      guard n >= 0 else { return 0 }
      let length = buffer.firstIndex(of: 0) ?? buffer.count
      let text = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      LibbpfLog.lock.lock()
      LibbpfLog.lines.append(text)
      let echo = LibbpfLog.echo
      LibbpfLog.lock.unlock()
      if echo && level != LIBBPF_DEBUG { FileHandle.standardError.write(Data(text.utf8)) }
      return 0
    }
  }

  /// Returns and forgets what libbpf said since the last call.
  static func take() -> [String] {
    lock.lock()
    defer { lock.unlock() }
    let taken = lines
    lines.removeAll()
    return taken
  }

  /// The most telling line: a verifier complaint inside the load log if there is one, else the
  /// last libbpf message that is not one of its generic hints.
  static func summary(_ messages: [String]) -> String? {
    let all = messages.joined().split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    let keywords = [
      "unsupported", "not supported", "invalid", "too many", "only", "not allowed", "R1 ", "unknown func",
    ]
    // 6.1's verifier logs this for a tracing program's own ctx argument and goes on (the
    // main program's argument check is advisory there); it is never why a load failed.
    let advisory = "reg type unsupported for arg#0 function"
    let telling = all.filter { !$0.contains(advisory) }
    if let line = telling.first(where: { line in
      keywords.contains { line.contains($0) } && !line.hasPrefix("libbpf:")
    }) {
      return line
    }
    let generic = ["ulimit", "failed to load object", "-- BEGIN", "-- END", "processed "]
    return telling.last { line in !line.isEmpty && !generic.contains { line.contains($0) } }
  }
}
