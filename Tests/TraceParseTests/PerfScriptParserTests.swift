import Foundation
import TestSupport
import Testing
import TraceParse

@Suite struct PerfScriptParserTests {
  typealias S = PerfTestSupport

  @Test func everyHeaderAndFrameShape() throws {
    let text = try String(contentsOfFile: S.fixtures + "perf/shapes.txt", encoding: .utf8)
    let profile = try S.parse(text, threadLabels: true)
    let got = S.describe(profile).joined(separator: "\n") + "\n"
    try TDPFixture.expectGolden(got, "fixtures/perf/shapes.expected")
  }

  @Test func defaultLabelsAreEventAndComm() throws {
    let profile = try S.parse(
      "CPU 3/KVM  4567/4570 [003] 1.000001: 7 kvm:kvm_exit: reason HLT\n\tffffffff81000130 f+0x1 ([kernel.kallsyms])\n\n"
    )
    #expect(
      profile.labelSets.map(\.entries) == [[.init("event", "kvm:kvm_exit"), .init("comm", "CPU 3/KVM")]])
    #expect(profile.totalWeight == 1)
  }

  @Test func weighsByPeriodWhenAsked() throws {
    let text =
      "a 1 [000] 1.5: 1001001 cpu-clock:ppp: \n\tffffffff81000130 f+0x1 ([kernel.kallsyms])\n\n"
      + "a 1 [000] 1.6: 999 cpu-clock:ppp: \n\tffffffff81000130 f+0x1 ([kernel.kallsyms])\n\n"
    let byPeriod = try S.parse(text, weight: .period)
    #expect(byPeriod.unit == .period)
    #expect(byPeriod.totalWeight == 1_002_000)
    #expect(byPeriod.samples.count == 1)
    #expect(try S.parse(text).totalWeight == 2)
  }

  /// As in stackcollapse-perf.pl, a sample without a period weighs 1, so `--weight period`
  /// (fold's default) reads captures made without `-F +period` and mixed ones.
  @Test func periodWeightWithoutPeriodFieldWeighsOne() throws {
    let text =
      "a 1 1.5: cycles:\n\tffffffff81000130 f ([kernel.kallsyms])\n\n"
      + "a 1 1.6: 40 cycles:\n\tffffffff81000130 f ([kernel.kallsyms])\n\n"
    let profile = try S.parse(text, weight: .period)
    #expect(profile.totalWeight == 41)
    #expect(profile.unit == .period)
  }

  /// 2^64 used to saturate to UInt64.max and count as a valid weight.
  @Test func periodPastUInt64IsAnErrorWithItsColumn() throws {
    let text =
      "a 1 1.5: 18446744073709551616 cycles:\n\tffffffff81000130 f ([kernel.kallsyms])\n\n"
      + "a 1 1.6: 7 cycles:\n\tffffffff81000130 f ([kernel.kallsyms])\n\n"
    let error = try #require(S.error(text, weight: .period))
    #expect(error.position.line == 1)
    #expect(error.position.column == 10)
    #expect(error.expected.contains("period of at most 18446744073709551615"))
    let lenient = try S.parse(text, lenient: true, weight: .period)
    #expect(lenient.totalWeight == 7)
    #expect(lenient.skipped.records == 1)
    // Counting samples does not read the period.
    #expect(try S.parse(text).totalWeight == 2)
    // Without a time token the period sits right before the event.
    let untimed = "perf 12 [000] 18446744073709551616 cycles:\n\tffffffff81000130 f ([kernel.kallsyms])\n\n"
    #expect(S.error(untimed, weight: .period)?.position.column == 15)
  }

  @Test func sampleWithoutCallchainKeepsAnEmptyStack() throws {
    let profile = try S.parse("perf 12 [000] 1.5: 1 cycles:\nperf 12 [000] 1.6: 1 cycles:\n")
    #expect(profile.samples.count == 1)
    #expect(profile.samples[0].stack.isEmpty)
    #expect(profile.totalWeight == 2)
  }

  @Test func headerWithoutTime() throws {
    let profile = try S.parse(
      "perf 12 [000] 5 cycles:\n\tffffffff81000130 f+0x1 ([kernel.kallsyms])\n\n", weight: .period)
    #expect(profile.totalWeight == 5)
    #expect(profile.labelSets[0].event == "cycles")
  }

  @Test func identicalStacksAggregate() throws {
    var text = ""
    for i in 0..<100 {
      text +=
        "cc1 \(i) [001] \(i).5: 1 cpu-clock:\n\tffffffff81000130 f+0x1 ([kernel.kallsyms])\n\t    55d0 main+0x2 (/usr/bin/cc1)\n\n"
    }
    let profile = try S.parse(text)
    #expect(profile.samples.count == 1)
    #expect(profile.samples[0].weight == 100)
    #expect(profile.frames.count == 2)
    #expect(profile.frames(of: profile.samples[0]).map(\.symbol) == ["main", "f"])
    let threads = try S.parse(text, threadLabels: true)
    #expect(threads.samples.count == 100)
    #expect(threads.totalWeight == 100)
  }

  @Test func crlfLineEndings() throws {
    let profile = try S.parse(
      "a 1 [000] 1.5: 1 cycles:\r\n\tffffffff81000130 f+0x1 ([kernel.kallsyms])\r\n\r\n")
    #expect(S.describe(profile) == ["event=cycles,comm=a: f+0x1[kernel [kernel.kallsyms]] 1"])
  }

  // MARK: bad input

  @Test func frameLineBeforeAnyHeader() {
    let error = S.error("\tffffffff81000130 f+0x1 ([kernel.kallsyms])\n\n")
    #expect(
      error?.description
        == "t.txt:1:1: expected a sample header before this frame line, found '\\x09ffffffff81000130 f+0x1 ([kernel.kallsyms])'"
    )
  }

  @Test func badHeader() {
    let error = S.error(
      "a 1 [000] 1.5: 1 cycles:\n\tffffffff81000130 f+0x1 ([kernel.kallsyms])\n\nthis is not a header\n")
    #expect(error?.position == SourcePosition(file: "t.txt", line: 4, column: 1))
    #expect(error?.expected.hasPrefix("a perf script sample header") == true)
  }

  @Test func truncatedSampleAtEndOfInput() {
    let error = S.error("a 1 [000] 1.5: 1 cycles:\n\tffffffff81000130 f+0x1 ([kernel.kal")
    #expect(error?.position.line == 2)
    #expect(error?.expected.contains("sample that starts on line 1") == true)
  }

  @Test func sampleEndingWithoutBlankLineAtEndIsComplete() throws {
    #expect(
      try S.parse("a 1 [000] 1.5: 1 cycles:\n\tffffffff81000130 f+0x1 ([kernel.kallsyms])\n").totalWeight == 1
    )
  }

  @Test func mixedFormatsBpftraceInPerf() {
    let error = S.error(
      "a 1 [000] 1.5: 1 cycles:\n\tffffffff81000130 f+0x1 ([kernel.kallsyms])\n\n@[\n    f+1\n]: 3\n")
    #expect(error?.position.line == 4)
  }

  @Test func binaryGarbage() {
    let bytes: [UInt8] = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
    var reader = LineReader(bytes: bytes, name: "garbage.bin")
    var builder = ProfileBuilder()
    #expect(throws: ParseError.self) {
      try PerfScriptParser().parse(&reader, into: &builder, options: ParseOptions(sourceName: "garbage.bin"))
    }
    var lenientReader = LineReader(bytes: bytes, name: "garbage.bin")
    var lenientBuilder = ProfileBuilder()
    #expect(throws: Never.self) {
      try PerfScriptParser().parse(
        &lenientReader, into: &lenientBuilder, options: ParseOptions(sourceName: "garbage.bin", lenient: true)
      )
    }
    #expect(lenientBuilder.profile.skipped.records > 0)
  }

  @Test func emptyInputGivesAnEmptyProfile() throws {
    let profile = try S.parse("")
    #expect(profile.samples.isEmpty)
    #expect(try S.parse("\n\n# only a comment\n").samples.isEmpty)
  }

  @Test func hugeLineIsReadOrRefusedNeverCrashes() throws {
    let sym = String(repeating: "x", count: 3 << 20)
    let profile = try S.parse("a 1 [000] 1.5: 1 cycles:\n\tffffffff81000130 \(sym) ([kernel.kallsyms])\n\n")
    #expect(profile.frames[0].symbol.utf8.count == 3 << 20)
    var reader = LineReader(
      bytes: Array("a 1 [000] 1.5: 1 cycles:\n\t\(sym)\n".utf8), name: "big", maxLineLength: 1 << 20)
    var builder = ProfileBuilder()
    #expect(throws: ParseError.self) {
      try PerfScriptParser().parse(&reader, into: &builder, options: ParseOptions(sourceName: "big"))
    }
  }

  @Test func lenientSkipsBadRecordsAndCountsTheirWeight() throws {
    let text =
      "a 1 [000] 1.5: 10 cycles:\n\tffffffff81000130 f+0x1 ([kernel.kallsyms])\n\n"
      + "garbage header\n\tffffffff81000130 f+0x1 ([kernel.kallsyms])\n\n"
      + "b 2 [000] 1.7: 30 cycles:\n\tffffffff81000130 f+0x1 ([kernel.kallsyms])\n\tnot-a-frame!\n\n"
      + "c 3 [000] 1.8: 40 cycles:\n\tffffffff81000130 f+0x1 ([kernel.kallsyms])\n\n"
      + "d 3 [000] 1.9: 50 cycles:\n\tffffffff81000130 f+0x1 ([kernel.kal"
    let profile = try S.parse(text, lenient: true, weight: .period)
    #expect(profile.totalWeight == 50)
    #expect(profile.skipped.records == 3)
    // The bad header's period is unknown; the spoiled samples weigh 30 and 50.
    #expect(profile.skipped.weight == 80)
    #expect(profile.skipped.examples.map(\.position.line) == [4, 9, 15])
    let counted = try S.parse(text, lenient: true)
    #expect(counted.totalWeight == 2)
    #expect(counted.skipped.weight == 3)
  }
}

