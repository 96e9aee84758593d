/// Guesses the input format from the first bytes of an input (`ProfileLoader` passes 64 KiB).
///
/// Rules, first match wins:
/// 1. Empty or blank input, or binary (a NUL byte, or more than 1% control bytes other than
///    TAB/CR/LF): nil.
/// 2. Each parser of `TraceParsers.all` in turn, by its `TraceParser.recognizes`:
///    - bpftrace JSON: the first non-blank line is an object starting `{"type":`.
///    - bpftrace text: a line `Attaching N probe(s)...`, or a line starting with a map entry
///      `@name[` or `@name:` (optionally after an echoed `^C`).
///    - perf script: a non-indented header line directly followed by an indented frame line
///      `<hex address> <symbol...>` (TAB or spaces); or, without callchains, every non-comment
///      line is a sample header.
///    - folded: every complete non-blank line is `<frames> <integer count>`; a first line longer
///      than the prefix, which cuts off its count, only needs to start with a frame.
///
/// With `lenient` (`--lenient`), an input no format fits strictly is taken as folded when most of
/// its sample lines are folded lines: the others are the bad records `--lenient` skips.
///
/// Returns nil when nothing matches; the caller names the file, says why each format did not
/// fit (`DetectionFailure`) and asks for `--input-format`.
public enum FormatDetector {
  /// The bytes `ProfileLoader` reads for detection.
  public static let prefixLength = 64 << 10

  /// `inputEnded`: whether `prefix` is the whole input; when it is not, a line it cuts is
  /// judged by its start (see `DetectionInput.onlyLineIsCut`).
  public static func detect(_ prefix: [UInt8], inputEnded: Bool = true, lenient: Bool = false) -> InputFormat?
  {
    if prefix.isEmpty { return nil }
    var control = 0
    for b in prefix {
      if b == 0 { return nil }
      if (b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D) || b == 0x7F { control += 1 }
    }
    if control * 100 > prefix.count { return nil }
    guard let input = DetectionInput(prefix: prefix, inputEnded: inputEnded) else { return nil }
    if let format = TraceParsers.all.first(where: { $0.recognizes(input) })?.format { return format }
    // The strict rules ask every line to fit; a bad line is what --lenient is for.
    if lenient && FoldedParser.mostlyRecognizes(input) { return .folded }
    return nil
  }
}
