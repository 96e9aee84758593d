/// The one list of input formats: `FormatDetector` tries them in this order,
/// `ProfileLoader.parser(for:)` and `ParallelLoader` look a format's parser up here.
///
/// The order is detection's precedence, most specific first: bpftrace JSON (its first line
/// alone decides), bpftrace text (one map entry anywhere), perf script (with or without
/// callchains), and folded last (its `<text> <count>` lines would match pieces of the others).
/// Every `InputFormat` has exactly one parser here.
package enum TraceParsers {
  package static let all: [any TraceParser.Type] = [
    BpftraceJSONParser.self,
    BpftraceTextParser.self,
    PerfScriptParser.self,
    FoldedParser.self,
  ]

  /// The parser type for `format`.
  package static func type(for format: InputFormat) -> any TraceParser.Type {
    guard let type = all.first(where: { $0.format == format }) else {
      fatalError("no parser registered in TraceParsers.all for \(format)")
    }
    return type
  }
}
