#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where an output goes: `-` is standard output, anything else a path.
public enum OutputDestination: Sendable, Hashable, CustomStringConvertible {
  case stdout
  case file(String)

  /// `-` → stdout, else the path.
  public init(_ path: String) { self = path == "-" ? .stdout : .file(path) }

  public var description: String {
    switch self {
    case .stdout: return "<stdout>"
    case .file(let path): return path
    }
  }
}

/// One output of a command, computed and not yet written: where it goes and its bytes.
public struct RenderedOutput: Sendable, Equatable {
  public var destination: OutputDestination
  public var bytes: [UInt8]

  public init(_ destination: OutputDestination, _ bytes: [UInt8]) {
    self.destination = destination
    self.bytes = bytes
  }
}

/// An output that could not be written, with the path and the system's reason.
public struct OutputError: Error, Sendable, Equatable, CustomStringConvertible {
  public var destination: OutputDestination
  public var reason: String

  public init(_ destination: OutputDestination, _ reason: String) {
    self.destination = destination
    self.reason = reason
  }

  public var description: String { "cannot write \(destination): \(reason)" }
}

/// The one way tdptrace writes its outputs.
///
/// - `-`: standard output, every byte, retrying short writes and EINTR. A reader that went away
///   (`tdptrace fold big | head -1`) ends the process at once with status 0 and no message, as
///   `perf script` and `cat` users expect; nothing else is left to say to a closed pipe.
/// - A device, FIFO or socket (`/dev/null`, `/dev/stdout`, a named pipe) is written through in
///   place, never replaced.
/// - A symlink is followed, and its target is treated by these rules.
/// - A regular file, or a path that does not exist yet, is written to a temporary file in the
///   same directory and renamed over the path, keeping an existing file's mode: a failed or
///   interrupted run never leaves half a file, and readers see the old or the new one.
public enum OutputWriter {
  /// Writes all of `bytes` to `destination`.
  public static func write(_ bytes: [UInt8], to destination: OutputDestination) throws(OutputError) {
    switch destination {
    case .stdout:
      if let reason = writeAll(1, bytes) { throw OutputError(.stdout, reason) }
    case .file(let path):
      try writeFile(bytes, path: path)
    }
  }

  /// `write(_:to:)` for a path (`-` is stdout).
  public static func write(_ bytes: [UInt8], to path: String) throws(OutputError) {
    try write(bytes, to: OutputDestination(path))
  }

