/// Guesses the input format from the first bytes of an input.
public enum FormatDetector {
  /// - Returns: the format, or nil when nothing matches (the caller names the file and asks for
  ///   `--input-format`).
  public static func detect(_ prefix: [UInt8]) -> InputFormat? {
    // TODO(parse-bpftrace, perf): real sniffing rules.
    let text = String(decoding: prefix, as: UTF8.self)
    if text.hasPrefix("{") { return .bpftraceJSON }
    if text.contains("@[") || text.contains("Attaching") { return .bpftrace }
    if text.contains("\n\t") { return .perfScript }
    return .folded
  }
}
