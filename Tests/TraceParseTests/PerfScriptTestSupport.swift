import TestSupport
import Testing
import TraceParse

/// Helpers shared by the perf script and folded parser tests.
enum PerfTestSupport {
  /// The repository's `fixtures/` directory.
  static let fixtures = TDPFixture.url("fixtures").path + "/"

  static func parse(
    _ text: String, parser: any TraceParser = PerfScriptParser(), lenient: Bool = false,
    weight: SampleWeight = .samples, threadLabels: Bool = false
  ) throws(ParseError) -> Profile {
    var reader = LineReader(string: text, name: "t.txt")
    var builder = ProfileBuilder()
    try parser.parse(
      &reader, into: &builder,
      options: ParseOptions(sourceName: "t.txt", lenient: lenient, weight: weight, threadLabels: threadLabels)
    )
    return builder.build()
  }

  /// One line per unique sample, in order: labels, then frames root first with offset, kind
  /// and module, then the weight.
  static func describe(_ profile: Profile) -> [String] {
    profile.samples.map { sample in
      let labels = profile.labels(of: sample).entries.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
      let frames = profile.frames(of: sample).map { f in
        var text = f.name(keepOffset: true) + "[\(f.kind.rawValue)"
        if let m = f.module { text += " \(m)" }
        if let s = f.srcline { text += " @\(s)" }
        return text + "]"
      }
      return "\(labels): \(frames.joined(separator: ";")) \(sample.weight)"
    }
  }

  /// The error a parse throws, or nil.
  static func error(
    _ text: String, parser: any TraceParser = PerfScriptParser(), weight: SampleWeight = .samples
  )
    -> ParseError?
  {
    do {
      _ = try parse(text, parser: parser, weight: weight)
      return nil
    } catch {
      return error
    }
  }
}