  /// Fails now, not after a long capture, when `destination` could not be written: a device
  /// must open for writing, a file's directory must take a new file. Changes nothing.
  public static func checkWritable(_ destination: OutputDestination) throws(OutputError) {
    guard case .file(let path) = destination else { return }
    let fail = { (reason: String) in OutputError(.file(path), reason) }
    var st = stat()
    if stat(path, &st) == 0 {
      if (st.st_mode & S_IFMT) == S_IFDIR { throw fail("is a directory") }
      if (st.st_mode & S_IFMT) != S_IFREG {
        let fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK)
        // A FIFO with no reader yet refuses a non-blocking open (ENXIO); it is writable later.
        guard fd >= 0 || errno == ENXIO else { throw fail(errnoText()) }
        if fd >= 0 { close(fd) }
        return
      }
    }
    let target = stat(path, &st) == 0 ? (realPath(path) ?? path) : resolveLinks(path)
    let temporary = temporaryPath(for: target)
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw fail(errnoText()) }
    close(fd)
    unlink(temporary)
  }

  /// `.NAME.tdptrace-PID.tmp` beside `target`, so the rename stays on one file system.
  static func temporaryPath(for target: String) -> String {
    let slash = target.lastIndex(of: "/")
    let directory = slash.map { String(target[...$0]) } ?? ""
    let name = slash.map { String(target[target.index(after: $0)...]) } ?? target
    return directory + "." + name + ".tdptrace-\(getpid()).tmp"
  }

  /// Makes writes to a closed pipe fail with EPIPE instead of killing the process, so that
  /// `writeAll` can end it quietly. Called once at start-up.
  public static func ignoreSIGPIPE() { signal(SIGPIPE, SIG_IGN) }

  private static func writeFile(_ bytes: [UInt8], path: String) throws(OutputError) {
    let fail = { (reason: String) in OutputError(.file(path), reason) }
    var st = stat()
    let exists = stat(path, &st) == 0
    if exists && (st.st_mode & S_IFMT) == S_IFDIR { throw fail("is a directory") }
    if exists && (st.st_mode & S_IFMT) != S_IFREG {
      // A device or FIFO (also behind /dev/stdout's /proc links): write through it; replacing
      // it would break /dev/null for everyone.
      let fd = open(path, O_WRONLY | O_CLOEXEC)
      guard fd >= 0 else { throw fail(errnoText()) }
      let reason = writeAll(fd, bytes, quietOnEPIPE: false)
      let closed = close(fd) == 0 ? nil : errnoText()
      if let reason = reason ?? closed { throw fail(reason) }
      return
    }
    // The file the path names, so the rename replaces the target of a link, not the link.
    let target = exists ? (realPath(path) ?? path) : resolveLinks(path)
    let temporary = temporaryPath(for: target)
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard fd >= 0 else { throw fail(errnoText()) }
    if exists { _ = fchmod(fd, st.st_mode & 0o7777) }
    var reason = writeAll(fd, bytes, quietOnEPIPE: false)
    if close(fd) != 0 && reason == nil { reason = errnoText() }
    if reason == nil && rename(temporary, target) != 0 { reason = errnoText() }
    if let reason {
      unlink(temporary)
      throw fail(reason)
    }
  }

  static func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }

  /// Writes `text` to standard error; a closed stderr is ignored.
  public static func writeStandardError(_ text: String) {
    _ = writeAll(2, Array(text.utf8), quietOnEPIPE: false)
  }

  /// The path a chain of dangling symlinks ends at (at most 40 links, as the kernel allows); the path
  /// itself when it is not a link. A dangling link resolves to the file it names, which is
  /// then created.
  static func resolveLinks(_ path: String) -> String {
    var current = path
    for _ in 0..<40 {
      var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
      let n = readlink(current, &buffer, buffer.count - 1)
      guard n > 0 else { return current }
      let link = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      if link.hasPrefix("/") {
        current = link
      } else if let slash = current.lastIndex(of: "/") {
        current = String(current[...slash]) + link
      } else {
        current = link
      }
    }
    return current
  }

  /// Writes every byte to `fd`; nil on success, else the reason. On stdout a closed pipe ends
  /// the process (see the type's rules).
  static func writeAll(_ fd: Int32, _ bytes: [UInt8], quietOnEPIPE: Bool = true) -> String? {
    bytes.withUnsafeBytes { raw -> String? in
      var offset = 0
      while offset < raw.count {
        let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          if errno == EPIPE && quietOnEPIPE { exit(0) }
          return errnoText()
        }
        offset += n
      }
      return nil
    }
  }

  static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// Buffered standard output for commands that print as they go (`symbolize` over a stream of
/// addresses): bytes are passed to `OutputWriter` in 64 KiB pieces. The first write error is
/// kept, later bytes are dropped, and `finish()` reports it, so a caller's loop need not stop
/// on every append.
public struct StandardOutput {
  private var bytes: [UInt8] = []
  private var failure: OutputError?

  public init() {}

  public mutating func append(bytes more: [UInt8]) { append(bytes: more[...]) }

  /// Appends part of a buffer the caller keeps (`symbolize`'s rendered SPECs) without copying
  /// it into an array first.
  public mutating func append(bytes more: ArraySlice<UInt8>) {
    guard failure == nil else { return }
    bytes.append(contentsOf: more)
    if bytes.count >= 1 << 16 { flush() }
  }

  public mutating func append<S: StringProtocol>(_ text: S) { append(bytes: Array(text.utf8)) }

  private mutating func flush() {
    guard !bytes.isEmpty, failure == nil else { return }
    do { try OutputWriter.write(bytes, to: .stdout) } catch { failure = error }
    bytes.removeAll(keepingCapacity: true)
  }

  /// Writes what is buffered; throws the first error any write met.
  public mutating func finish() throws(OutputError) {
    flush()
    if let failure { throw failure }
  }
}
