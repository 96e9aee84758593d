import Foundation
import Testing

/// `report --svg` against flamegraph.pl: for every case in `fixtures/flamegraph-svg/cases.tsv`
/// (a folded input, flamegraph.pl options, and the frames of flamegraph.pl's SVG, made by
/// `scripts/flamegraph-svg-oracle.sh`), tdptrace's graph has the same frames: each name at each
/// depth with the same counts, and the same frame widths. Counts are compared to within
/// flamegraph.pl's rounding (it prints `%.0f`; tdptrace prints fractional counts exactly).
@Suite struct FlameGraphOracleTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var input: String
    var options: [String]
    var frames: String
    var testDescription: String { "\(input) \(options.joined(separator: " "))" }
  }

  /// One drawn frame.
  struct FrameBox: Sendable {
    var depth: Int
    var x: Double
    var width: Double
    var count: Double
    var name: String
    var fill: String = ""
  }

  static let directory = "fixtures/flamegraph-svg"

  static let cases: [Case] = {
    let text = (try? String(contentsOfFile: CLIHarness.path("\(directory)/cases.tsv"), encoding: .utf8)) ?? ""
    return text.split(separator: "\n").map { line in
      let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
      return Case(
        input: fields[0], options: fields[1].split(separator: " ").map(String.init), frames: fields[2])
    }
  }()

  @Test func everyCaseIsListed() {
    #expect(Self.cases.count >= 40)
    #expect(Self.cases.contains { $0.input.hasSuffix("-diff.folded") })
    #expect(Self.cases.contains { $0.input == "fractional.folded" })
  }

  @Test(arguments: cases)
  func sameFramesAsFlamegraphPl(_ c: Case) throws {
    let oracle = try Self.oracleFrames(
      String(contentsOfFile: CLIHarness.path("\(Self.directory)/\(c.frames)"), encoding: .utf8))
    let run = try CLIHarness.run(["report", "--svg", "-"] + c.options + ["\(Self.directory)/\(c.input)"])
    #expect(run.status == 0, "\(run.stderr)")
    let ours = Self.frames(inSVG: run.out, inverted: c.options.contains("--inverted"))
    #expect(!ours.isEmpty)
    #expect(ours.count == oracle.count, "frame count: tdptrace \(ours.count), flamegraph.pl \(oracle.count)")

    // Name and depth must match exactly; counts to within flamegraph.pl's rounding.
    func grouped(_ frames: [FrameBox]) -> [String: [FrameBox]] {
      Dictionary(grouping: frames) { "\($0.depth)\t\($0.name)" }.mapValues {
        $0.sorted { $0.count < $1.count }
      }
    }
    let a = grouped(ours)
    let b = grouped(oracle)
    #expect(
      Set(a.keys) == Set(b.keys),
      "only tdptrace: \(Set(a.keys).subtracting(b.keys).sorted().prefix(5)); only flamegraph.pl: \(Set(b.keys).subtracting(a.keys).sorted().prefix(5))"
    )
    var mismatches: [String] = []
    for (key, mine) in a {
      guard let theirs = b[key], theirs.count == mine.count else {
        mismatches.append("\(key): \(mine.count) frames vs \(b[key]?.count ?? 0)")
        continue
      }
      for (m, t) in zip(mine, theirs) {
        if abs(m.count - t.count) > 0.5 + 1e-9 { mismatches.append("\(key): count \(m.count) vs \(t.count)") }
        // Widths are printed to 0.01 px (tdptrace) and 0.1 px (flamegraph.pl).
        if abs(m.width - t.width) > 0.11 { mismatches.append("\(key): width \(m.width) vs \(t.width)") }
      }
    }
    #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")

    // With a palette, every frame has flamegraph.pl's fill (the color depends on the name only).
    if c.options.contains("--colors") {
      let theirs = Dictionary(oracle.map { ("\($0.depth)\t\($0.name)", $0.fill) }) { a, _ in a }
      let wrong = ours.filter { theirs["\($0.depth)\t\($0.name)"] != $0.fill }
      #expect(
        wrong.isEmpty,
        "\(wrong.prefix(5).map { "\($0.name): \($0.fill) vs \(theirs["\($0.depth)\t\($0.name)"] ?? "-")" })")
    }
  }

  /// The frames of a TSV made by the oracle script: depth, x, width, count, name, fill.
  static func oracleFrames(_ text: String) throws -> [FrameBox] {
    text.split(separator: "\n").map { line in
      let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
      return FrameBox(
        depth: Int(f[0])!, x: Double(f[1])!, width: Double(f[2])!, count: Double(f[3])!,
        name: f[4], fill: f.count > 5 ? f[5] : "")
    }
  }

  /// The frames of a tdptrace SVG, depth from the rectangle's row as the oracle script does.
  static func frames(inSVG svg: String, inverted: Bool) -> [FrameBox] {
    var raw: [(y: Int, box: FrameBox)] = []
    let pattern =
      /<g[^>]*><title>([^<]*)<\/title>(?:<a [^>]*>)?<rect x="([\d.]+)" y="(-?\d+)" width="([\d.]+)" height="\d+" fill="([^"]*)"/
    for match in svg.matches(of: pattern) {
      let title = unescape(String(match.1))
      guard let cut = title.range(of: " (", options: .backwards) else { continue }
      let name = String(title[..<cut.lowerBound])
      let countText = title[cut.upperBound...].prefix { $0.isNumber || $0 == "," || $0 == "." }
      let count = Double(countText.filter { $0 != "," }) ?? -1
      raw.append(
        (
          Int(match.3)!,
          FrameBox(
            depth: 0, x: Double(match.2)!, width: Double(match.4)!, count: count, name: name,
            fill: String(match.5))
        ))
    }
    let rows = Set(raw.map(\.y)).sorted(by: inverted ? (<) : (>))
    let depth = Dictionary(uniqueKeysWithValues: rows.enumerated().map { ($1, $0) })
    return raw.map {
      var box = $0.box
      box.depth = depth[$0.y]!
      return box
    }
  }

  static func unescape(_ text: String) -> String {
    var out = text
    for (entity, char) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
      out = out.replacingOccurrences(of: entity, with: char)
    }
    return out
  }
}
