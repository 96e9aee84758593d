import Foundation
import TestSupport
import Testing

@testable import TraceParse

/// Every bad-input case: a clear error (file, line, column, what was expected), or with
/// `lenient` a counted skip; never a crash or a hang.
@Suite struct BpftraceBadInputTests {
  func error(_ text: String, parser: any TraceParser = BpftraceTextParser()) -> ParseError? {
    do {
      _ = try BpftraceTestSupport.parse(text, parser: parser)
      return nil
    } catch { return error }
  }

  @Test func truncatedFile() throws {
    let text = "Attaching 1 probe...\n@[\n    a+1\n]: 5\n@[\n    kvm_tdp_mmu_map+5\n    direct_page_fault+8"
    let e = try #require(error(text))
    #expect(
      e.description
        == "in.txt:7: expected `]: <value>` closing the entry opened at line 5, found 'end of input'")
    let profile = try BpftraceTestSupport.parse(text, lenient: true)
    #expect(profile.totalWeight == 5)
    #expect(profile.skipped.records == 1)
    #expect(profile.skipped.weight == 0)
  }

  @Test func unclosedEntry() throws {
    let text = "@[\n    a+1\n@[\n    b+2\n]: 7\n"
    let e = try #require(error(text))
    #expect(e.position == SourcePosition(file: "in.txt", line: 3, column: 1))
    #expect(e.expected == "a frame line or `]: <value>` closing the entry opened at line 1")
    #expect(e.found == "'@['")
    let profile = try BpftraceTestSupport.parse(text, lenient: true)
    #expect(profile.totalWeight == 7)
    #expect(profile.samples.count == 1)
    #expect(profile.skipped.records == 1)
  }

  @Test func unclosedKeyLine() throws {
    let e = try #require(error("@[tracepoint:kvm:kvm_exit\n]: 3\n"))
    #expect(
      e.description == "in.txt:1:3: expected `, <key>` or `]: <value>`, found 'tracepoint:kvm:kvm_exit'")
  }

  @Test func countNotANumber() throws {
    let text = "@[\n    a+1\n]: 12x\n@[\n    b+1\n]: 4\n"
    let e = try #require(error(text))
    #expect(e.description == "in.txt:3:4: expected an integer value, found '12x'")
    let profile = try BpftraceTestSupport.parse(text, lenient: true)
    #expect(profile.totalWeight == 4)
    #expect(profile.skipped.records == 1)
  }

  @Test func countOverflowsUInt64() throws {
    let e = try #require(error("@[\n    a+1\n]: 18446744073709551616\n"))
    #expect(
      e.description == "in.txt:3:4: expected an integer that fits in 64 bits, found '18446744073709551616'")
    // UInt64.max itself is a valid weight.
    let max = try BpftraceTestSupport.parse("@[\n    a+1\n]: 18446744073709551615\n")
    #expect(max.totalWeight == UInt64.max)
  }

  @Test func summedWeightOverflows() throws {
    let text = "@x[\n    a+1\n]: 18446744073709551615\n@y[\n    b+1\n]: 1\n@x[\n    a+1\n]: 1\n"
    // The profile's total overflows at @y, though that stack's own sum would fit.
    let e = try #require(error(text))
    #expect(e.position.line == 6)
    #expect(e.expected == "a total weight that fits in UInt64")
    let profile = try BpftraceTestSupport.parse(text, lenient: true)
    #expect(profile.skipped.records == 2)
    #expect(profile.skipped.weight == 2)
    #expect(profile.totalWeight == UInt64.max)
  }

  @Test func negativeSumOnStack() throws {
    let e = try #require(error("@[\n    a+1\n]: -5\n"))
    #expect(e.description.hasPrefix("in.txt:3:4: expected a non-negative count or sum"))
    // A negative value on a map without a stack is just a value.
    let profile = try BpftraceTestSupport.parse("@delta: -5\n")
    #expect(profile.values == [MapValue(map: "@delta", key: [], kind: .scalar, numbers: [-5])])
  }

  @Test func garbageFrameLineSkipsWithWeight() throws {
    let text = "@[\n    a+1\nrc=0 elapsed\n    b+2\n]: 42\n@[\n    c+1\n]: 1\n"
    let e = try #require(error(text))
    #expect(
      e.description
        == "in.txt:3:1: expected an indented frame line, `, <key>` or `]: <value>`, found 'rc=0 elapsed'")
    let profile = try BpftraceTestSupport.parse(text, lenient: true)
    #expect(profile.skipped.records == 1)
    #expect(profile.skipped.weight == 42)
    #expect(profile.totalWeight == 1)
  }

  @Test func binaryGarbage() throws {
    var rng = SplitMix64(seed: 7)
    for _ in 0..<8 {
      var bytes = (0..<20_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      // Sprinkle entry openers so the garbage reaches the key and frame paths too.
      for i in stride(from: 0, to: bytes.count - 3, by: 997) {
        bytes[i] = 0x0A
        bytes[i + 1] = 0x40
        bytes[i + 2] = 0x5B
      }
      for parser in [BpftraceTextParser() as any TraceParser, BpftraceJSONParser()] {
        for lenient in [false, true] {
          var reader = LineReader(bytes: bytes, name: "garbage.bin")
          var builder = ProfileBuilder()
          do {
            try parser.parse(
              &reader, into: &builder, options: ParseOptions(sourceName: "garbage.bin", lenient: lenient))
          } catch {
            #expect(!lenient, "lenient parse must not throw: \(error)")
            #expect(error.position.file == "garbage.bin" && error.position.line >= 1)
          }
        }
      }
    }
  }

  @Test func tenMegabyteLines() throws {
    let big = String(repeating: "x", count: 10 << 20)
    // As noise outside entries: ignored.
    let noise = try BpftraceTestSupport.parse(big + "\n@[\n    a+1\n]: 2\n")
    #expect(noise.totalWeight == 2)
    // As a frame line: refused, with a short excerpt.
    let frame = try #require(error("@[\n    " + big + "\n]: 2\n"))
    #expect(
      frame.description
        == "in.txt:2:5: expected a frame line of at most 65536 bytes, found 'a line of 10485764 bytes'")
    // As a count.
    let count = try #require(error("@[\n    a+1\n]: " + String(repeating: "9", count: 10 << 20) + "\n"))
    #expect(count.expected == "an integer that fits in 64 bits")
    #expect(count.found!.count < 70)
    // Longer than the reader allows: a clean error, not a crash.
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tdptrace-bigline-\(getpid())-\(UUID().uuidString).txt"
    ).path
    _ = FileManager.default.createFile(atPath: path, contents: Data((big + "\n@[\n    a+1\n]: 2\n").utf8))
    defer { try? FileManager.default.removeItem(atPath: path) }
    var fileReader = try LineReader.open(path: path, maxLineLength: 1 << 20)
    var builder = ProfileBuilder()
    #expect(throws: ParseError.self) {
      try BpftraceTextParser().parse(
        &fileReader, into: &builder, options: ParseOptions(sourceName: "big.txt"))
    }
  }

  @Test func emptyInput() throws {
    for parser in [BpftraceTextParser() as any TraceParser, BpftraceJSONParser()] {
      let profile = try BpftraceTestSupport.parse("", parser: parser)
      #expect(profile.samples.isEmpty && profile.values.isEmpty)
      #expect(profile.notes == ["in.txt: no bpftrace map entries found"])
    }
  }

  @Test func fileWithoutStacks() throws {
    let profile = try BpftraceTestSupport.parseFile(
      "bpftrace/bpftrace-kvm-tracepoints-counts.txt", parser: BpftraceTextParser())
    #expect(profile.samples.isEmpty)
    #expect(profile.values.count == 17)
    #expect(profile.values.allSatisfy { $0.kind == .scalar && $0.map == "@" })
    #expect(
      profile.values.last
        == MapValue(
          map: "@", key: ["tracepoint:kvmmmu:kvm_mmu_paging_element"], kind: .scalar, numbers: [1_553_775]))
  }

  @Test func jsonErrors() throws {
    let json = BpftraceJSONParser()
    let syntax = try #require(
      error("{\"type\": \"map\", \"data\": {\"@\": {\"\\n    a+1\\n\": 5}\n", parser: json))
    #expect(syntax.position.line == 1)
    #expect(syntax.position.column == 49)
    #expect(syntax.expected == "`,` or `}`")
    let negative = try #require(
      error("{\"type\": \"map\", \"data\": {\"@\": {\"\\n    a+1\\n\": -5}}}\n", parser: json))
    #expect(negative.expected.hasPrefix("a non-negative count or sum in map @"))
    let notJSON = try #require(error("Attaching 1 probe...\n", parser: json))
    #expect(notJSON.position == SourcePosition(file: "in.txt", line: 1, column: 1))
    let overflow = try #require(
      error(
        "{\"type\": \"map\", \"data\": {\"@\": {\"\\n    a+1\\n\": 18446744073709551616}}}\n", parser: json))
    #expect(overflow.expected == "an integer value in map @")
    let lenient = try BpftraceTestSupport.parse(
      "garbage\n{\"type\": \"map\", \"data\": {\"@\": {\"\\n    a+1\\n\": 5, \"\\n    b+1\\n\": -1}}}\n",
      parser: json,
      lenient: true)
    #expect(lenient.totalWeight == 5)
    #expect(lenient.skipped.records == 2)
  }
}
