import Foundation
import TestSupport
import Testing

@testable import TraceParse

/// Fixture paths and a readable, exact dump of a parsed `Profile` for golden comparisons.
enum BpftraceTestSupport {
  static let repoRoot = TDPFixture.root

  static func fixture(_ relative: String) -> String {
    repoRoot.appendingPathComponent("fixtures/" + relative).path
  }

  static func parse(
    _ text: String, parser: any TraceParser = BpftraceTextParser(), lenient: Bool = false,
    name: String = "in.txt"
  ) throws(ParseError) -> Profile {
    var reader = LineReader(string: text, name: name)
    var builder = ProfileBuilder()
    try parser.parse(&reader, into: &builder, options: ParseOptions(sourceName: name, lenient: lenient))
    return builder.build()
  }

  static func parseFile(_ relative: String, parser: any TraceParser, lenient: Bool = false) throws -> Profile
  {
    var reader = try LineReader.open(path: fixture(relative))
    var builder = ProfileBuilder()
    try parser.parse(&reader, into: &builder, options: ParseOptions(sourceName: relative, lenient: lenient))
    return builder.build()
  }

  static func describe(_ frame: Frame) -> String {
    var text = "[\(frame.kind.rawValue)] \(frame.symbol)"
    if let offset = frame.offset { text += " off=\(offset.text)" }
    if let address = frame.address { text += " addr=0x" + String(address, radix: 16) }
    if let module = frame.module { text += " module=\(module)" }
    if let srcline = frame.srcline { text += " src=\(srcline)" }
    return text
  }

  /// Every sample (labels, weight, frames root first), value, skip and note, in input order.
  static func dump(_ profile: Profile) -> String {
    var out = "unit \(profile.unit)\n"
    for sample in profile.samples {
      let labels = profile.labels(of: sample).entries.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
      out += "sample weight=\(sample.weight) \(labels)\n"
      for frame in profile.frames(of: sample) { out += "  \(describe(frame))\n" }
    }
    for value in profile.values {
      out += "value \(value.map) \(value.kind.rawValue) key=\(value.key) numbers=\(value.numbers)"
      if !value.buckets.isEmpty {
        out += " buckets=" + value.buckets.map { "\($0.label):\($0.count)" }.joined(separator: " ")
      }
      out += "\n"
    }
    if profile.skipped.records > 0 {
      out += "skipped records=\(profile.skipped.records) weight=\(profile.skipped.weight)\n"
      for e in profile.skipped.examples { out += "  \(e)\n" }
    }
    for note in profile.notes { out += "note \(note)\n" }
    out += "total \(profile.totalWeight)\n"
    return out
  }

  /// Compares `dump(profile)` with `fixtures/bpftrace/expected/<name>.model`; with
  /// `UPDATE_GOLDEN=1` in the environment, rewrites the expected file instead
  /// (`TDPFixture.expectGolden`).
  static func expectGolden(
    _ profile: Profile, _ name: String, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    try TDPFixture.expectGolden(
      dump(profile), "fixtures/bpftrace/expected/\(name).model", sourceLocation: sourceLocation)
  }
}
