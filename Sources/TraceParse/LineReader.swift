#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Streams lines from a file descriptor in large chunks. A line is handed out as a byte buffer
/// that stays valid until the next call, so parsers work on bytes and allocate only for what
/// they keep (interned frames). Lines of any length are read (the buffer grows), up to
/// `maxLineLength`, past which the reader reports an error rather than exhausting memory.
public struct LineReader: ~Copyable {
  private let fd: Int32
  private let ownsDescriptor: Bool
  public let name: String
  public let maxLineLength: Int
  /// The longest line read by default: 16 MiB, or `TDPTRACE_MAX_LINE` bytes when that is set
  /// (`16M`, `1G` and `K` suffixes work). No real capture has a line near it (a folded line of
  /// 127 kernel frames is a few KB); without a cap, `/dev/zero` or a file without newlines is
  /// buffered whole before anything fails.
  public static let defaultMaxLineLength: Int = {
    guard let text = getenv(maxLineVariable).map({ String(cString: $0) }), let n = parseSize(text) else {
      return 16 << 20
    }
    return n
  }()

  /// The environment variable that raises (or lowers) `defaultMaxLineLength`.
  public static let maxLineVariable = "TDPTRACE_MAX_LINE"

  /// `4096`, `64K`, `16M`, `1G` as a byte count; nil for anything else or for zero.
  static func parseSize(_ text: String) -> Int? {
    var digits = Substring(text)
    var shift = 0
    switch digits.last {
    case "K", "k": shift = 10
    case "M", "m": shift = 20
    case "G", "g": shift = 30
    default: break
    }
    if shift > 0 { digits = digits.dropLast() }
    guard let n = Int(digits), n > 0, n <= Int.max >> shift else { return nil }
    return n << shift
  }
  private var buffer: UnsafeMutablePointer<UInt8>
  private var capacity: Int
  /// Valid bytes are `buffer[start..<end]`.
  private var start = 0
  private var end = 0
  private var eof = false
  /// For a reader of one byte range of a file (parallel loading): where the next `pread` reads,
  /// and how many bytes of the range are left. nil for a plain streaming reader.
  private var fileOffset: Int64?
  private var rangeRemaining = 0
  /// Called after every read with the number of bytes just read (progress reporting).
  public var onRead: ((Int) -> Void)?
  /// 1-based number of the line last returned.
  public private(set) var lineNumber = 0
  /// Bytes handed out so far, newlines included (for progress).
  public private(set) var bytesConsumed = 0
  /// Whether the last line returned ended at end of input without a newline: a hint that a
  /// file was truncated mid-record.
  public private(set) var lastLineUnterminated = false

  /// Reads from `fd`. The reader closes it if `ownsDescriptor`.
  public init(
    fileDescriptor fd: Int32, name: String, ownsDescriptor: Bool = false, chunkSize: Int = 1 << 20,
    maxLineLength: Int = LineReader.defaultMaxLineLength
  ) {
    self.fd = fd
    self.ownsDescriptor = ownsDescriptor
    self.name = name
    self.maxLineLength = maxLineLength
    self.capacity = chunkSize
    self.buffer = .allocate(capacity: chunkSize)
  }

  /// Reads bytes `range` of the file open as `fd` with `pread`, so several readers can share
  /// one descriptor (the caller keeps it open). `firstLine` is the number of lines before the
  /// range, so positions stay relative to the whole file when the caller knows it; otherwise
  /// the caller shifts them afterwards.
  public init(
    fileDescriptor fd: Int32, name: String, range: Range<Int64>, firstLine: Int = 0,
    chunkSize: Int = 1 << 20, maxLineLength: Int = LineReader.defaultMaxLineLength
  ) {
    self.init(
      fileDescriptor: fd, name: name, ownsDescriptor: false, chunkSize: chunkSize,
      maxLineLength: maxLineLength)
    self.fileOffset = range.lowerBound
    self.rangeRemaining = Int(range.upperBound - range.lowerBound)
    self.lineNumber = firstLine
  }

  /// Reads from memory (tests, and already-buffered input).
  public init(bytes: [UInt8], name: String, maxLineLength: Int = LineReader.defaultMaxLineLength) {
    self.fd = -1
    self.ownsDescriptor = false
    self.name = name
    self.maxLineLength = maxLineLength
    self.capacity = max(bytes.count, 1)
    self.buffer = .allocate(capacity: capacity)
    bytes.withUnsafeBufferPointer { src in
      if let base = src.baseAddress { buffer.update(from: base, count: bytes.count) }
    }
    self.end = bytes.count
    self.eof = true
  }

  /// Convenience for tests: reads a string.
  public init(string: String, name: String = "<string>") {
    self.init(bytes: Array(string.utf8), name: name)
  }

