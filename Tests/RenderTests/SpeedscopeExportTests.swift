import Foundation
import Render
import TestSupport
import Testing
import TraceParse

@Suite struct SpeedscopeExportTests {
  static func json(_ bytes: [UInt8]) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
  }

  @Test(arguments: [
    ("fixtures/seed/tdp_mmu-notes.txt", "seed.speedscope.json"),
    ("fixtures/bpftrace/bpftrace-kvm-mmu-tracepoints-kstack.txt", "tracepoints.speedscope.json"),
  ])
  func matchesGolden(input: String, golden: String) throws {
    let bytes = try SpeedscopeExport(name: (input as NSString).lastPathComponent).render(
      try TDPFixture.load(input))
    #expect(try TDPFixture.golden("fixtures/expected/exports/\(golden)", bytes))
  }

  @Test func oneProfilePerSourceWithExactWeightsAndStacks() throws {
    let profile = try TDPFixture.load("fixtures/bpftrace/qemu-tdp-bpftrace-kprobe-kstack.txt")
    let file = try Self.json(try SpeedscopeExport().render(profile))
    #expect(file["$schema"] as? String == "https://www.speedscope.app/file-format-schema.json")
    let frames = try #require((file["shared"] as? [String: Any])?["frames"] as? [[String: Any]]).map {
      $0["name"] as! String
    }
    let profiles = try #require(file["profiles"] as? [[String: Any]])

    var expected: [String: [(stack: [String], weight: UInt64)]] = [:]
    var order: [String] = []
    for sample in profile.samples {
      let source = profile.labels(of: sample).source!
      if expected[source] == nil { order.append(source) }
      expected[source, default: []].append((profile.frames(of: sample).map(\.symbol), sample.weight))
    }
    #expect(profiles.map { $0["name"] as! String } == order)
    for p in profiles {
      let name = p["name"] as! String
      let samples = (p["samples"] as! [[Int]]).map { $0.map { frames[$0] } }
      let weights = (p["weights"] as! [NSNumber]).map(\.uint64Value)
      #expect(samples == expected[name]!.map(\.stack))
      #expect(weights == expected[name]!.map(\.weight))
      #expect((p["endValue"] as! NSNumber).uint64Value == weights.reduce(0, +))
      #expect(p["type"] as? String == "sampled")
    }
  }

  @Test func hostileNamesAreEscapedAndRoundTrip() throws {
    let profile = try TDPFixture.hostile()
    let bytes = try SpeedscopeExport(name: "<title>&").render(profile)
    let text = String(decoding: bytes, as: UTF8.self)
    for raw in ["<", ">", "&", "\u{2028}", "\u{2029}", "\t", "\u{7}"] {
      #expect(!text.contains(raw), "\(raw.debugDescription)")
    }
    let file = try Self.json(bytes)
    let frames = (file["shared"] as! [String: Any])["frames"] as! [[String: Any]]
    #expect(frames.map { $0["name"] as! String } == profile.frames.map(\.symbol))
    #expect(file["name"] as? String == "<title>&")
    #expect((file["profiles"] as! [[String: Any]]).map { $0["name"] as! String } == ["kprobe:<b>\"x\"&y"])
  }

  @Test func emptyProfileStillLoads() throws {
    let file = try Self.json(try SpeedscopeExport().render(Profile()))
    #expect((file["profiles"] as? [[String: Any]])?.count == 1)
  }
}

@Suite struct HostileFixtureExportTests {
  static let input = "fixtures/hostile/hostile.folded"

  @Test func speedscopeKeepsEveryHostileNameAsText() throws {
    let profile = try TDPFixture.loadFolded(Self.input)
    #expect(profile.totalWeight == 18)
    let bytes = try SpeedscopeExport().render(profile)
    let text = String(decoding: bytes, as: UTF8.self)
    #expect(!text.contains("<") && !text.contains(">") && !text.contains("&"))
    let file = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    let frames = (file["shared"] as! [String: Any])["frames"] as! [[String: Any]]
    #expect(Set(frames.map { $0["name"] as! String }) == Set(profile.frames.map(\.symbol)))
    #expect(try TDPFixture.golden("fixtures/expected/exports/hostile.speedscope.json", bytes))
  }

  @Test func pprofKeepsEveryHostileNameExactly() throws {
    let profile = try TDPFixture.loadFolded(Self.input)
    let (_, samples) = try PprofExportTests.decode(try PprofExport().render(profile))
    #expect(samples.map(\.stack) == PprofExportTests.expected(profile).map(\.stack))
    #expect(samples.reduce(0) { $0 + $1.value } == 18)
  }

  @Test func tdpJSONKeepsHostileNamesInert() throws {
    let profile = try TDPFixture.loadFolded(Self.input)
    let json = try TDPSummaryText(format: .json).render(profile)
    let text = String(decoding: json, as: UTF8.self)
    #expect(!text.contains("<") && !text.contains(">") && !text.contains("&"))
    #expect(try TDPFixture.golden("fixtures/expected/exports/hostile-tdp.json", json))
    #expect(
      try TDPFixture.golden("fixtures/expected/exports/hostile-tdp.txt", try TDPSummaryText().render(profile))
    )
  }
}
