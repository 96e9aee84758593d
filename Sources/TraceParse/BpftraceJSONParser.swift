/// Placeholder: being written.
public struct BpftraceJSONParser: TraceParser {
  public static let format = InputFormat.bpftraceJSON
  public init() {}
  public func parse(_ input: inout LineReader, into builder: inout ProfileBuilder, options: ParseOptions)
    throws(ParseError)
  {
    throw ParseError(
      SourcePosition(file: options.sourceName, line: 0),
      expected: "a supported format (\(Self.format.rawValue) parser not written yet)")
  }
}