@Suite struct PerfFormatDetectionTests {
  @Test func perfScriptShapesAreDetected() throws {
    let fixtures = PerfTestSupport.fixtures + "perf/"
    for name in ["perf-script-sample.txt", "shapes.txt"] {
      let text = try String(contentsOfFile: fixtures + name, encoding: .utf8)
      #expect(FormatDetector.detect(Array(text.utf8.prefix(64 << 10))) == .perfScript, "\(name)")
    }
    let noCallchains =
      "perf 12 [000] 1.5: 1 cycles:  ffffffff81000130 f+0x1 ([kernel.kallsyms])\n"
      + "qemu 13 [001] 1.6: 1 kvm:kvm_exit: reason HLT rip 0x1\n"
    #expect(FormatDetector.detect(Array(noCallchains.utf8)) == .perfScript)
    #expect(FormatDetector.detect(Array("a;b;c 12\nd 1\n".utf8)) == .folded)
  }
}

@Suite struct PerfTracepointPayloadTests {
  @Test func payloadThatLooksLikeAFrameIsDroppedWhenACallchainFollows() throws {
    let text =
      "qemu 7 [001] 1.5: 1 kvm:kvm_x: 0 a (b)\n\tffffffff81000130 f+0x1 ([kernel.kallsyms])\n\n"
      + "qemu 7 [001] 1.6: 1 cycles:  ffffffff81000131 g+0x2 ([kernel.kallsyms])\n"
    let profile = try PerfTestSupport.parse(text)
    #expect(
      PerfTestSupport.describe(profile) == [
        "event=kvm:kvm_x,comm=qemu: f+0x1[kernel [kernel.kallsyms]] 1",
        "event=cycles,comm=qemu: g+0x2[kernel [kernel.kallsyms]] 1",
      ])
  }
}
