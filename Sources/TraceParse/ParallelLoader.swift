import Dispatch

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Parses one large regular file on every core: splits it into byte ranges at record
/// boundaries, parses each range with its own reader and builder, and merges the parts in file
/// order, so the result (samples in order of first appearance, errors with whole-file line
/// numbers) is the same as a single-threaded parse.
package enum ParallelLoader {
  /// Files smaller than this are parsed on one core: the split costs more than it saves.
  package static let minimumSize: Int64 = 16 << 20
  /// Each part gets at least this much.
  static let minimumPart: Int64 = 8 << 20

  /// Whether `format` can be split at byte boundaries found without parsing.
  package static func canSplit(_ format: InputFormat) -> Bool {
    TraceParsers.type(for: format).canSplit
  }

  /// The number of cores to use for a file of `size` bytes.
  package static func partCount(size: Int64) -> Int {
    let cores = max(1, min(16, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    return max(1, min(cores, Int(size / minimumPart)))
  }

  /// Parses `path` (a regular file of `size` bytes, already known to be `format`) in parts.
  /// Returns nil if no split point was found (the caller then reads it in one piece).
  package static func load(
    path: String, size: Int64, format: InputFormat, options: ParseOptions, parts requested: Int? = nil,
    progress: ProgressReporter? = nil
  ) throws(LoadError) -> Profile? {
    try loadBuilder(
      path: path, size: size, format: format, options: options, parts: requested, progress: progress
    )?.build()
  }

  /// `load`, returning the builder the parts were merged into, for a caller that goes on adding
  /// to it (the first input of a load: nothing is merged twice).
  package static func loadBuilder(
    path: String, size: Int64, format: InputFormat, options: ParseOptions, parts requested: Int? = nil,
    progress: ProgressReporter? = nil
  ) throws(LoadError) -> ProfileBuilder? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw .input(InputError(path: path, errno: errno)) }
    defer { close(fd) }
    let parserType = TraceParsers.type(for: format)
    guard parserType.canSplit else { return nil }
    let parts = requested ?? partCount(size: size)
    var bounds: [Int64] = [0]
    for i in 1..<max(parts, 1) {
      let guess = size * Int64(i) / Int64(parts)
      guard
        let cut = try boundary(
          fd: fd, path: path, from: max(guess, bounds.last!), size: size, parser: parserType)
      else { continue }
      if cut > bounds.last! && cut < size { bounds.append(cut) }
    }
    bounds.append(size)
    if bounds.count <= 2 { return nil }

    let results = ResultSlots(count: bounds.count - 1)
    let parser = parserType.init()
    let ranges = (0..<(bounds.count - 1)).map { bounds[$0]..<bounds[$0 + 1] }
    DispatchQueue.concurrentPerform(iterations: ranges.count) { i in
      var reader = LineReader(fileDescriptor: fd, name: options.sourceName, range: ranges[i])
      if let progress { reader.onRead = { progress.add($0) } }
      var builder = ProfileBuilder()
      do throws(ParseError) {
        try parser.parse(&reader, into: &builder, options: options)
        results.set(i, .success(Part(builder: builder, lines: reader.lineNumber)))
      } catch {
        results.set(i, .failure(error))
      }
    }

    // Merge in file order; shift each part's line numbers by the lines before it.
    var merged: ProfileBuilder?
    var previousTracker: IntervalTracker?
    var linesBefore = 0
    for i in 0..<(bounds.count - 1) {
      switch results.take(i) {
      case .failure(var error):
        error.position.line += linesBefore
        throw .parse(error)
      case .success(var part):
        part.builder.shiftSkippedLines(by: linesBefore)
        // Interval blocks are numbered in input order: the caller reads such a file on one core.
        if part.builder.intervals.needsSerialRead(after: previousTracker) { return nil }
        previousTracker = part.builder.intervals
        if merged == nil {
          merged = part.builder  // the first part: its builder goes on, nothing is copied
        } else {
          // Totals past UInt64 are refused here without a line: parts know only their own sums.
          do { try merged!.absorb(part.builder) } catch {
            throw .aggregation(error, file: options.sourceName)
          }
        }
        linesBefore += part.lines
      case nil:
        fatalError("a parallel part did not finish")
      }
    }
    return merged
  }

  /// The first record start at or after `from`, as `parser` finds it in windows of the file.
  /// Looks at most 64 MB ahead.
  static func boundary(fd: Int32, path: String, from: Int64, size: Int64, parser: any TraceParser.Type)
    throws(LoadError) -> Int64?
  {
    let chunk = 1 << 20
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk + 1)
    defer { buffer.deallocate() }
    // Each window starts one byte early, so a record start at its first byte is seen after
    // the newline before it.
    var offset = max(from - 1, 0)
    let limit = min(size, from + (64 << 20))
    while offset < limit {
      let n = pread(fd, buffer, chunk + 1, off_t(offset))
      if n < 0 {
        if errno == EINTR { continue }
        throw .input(InputError(path: path, errno: errno))
      }
      if n < 2 { return nil }
      if let start = parser.recordStart(in: UnsafeBufferPointer(start: buffer, count: n), from: 1) {
        return offset + Int64(start)
      }
      offset += Int64(n - 1)
    }
    return nil
  }

  struct Part: Sendable {
    var builder: ProfileBuilder
    var lines: Int
  }

  /// One result per part, each written by exactly one worker before `concurrentPerform`
  /// returns.
  final class ResultSlots: @unchecked Sendable {
    private var slots: [Result<Part, ParseError>?]
    private var lock = pthread_mutex_t()

    init(count: Int) {
      slots = Array(repeating: nil, count: count)
      pthread_mutex_init(&lock, nil)
    }

    deinit { pthread_mutex_destroy(&lock) }

    func set(_ i: Int, _ value: Result<Part, ParseError>) {
      pthread_mutex_lock(&lock)
      slots[i] = value
      pthread_mutex_unlock(&lock)
    }

    /// The result of part `i`, left out of the slots so that the caller holds the only copy
    /// (a builder that goes on growing is then not copied on write).
    func take(_ i: Int) -> Result<Part, ParseError>? {
      pthread_mutex_lock(&lock)
      defer { pthread_mutex_unlock(&lock) }
      let value = slots[i]
      slots[i] = nil
      return value
    }
  }
}
