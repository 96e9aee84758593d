#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads input files into one `Profile`: opens each (`-` is stdin), detects or takes the format,
/// runs the parser, and merges.
public struct ProfileLoader: Sendable {
  public var format: InputFormat?
  public var lenient: Bool
  public var weight: SampleWeight
  /// perf `pid`/`tid`/`cpu` labels (see `ParseOptions.threadLabels`).
  public var threadLabels: Bool = false
  /// Parse one large file on all cores (`ParallelLoader`); off gives the single-threaded path.
  public var parallel: Bool = true
  /// Draw a progress bar on stderr for large inputs when stderr is a terminal.
  public var showProgress: Bool = true
  /// How the blocks of an interval capture relate (`IntervalResolution`).
  public var intervals: IntervalMode = .auto

  public init(format: InputFormat? = nil, lenient: Bool = false, weight: SampleWeight = .samples) {
    self.format = format
    self.lenient = lenient
    self.weight = weight
  }

  /// A parser for `format`, from `TraceParsers.all`.
  public static func parser(for format: InputFormat) -> any TraceParser {
    TraceParsers.type(for: format).init()
  }

  /// Parses one input into a fresh profile.
  public func load(path: String) throws(LoadError) -> Profile {
    var builder = ProfileBuilder()
    try load(path: path, into: &builder)
    return builder.build()
  }

  /// Parses every input and merges them into one profile.
  public func load(paths: [String]) throws(LoadError) -> Profile {
    var builder = ProfileBuilder()
    for path in paths { try load(path: path, into: &builder) }
    return builder.build()
  }

  public func load(path: String, into builder: inout ProfileBuilder) throws(LoadError) {
    var reader: LineReader
    do { reader = try LineReader.open(path: path) } catch { throw .input(error) }
    let chosen: InputFormat
    if let format {
      chosen = format
    } else {
      let prefix: [UInt8]
      do { prefix = try reader.peek(FormatDetector.prefixLength) } catch { throw .input(error) }
      let inputEnded = prefix.count < FormatDetector.prefixLength
      guard let detected = FormatDetector.detect(prefix, inputEnded: inputEnded, lenient: lenient) else {
        // Say for each format why it did not fit, so the user sees which one was meant and
        // what is wrong with the input, not only that nothing matched.
        let failure = DetectionFailure(prefix: prefix, inputEnded: inputEnded)
        var error = ParseError(
          SourcePosition(file: reader.name, line: 1),
          expected:
            "bpftrace, bpftrace JSON, perf script or folded input (use --input-format); no format fits: \(failure)"
        )
        if prefix.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
          // Set directly: words describing the input, not a quoted excerpt of it.
          error.expected = "bpftrace, bpftrace JSON, perf script or folded input (use --input-format)"
          error.found = prefix.isEmpty ? "no data (empty input)" : "only blank lines"
        }
        throw .parse(error)
      }
      chosen = detected
    }
    let options = ParseOptions(
      sourceName: reader.name, lenient: lenient, weight: weight, threadLabels: threadLabels,
      intervals: intervals)
    let size = path == "-" ? nil : Self.regularFileSize(path)
    let progress = showProgress ? ProgressReporter.make(total: size, label: path) : nil
    defer { progress?.finish() }
    // An interval capture is read on one core: its blocks are numbered in input order.
    if parallel, let size, size >= ParallelLoader.minimumSize, ParallelLoader.canSplit(chosen),
      let parsed = try ParallelLoader.loadBuilder(
        path: path, size: size, format: chosen, options: options, progress: progress)
    {
      // The first input, with no blocks to resolve: its builder is the result. Merging it into
      // the empty one would hash every sample again (a quarter of a 300 000-sample fold).
      if builder.isEmpty && parsed.profile.intervals.isEmpty && !parsed.profile.mapsPrintedAgain {
        builder = parsed
        return
      }
      do { try builder.merge(resolved(parsed.build(), source: options.sourceName)) } catch {
        throw .aggregation(error, file: options.sourceName)
      }
      return
    }
    if let progress { reader.onRead = { progress.add($0) } }
    // The first input parses straight into the result; merging it would add every sample twice.
    if builder.isEmpty {
      do {
        try Self.parser(for: chosen).parse(&reader, into: &builder, options: options)
      } catch { throw .parse(error) }
      if !builder.profile.intervals.isEmpty || builder.profile.mapsPrintedAgain {
        builder = ProfileBuilder(continuing: resolved(builder.build(), source: options.sourceName))
      }
      return
    }
    var part = ProfileBuilder()
    do {
      try Self.parser(for: chosen).parse(&reader, into: &part, options: options)
    } catch { throw .parse(error) }
    do { try builder.merge(resolved(part.build(), source: options.sourceName)) } catch {
      throw .aggregation(error, file: options.sourceName)
    }
  }

  private func resolved(_ profile: Profile, source: String) -> Profile {
    var out = IntervalResolution.resolve(profile, mode: intervals, source: source)
    if out.mapsPrintedAgain && out.intervals.isEmpty {
      out.notes.append(
        "\(source): maps were printed again without time() headers and are summed; if the prints were running totals (print(@) without clear(@)), pass --intervals cumulative"
      )
    }
    out.mapsPrintedAgain = false
    return out
  }

  /// The size of `path` if it is a regular file (not a pipe or device, which cannot be split).
  static func regularFileSize(_ path: String) -> Int64? {
    var st = stat()
    guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
    return Int64(st.st_size)
  }
}

/// Why inputs could not be loaded.
public enum LoadError: Error, CustomStringConvertible {
  case input(InputError)
  case parse(ParseError)
  /// The weights of `file` took the total of the inputs read so far past UInt64.
  case aggregation(AggregationError, file: String)

  public var description: String {
    switch self {
    case .input(let e): return e.description
    case .parse(let e): return e.description
    case .aggregation(let e, let file): return "\(file): \(e.description)"
    }
  }
}
