import Testing

@testable import TraceParse

/// The registry that detection, `ProfileLoader` and `ParallelLoader` share, and each parser's
/// record-start rule.
@Suite struct TraceParsersTests {
  @Test func everyFormatHasOneParserInDetectionOrder() {
    #expect(TraceParsers.all.map { $0.format } == [.bpftraceJSON, .bpftrace, .perfScript, .folded])
    for format in InputFormat.allCases {
      #expect(TraceParsers.all.filter { $0.format == format }.count == 1, "\(format)")
      #expect(type(of: ProfileLoader.parser(for: format)).format == format)
    }
  }

  /// Record starts found in `text` from index 1 on, each after a newline.
  static func starts(_ parser: any TraceParser.Type, _ text: String) -> [Int] {
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBufferPointer { window in
      var found: [Int] = []
      var from = 1
      while let start = parser.recordStart(in: window, from: from) {
        found.append(start)
        from = start + 1
      }
      return found
    }
  }

  @Test func bpftraceTextStartsAtEntries() {
    let text = "x\n@[\n    a+1\n]: 1\n@name: 3\n@\n@"
    #expect(Self.starts(BpftraceTextParser.self, text) == [2, 18])
  }

  @Test func perfScriptStartsAtHeaders() {
    let text = "x\nperf 1 [000] 1.0: 1 cpu-clock:\n\tffff a+1 (k)\n\n# comment\n  srcline\nnext 2 ..."
    #expect(Self.starts(PerfScriptParser.self, text) == [2, 68])
  }

  @Test func linesFormatsStartAtEveryLine() {
    #expect(Self.starts(FoldedParser.self, "a 1\nb 2\n\nc 3") == [4, 8, 9])
    #expect(Self.starts(BpftraceJSONParser.self, "{}\n{}\n") == [3])
  }
}
