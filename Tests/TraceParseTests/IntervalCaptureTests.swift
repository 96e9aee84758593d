import Foundation
import TestSupport
import Testing

@testable import TraceParse

/// Interval captures (docs/intervals.md): real bpftrace outputs, cleared and cumulative, text
/// and JSON (fixtures/intervals/), and the block rule on small inputs. Expected totals are
/// computed here from the fixture text by a reading that shares no code with the parsers.
@Suite struct IntervalCaptureTests {
  static func load(_ relative: String, mode: IntervalMode = .auto) throws -> Profile {
    var loader = ProfileLoader()
    loader.intervals = mode
    return try loader.load(path: BpftraceTestSupport.fixture(relative))
  }

  /// (map, first key line) → the values of its entries in input order, from the text: an
  /// entry is `@map[first line`, frame lines, `]: N` (or `@map[key]: N` on one line).
  static func textEntries(_ relative: String) throws -> [String: [UInt64]] {
    let text = try String(contentsOfFile: BpftraceTestSupport.fixture(relative), encoding: .utf8)
    var out: [String: [UInt64]] = [:]
    var open: String?
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("@"), let close = line.range(of: "]: ") {
        out[String(line[..<close.lowerBound]), default: []].append(UInt64(line[close.upperBound...])!)
      } else if line.hasPrefix("@") {
        open = String(line)
      } else if let key = open, line.hasPrefix("]: ") {
        out[key, default: []].append(UInt64(line.dropFirst(3))!)
        open = nil
      } else if let key = open, line.hasPrefix(" ") {
        open = key + line.trimmingCharacters(in: .whitespaces)
      }
    }
    return out
  }

  /// The same from JSON: every `map` message's entries.
  static func jsonEntries(_ relative: String) throws -> [String: [UInt64]] {
    let text = try String(contentsOfFile: BpftraceTestSupport.fixture(relative), encoding: .utf8)
    var out: [String: [UInt64]] = [:]
    for line in text.split(separator: "\n") {
      guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
        object["type"] as? String == "map", let data = object["data"] as? [String: [String: Any]]
      else { continue }
      for (map, entries) in data {
        for (key, value) in entries { out[map + key, default: []].append((value as! NSNumber).uint64Value) }
      }
    }
    return out
  }

  /// tdptrace's total per map for samples, and for the scalar `@n` map per key.
  static func totals(_ profile: Profile) -> (samples: [String: UInt64], values: UInt64) {
    var samples: [String: UInt64] = [:]
    for sample in profile.samples {
      let labels = profile.labels(of: sample)
      samples["\(labels.map ?? "")/\(labels.probe ?? "")", default: 0] += sample.weight
    }
    let values = profile.values.filter { $0.map == "@n" }.reduce(0) { $0 + UInt64($1.numbers[0]) }
    return (samples, values)
  }

  static func expected(_ entries: [String: [UInt64]], cumulative: Bool) -> (samples: UInt64, values: UInt64) {
    var samples: UInt64 = 0
    var values: UInt64 = 0
    for (key, series) in entries {
      let total = cumulative ? series.last! : series.reduce(0, +)
      if key.hasPrefix("@n") { values += total } else { samples += total }
    }
    return (samples, values)
  }

  @Test(arguments: [
    ("intervals/host-cleared.txt", false), ("intervals/host-cumulative.txt", true),
    ("intervals/host-cleared.json", false), ("intervals/host-cumulative.json", true),
  ])
  func realCaptureTotalsMatchTheText(_ relative: String, cumulative: Bool) throws {
    let profile = try Self.load(relative)
    let entries = try relative.hasSuffix(".json") ? Self.jsonEntries(relative) : Self.textEntries(relative)
    let want = Self.expected(entries, cumulative: cumulative)
    let got = Self.totals(profile)
    #expect(got.samples.values.reduce(0, +) == want.samples)
    #expect(got.values == want.values)
    // Four time() headers and bpftrace's exit print.
    #expect(profile.intervals.count == 5)
    #expect(profile.intervals.compactMap(\.time).count == 4)
    #expect(profile.intervals.last?.time == nil)
    #expect(profile.intervalMode == (cumulative ? .cumulative : .delta))
    #expect(profile.notes.contains { $0.contains("read as running totals") } == cumulative)
    // Every sample is in one block.
    #expect(profile.samples.allSatisfy { profile.labels(of: $0)[Labels.Name.interval] != nil })
  }

  /// The guest's four captures of one workload run (scripts/vm/guest-tests.sh, real TDP MMU
  /// kprobes): bpftrace printing every 500 ms with clear(), without it, in `-f json`, and
  /// `record --interval 500ms`. Each is read to the total its text gives (the sum of cleared
  /// blocks, each key's last running total). The running totals and record's blocks, which
  /// never clear, are one number; the cleared prints may only be short of it (bpftrace's
  /// `print(@); clear(@)` loses what fires between the two).
  @Test(arguments: ["qemu-tdp", "qemu-tdp-6.12"])
  func guestCapturesOfOneRunAgree(_ generation: String) throws {
    let files = [
      ("intervals-cleared.txt", false), ("intervals-cumulative.txt", true), ("intervals-cleared.json", false),
      ("intervals-tdptrace.txt", false),
    ]
    var totals: [UInt64] = []
    for (name, cumulative) in files {
      let relative = generation + "/" + name
      let entries = try (name.hasSuffix(".json") ? Self.jsonEntries(relative) : Self.textEntries(relative))
        .filter {
          !$0.key.hasPrefix("@tdptrace_")
        }
      let want = Self.expected(entries, cumulative: cumulative).samples
      let profile = try Self.load(relative)
      #expect(profile.totalWeight == want, "\(relative)")
      #expect(profile.intervals.count >= 3, "\(relative)")
      if cumulative {
        #expect(profile.intervalMode == .cumulative, "\(relative)")
      } else if profile.intervalMode == .cumulative {
        // A burst in one or two blocks gives the rule nothing to tell by: it says what it
        // assumed, and here either reading gives the text's total.
        #expect(profile.notes.contains { $0.contains("read as running totals") }, "\(relative)")
        #expect(try Self.load(relative, mode: .delta).totalWeight == want, "\(relative)")
      }
      totals.append(want)
    }
    #expect(totals[1] == totals[3] && totals[3] > 0, "\(generation): \(totals)")
    #expect(totals[0] <= totals[1] && totals[2] <= totals[1], "\(generation): \(totals)")
    // record --interval declares its blocks: no guess, no note.
    let recorded = try Self.load(generation + "/intervals-tdptrace.txt")
    #expect(!recorded.notes.contains { $0.contains("running totals") })
  }

  @Test func forcedModesGiveTheOtherReading() throws {
    // Cumulative output read as deltas counts every block: the old, overcounted sum.
    let overcounted = try Self.load("intervals/host-cumulative.txt", mode: .delta)
    let entries = try Self.textEntries("intervals/host-cumulative.txt")
    #expect(
      Self.totals(overcounted).samples.values.reduce(0, +)
        == Self.expected(entries, cumulative: false).samples)
    #expect(!overcounted.notes.contains { $0.contains("running totals") })
    // Cleared output read as cumulative: falls are resets, and a note counts them.
    let resets = try Self.load("intervals/host-cleared.txt", mode: .cumulative)
    #expect(resets.notes.contains { $0.contains("read as counter resets") })
  }

  static func blocks(_ text: String, mode: IntervalMode = .auto) throws -> Profile {
    var reader = LineReader(string: text, name: "in.txt")
    var builder = ProfileBuilder()
    try BpftraceTextParser().parse(
      &reader, into: &builder, options: ParseOptions(sourceName: "in.txt", intervals: mode))
    return IntervalResolution.resolve(builder.build(), mode: mode, source: "in.txt")
  }

  static func loaded(_ text: String) throws -> Profile {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("intervals-\(UUID()).txt").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try ProfileLoader().load(path: path)
  }

  static func weights(_ profile: Profile) -> [String] {
    profile.samples.map {
      let labels = profile.labels(of: $0)
      return
        "\(labels[Labels.Name.interval] ?? "-"):\(profile.frames(of: $0).map(\.symbol).joined(separator: ";"))=\($0.weight)"
    }
  }

  @Test func oneBlockIsNotATimeSeries() throws {
    let profile = try Self.blocks("Attaching 1 probe...\n07:00:01\n@[\n    a+1\n]: 3\n@[\n    b+1\n]: 2\n\n")
    #expect(profile.intervals.isEmpty)
    #expect(Self.weights(profile) == ["-:a=3", "-:b=2"])
  }

  @Test func cumulativeBlocksBecomeDifferences() throws {
    let text =
      "07:00:01\n@[\n    a+1\n]: 3\n07:00:02\n@[\n    a+1\n]: 5\n@[\n    b+1\n]: 1\n07:00:03\n@[\n    a+1\n]: 5\n@[\n    b+1\n]: 4\n"
    let profile = try Self.blocks(text)
    #expect(profile.intervalMode == .cumulative)
    // a: 3, +2, +0 (dropped); b: 1, +3.
    #expect(Self.weights(profile) == ["0:a=3", "1:a=2", "1:b=1", "2:b=3"])
    #expect(profile.intervals.map(\.time) == ["07:00:01", "07:00:02", "07:00:03"])
    #expect(profile.intervals.map(\.line) == [1, 5, 12])
  }

  @Test func aVanishedKeyMeansCleared() throws {
    let text = "07:00:01\n@[\n    a+1\n]: 3\n@[\n    b+1\n]: 1\n07:00:02\n@[\n    a+1\n]: 5\n"
    let profile = try Self.blocks(text)
    #expect(profile.intervalMode == .delta)
    #expect(Self.weights(profile) == ["0:a=3", "0:b=1", "1:a=5"])
    #expect(profile.notes.isEmpty)
  }

  @Test func aMapMissingFromALaterBlockMeansCleared() throws {
    // Counts rise and no key vanishes between the blocks that print, but block 2 prints nothing.
    let text =
      "07:00:01\n@[\n    a+1\n]: 3\n07:00:02\n@[\n    a+1\n]: 5\n07:00:03\n07:00:04\n@[\n    a+1\n]: 6\n"
    let profile = try Self.blocks(text)
    #expect(profile.intervalMode == .delta)
    #expect(Self.weights(profile) == ["0:a=3", "1:a=5", "3:a=6"])
    // Only the last block bare: a run stopped between time() and print(); still running totals.
    let stopped = try Self.blocks("07:00:01\n@[\n    a+1\n]: 3\n07:00:02\n@[\n    a+1\n]: 5\n07:00:03\n")
    #expect(stopped.intervalMode == .cumulative)
    #expect(Self.weights(stopped) == ["0:a=3", "1:a=2"])
  }

  /// The guest's cleared JSON where only 2 of 52 blocks print the map (fixtures/intervals/README.md).
  @Test func sparseClearedJSONIsReadAsCleared() throws {
    let relative = "intervals/guest-cleared-sparse.json"
    let profile = try Self.load(relative)
    let want = Self.expected(try Self.jsonEntries(relative), cumulative: false).samples
    #expect(want == 269)
    #expect(profile.totalWeight == want)
    #expect(profile.intervalMode == .delta)
    #expect(profile.intervals.count == 52)
    #expect(!profile.notes.contains { $0.contains("running totals") })
  }

  @Test func twoHeadersInARowAreAnEmptyBlock() throws {
    let profile = try Self.blocks("07:00:01\n@[\n    a+1\n]: 3\n07:00:02\n07:00:03\n@[\n    a+1\n]: 1\n")
    #expect(profile.intervals.map(\.time) == ["07:00:01", "07:00:02", "07:00:03"])
    #expect(Self.weights(profile) == ["0:a=3", "2:a=1"])
  }

  @Test func aMapPrintedAgainWithoutTimeIsSummedAndSaidUnlessIntervalsAreGiven() throws {
    // print(@); print(@n) twice without time(), printf text between, then the exit print.
    let text = "@[\n    a+1\n]: 3\n@n: 3\ntick\n@[\n    a+1\n]: 4\n@n: 4\n\n\n@[\n    a+1\n]: 4\n\n@n: 4\n\n"
    let summed = try Self.loaded(text)
    #expect(summed.intervals.isEmpty)
    #expect(Self.weights(summed) == ["-:a=11"])
    #expect(summed.notes.contains { $0.contains("printed again without time() headers") })
    let profile = try Self.blocks(text, mode: .cumulative)
    #expect(profile.intervals.count == 3)
    #expect(profile.intervals.map(\.line) == [1, 6, 12])
    #expect(profile.intervalMode == .cumulative)
    #expect(!profile.notes.contains { $0.contains("printed again") })
    #expect(Self.weights(profile) == ["0:a=3", "1:a=1"])
    #expect(profile.values.map { $0.numbers } == [[4]])
  }

  @Test func entriesOfOneMapRunTogetherAcrossBlankLines() throws {
    // hist entries of one map are separated by blank lines: still one print.
    let text = "@h[a]:\n[1]    1 |@@|\n\n@h[b]:\n[1]    2 |@@|\n\n"
    let profile = try Self.blocks(text)
    #expect(profile.intervals.isEmpty)
    #expect(profile.values.count == 2)
  }

  @Test func twoBlankLinesEndARunSoTheExitPrintIsABlock() throws {
    // One map of running totals, as bpftrace 0.17 printed it in the guest: the exit print
    // follows the last interval's print after two blank lines (seen doubling the last block).
    var text = "Attaching 1 probe...\n"
    for (second, n) in [(1, 2), (2, 5)] { text += "07:00:0\(second)\n@[\n    a+1\n    b+2\n]: \(n)\n" }
    text += "\n\n@[\n    a+1\n    b+2\n]: 6\n"
    let profile = try Self.blocks(text)
    #expect(profile.intervals.count == 3)
    #expect(profile.intervalMode == .cumulative)
    #expect(profile.totalWeight == 6)
  }

  @Test func cachedEntriesCountIntoTheirOwnBlock() throws {
    // The entry cache serves a repeated `@[` stack by sample index: a new block must not
    // count into the last block's sample.
    var text = ""
    for second in 1...4 { text += "07:00:0\(second)\n@[\n    a+1\n    b+2\n]: \(second)\n" }
    let profile = try Self.blocks(text, mode: .delta)
    #expect(Self.weights(profile) == ["0:b;a=1", "1:b;a=2", "2:b;a=3", "3:b;a=4"])
  }

  @Test func jsonTimeMessagesStartBlocks() throws {
    let text = """
      {"type": "attached_probes", "data": {"probes": 2}}
      {"type": "time", "data": "07:00:01\\n"}
      {"type": "map", "data": {"@": {"\\n    a+1\\n": 3}}}
      {"type": "time", "data": "07:00:02\\n"}
      {"type": "map", "data": {"@": {"\\n    a+1\\n": 1}}}

      """
    let profile = IntervalResolution.resolve(
      try BpftraceTestSupport.parse(text, parser: BpftraceJSONParser()), mode: .auto, source: "in.json")
    #expect(profile.intervals.map(\.time) == ["07:00:01", "07:00:02"])
    #expect(profile.intervalMode == .delta)
    #expect(Self.weights(profile) == ["0:a=3", "1:a=1"])
  }

  @Test func aSplitFileWithHeadersIsReadOnOneCore() throws {
    // Parts cannot number blocks: ParallelLoader declines, and ProfileLoader reads serially.
    for name in ["intervals/host-cumulative.txt", "intervals/host-cleared.json"] {
      let path = BpftraceTestSupport.fixture(name)
      let size = Int64(try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int)
      let format: InputFormat = name.hasSuffix(".json") ? .bpftraceJSON : .bpftrace
      let parts = try ParallelLoader.load(
        path: path, size: size, format: format, options: ParseOptions(sourceName: path), parts: 2)
      #expect(parts == nil)
    }
  }
}