  /// Opens `path` for reading; `-` is standard input.
  public static func open(path: String, maxLineLength: Int = LineReader.defaultMaxLineLength)
    throws(InputError) -> LineReader
  {
    if path == "-" {
      return LineReader(fileDescriptor: 0, name: "<stdin>", maxLineLength: maxLineLength)
    }
    let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw InputError(path: path, errno: errno) }
    return LineReader(fileDescriptor: fd, name: path, ownsDescriptor: true, maxLineLength: maxLineLength)
  }

  deinit {
    buffer.deallocate()
    if ownsDescriptor { _ = close(fd) }
  }

  /// The position of the line last returned, for errors.
  public func position(column: Int? = nil) -> SourcePosition {
    SourcePosition(file: name, line: lineNumber, column: column)
  }

  /// Up to `count` bytes from the current position without consuming them (format detection).
  public mutating func peek(_ count: Int) throws(InputError) -> [UInt8] {
    while end - start < count && !eof { try fill() }
    let n = min(count, end - start)
    return Array(UnsafeBufferPointer(start: buffer + start, count: n))
  }

  /// The next line without its `\n` (and without a `\r` before it), valid until the next call;
  /// nil at end of input.
  public mutating func nextLine() throws(InputError) -> UnsafeBufferPointer<UInt8>? {
    var scanFrom = start
    while true {
      let available = end - scanFrom
      if available > 0,
        let nl = memchr(buffer + scanFrom, 0x0A, available)
      {
        let newline = nl.assumingMemoryBound(to: UInt8.self) - buffer
        // Also for a line that arrived whole in one read: the cap is the same for every line.
        if newline - start > maxLineLength { throw tooLong() }
        return takeLine(upTo: newline, consumed: newline + 1, terminated: true)
      }
      scanFrom = end
      if eof {
        if start == end { return nil }
        if end - start > maxLineLength { throw tooLong() }
        return takeLine(upTo: end, consumed: end, terminated: false)
      }
      // Checked before reading more, so a line without end stops at the cap.
      if end - start > maxLineLength { throw tooLong() }
      let scanned = scanFrom - start
      try fill()
      scanFrom = start + scanned
    }
  }

  private func tooLong() -> InputError {
    var error = InputError(
      path: name,
      message:
        "line \(lineNumber + 1) is longer than \(maxLineLength) bytes (set \(Self.maxLineVariable)=BYTES, e.g. 64M, to read longer lines)"
    )
    error.lineTooLong = true
    return error
  }

  /// `nextLine()` for parsers: a read failure or an over-long line becomes a `ParseError` at the
  /// line it happened on, so a parser reports one error type with a position. `source` is an
  /// autoclosure so the per-line call does not retain the name: with one file parsed on several
  /// threads, that shared reference count cost more than the parsing.
  public mutating func nextLine(source: @autoclosure () -> String) throws(ParseError) -> UnsafeBufferPointer<
    UInt8
  >? {
    do { return try nextLine() } catch {
      if error.lineTooLong {
        var tooLong = ParseError(
          SourcePosition(file: source(), line: lineNumber + 1, column: 1),
          expected:
            "a line of at most \(maxLineLength) bytes (set \(Self.maxLineVariable)=BYTES, e.g. 64M, to read longer lines)"
        )
        // Words describing the line, not a quoted excerpt of it.
        tooLong.found = "a longer line"
        throw tooLong
      }
      throw ParseError(
        SourcePosition(file: source(), line: lineNumber + 1, column: 1),
        expected: "a readable line of at most \(maxLineLength) bytes", found: error.message)
    }
  }

  private mutating func takeLine(upTo lineEnd: Int, consumed: Int, terminated: Bool) -> UnsafeBufferPointer<
    UInt8
  > {
    var stop = lineEnd
    if stop > start && buffer[stop - 1] == 0x0D { stop -= 1 }
    let line = UnsafeBufferPointer(start: buffer + start, count: stop - start)
    bytesConsumed += consumed - start
    start = consumed
    lineNumber += 1
    lastLineUnterminated = !terminated
    return line
  }

  /// Moves unconsumed bytes to the front, grows if full, and reads more.
  private mutating func fill() throws(InputError) {
    if eof { return }
    if start > 0 {
      let live = end - start
      if live > 0 { (buffer).update(from: buffer + start, count: live) }
      start = 0
      end = live
    }
    if end == capacity {
      let newCapacity = capacity * 2
      let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
      grown.update(from: buffer, count: end)
      buffer.deallocate()
      buffer = grown
      capacity = newCapacity
    }
    while true {
      let n: Int
      if let offset = fileOffset {
        if rangeRemaining == 0 {
          eof = true
          return
        }
        n = pread(fd, buffer + end, min(capacity - end, rangeRemaining), off_t(offset))
        if n > 0 {
          fileOffset = offset + Int64(n)
          rangeRemaining -= n
        }
      } else {
        n = read(fd, buffer + end, capacity - end)
      }
      if n > 0 {
        end += n
        onRead?(n)
        return
      }
      if n == 0 {
        eof = true
        return
      }
      if errno == EINTR { continue }
      throw InputError(path: name, errno: errno)
    }
  }
}

/// An input that could not be opened or read (as opposed to one with bad content).
public struct InputError: Error, Hashable, Sendable, CustomStringConvertible {
  public var path: String
  public var message: String
  /// The line was longer than the reader's `maxLineLength` (as opposed to a read failure).
  public var lineTooLong = false

  public init(path: String, message: String) {
    self.path = path
    self.message = message
  }

  public init(path: String, errno code: Int32) {
    self.path = path
    self.message = String(cString: strerror(code))
  }

  public var description: String { "\(path): \(message)" }
}

extension UnsafeBufferPointer where Element == UInt8 {
  /// The bytes as a String, invalid UTF-8 repaired (for names and error excerpts).
  public var string: String { String(decoding: self, as: UTF8.self) }
}
