import Foundation
import StackFold
import TestSupport
import Testing
import TraceParse

@testable import Render

/// Generated hostile profiles through every renderer and `diff`: a 100k-frame stack, 200k
/// siblings, weights near 2^64 and sums past it, empty and single-frame stacks, names with every
/// byte value. Each case either builds and renders with the total equal to the sum written in,
/// or is refused with an error; nothing crashes.
@Suite struct HostileProfilePropertyTests {
  enum Shape: String, CaseIterable, CustomTestStringConvertible {
    case deep, wide, nearMax, pastMax, emptyAndSingle, everyByte
    var testDescription: String { rawValue }
  }

  /// Stacks (root first) and weights of one shape.
  static func stacks(_ shape: Shape, seed: UInt64) -> [([String], UInt64)] {
    var g = SplitMix64(seed: seed)
    switch shape {
    case .deep:
      return [((0..<100_000).map { "f\($0 % 997)" }, 3), (["f0", "g"], 1 + g.next() >> 40)]
    case .wide:
      return (0..<200_000).map { (["root", "c\($0)"], 1 + UInt64($0 % 7)) }
    case .nearMax:
      // Sums to exactly UInt64.max.
      let first = UInt64.max - g.next() >> 8
      return [(["a", "x"], first), (["b", "x"], UInt64.max - first)]
    case .pastMax:
      return [(["a", "x"], UInt64.max - g.next() >> 60), (["b", "x"], UInt64.max), (["c"], 1)]
    case .emptyAndSingle:
      return [([], 2), (["only"], 5), ([], 1), (["only"], g.next() >> 4)]
    case .everyByte:
      var out: [([String], UInt64)] = []
      for b in 0..<256 {
        let bytes: [UInt8] = [UInt8(b), 0x41, UInt8(255 - b)]
        let name = String(decoding: bytes, as: UTF8.self)
        out.append(([name, "leaf\u{202E}\(b)"], UInt64(b + 1)))
      }
      return out
    }
  }

  @Test(arguments: Shape.allCases)
  func rendersOrRefuses(shape: Shape) throws {
    let input = Self.stacks(shape, seed: 0x5EED)
    var exact: UInt64? = 0
    for (_, weight) in input {
      if let sum = exact {
        let (next, overflow) = sum.addingReportingOverflow(weight)
        exact = overflow ? nil : next
      }
    }
    var builder = ProfileBuilder()
    var refused = false
    do {
      for (names, weight) in input {
        try builder.add(frames: names.map { Frame(symbol: $0) }, labels: Labels(), weight: weight)
      }
    } catch {
      refused = true
    }
    // Refused exactly when the sum does not fit.
    #expect(refused == (exact == nil))
    guard let total = exact else { return }
    let profile = builder.build()
    #expect(profile.totalWeight == total)

    let options = ReportOptions(top: 5, treeMinPercent: 0.5)
    let model = try ReportModel(profile: profile, options: options)
    #expect(model.totalWeight == total)
    _ = TextReport.render(model)
    let json = JSONReport.render(model)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
    #expect((object["totalWeight"] as? NSNumber)?.uint64Value == total)
    #expect(try Folder.fold(profile).reduce(0) { $0 + $1.weight } == total)
    #expect(!FlameGraphSVG().document(profile, standalone: true).isEmpty)
    // 200k siblings are 200k functions: the per-function pages and exports (several seconds
    // each in a debug build) are left to the smaller shapes; the tree renderers above are what
    // sibling counts stress.
    if shape == .wide { return }
    #expect(!(try HTMLReport(report: options, functionSections: 5).document(profile)).isEmpty)
    _ = try SpeedscopeExport().render(profile)
    do {
      let message = try PprofExport().message(for: profile)
      #expect(message.sample.reduce(UInt64(0)) { $0 + UInt64($1.value[0]) } == total)
    } catch {
      // pprof values are int64: refused, with the weight that does not fit.
      #expect(profile.samples.contains { $0.weight > UInt64(Int64.max) })
    }
    let diff = ProfileDiff(before: profile, after: profile, normalize: true)
    #expect(!DiffTable().render(diff).isEmpty)
    #expect(!DiffFlameGraph().document(diff, standalone: true).isEmpty)
    #expect(!DiffHTMLReport().document(diff).isEmpty)
  }

  /// The same shapes as an interval capture of two blocks (samples alternate, the first
  /// block's time a hostile string) through the HTML page: its embedded weights per block add
  /// up to the total, as strings once the total is past 2^53, and nothing escapes.
  @Test(arguments: Shape.allCases.filter { $0 != .wide })
  func intervalPagesAddUp(shape: Shape) throws {
    var builder = ProfileBuilder()
    do {
      for (i, (names, weight)) in Self.stacks(shape, seed: 0x5EED).enumerated() {
        try builder.add(
          frames: names.map { Frame(symbol: $0) },
          labels: Labels([.init("probe", "kprobe:</script>"), .init(Labels.Name.interval, String(i % 2))]),
          weight: weight)
      }
    } catch {
      // Refused as in `rendersOrRefuses`: the sum does not fit.
      #expect(shape == .pastMax)
      return
    }
    var profile = builder.build()
    profile.intervals = [
      IntervalMark(index: 0, time: "</script><b>&", line: 1), IntervalMark(index: 1, time: nil, line: 2),
    ]
    let total = profile.totalWeight
    let html = try HTMLReport(report: ReportOptions(top: 5), functionSections: 5).document(profile)
    #expect(!html.contains("<b>"))
    #expect(html.components(separatedBy: "</script>").count - 1 == 4)
    let data = try IntervalHTMLTests.embedded(html)
    #expect((data["big"] as? Bool) == (total > (1 << 53) - 1))
    let series = try #require(data["series"] as? [[Any]])
    let blocks = try IntervalHTMLTests.pairs(series[0])
    #expect(blocks.reduce(UInt64(0)) { $0 &+ $1.weight } == total)
    let frames = try #require(data["frames"] as? [[Any]])
    if total > 0 {
      let root = try IntervalHTMLTests.pairs(frames[0], from: 1)
      #expect(root.map(\.weight) == blocks.map(\.weight))
    }
  }
}
