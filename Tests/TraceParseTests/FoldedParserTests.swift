import Foundation
import Testing
import TraceParse

@Suite struct FoldedParserTests {
  typealias S = PerfTestSupport

  @Test func readsFramesCountsAnnotationsAndOffsets() throws {
    let text = try String(contentsOfFile: S.fixtures + "folded/annotated.folded", encoding: .utf8)
    let profile = try S.parse(text, parser: FoldedParser())
    #expect(profile.totalWeight == 447750 + 54 + 2192 + 3 + 465 + 7)
    #expect(profile.samples.count == 6)
    let first = profile.frames(of: profile.samples[0])
    #expect(first.first?.symbol == "entry_SYSCALL_64_after_hwframe")
    #expect(first.first?.kind == .kernel)
    #expect(first[6].symbol == "kvm_tdp_mmu_page_fault")
    #expect(first[6].kind == .inlined)
    let third = profile.frames(of: profile.samples[2])
    #expect(
      third.map { $0.name(keepOffset: true) } == [
        "kvmmmu:kvm_mmu_get_page", "kvm_tdp_mmu_map+0x35e", "tdp_mmu_init_sp+862",
      ])
    #expect(third[1].offset == FrameOffset(0x35e, base: .hex))
    #expect(third[2].offset == FrameOffset(862, base: .decimal))
    #expect(profile.frames(of: profile.samples[3]).last?.kind == .jit)
  }

  /// Printing the parsed frames back (name with offset, annotation from kind) gives the input.
  @Test func roundTripIsByteIdentical() throws {
    let text = try String(contentsOfFile: S.fixtures + "folded/annotated.folded", encoding: .utf8)
    let profile = try S.parse(text, parser: FoldedParser())
    var out = ""
    for sample in profile.samples {
      let names = profile.frames(of: sample).map { f -> String in
        let suffix = [FrameKind.kernel: "_[k]", .inlined: "_[i]", .jit: "_[j]"][f.kind] ?? ""
        return f.name(keepOffset: true) + suffix
      }
      out += names.joined(separator: ";") + " \(sample.weight)\n"
    }
    #expect(out == text)
  }

  @Test func duplicateLinesAggregate() throws {
    let profile = try S.parse("a;b 1\na;b 2\na 4\n\n", parser: FoldedParser())
    #expect(profile.samples.count == 2)
    #expect(profile.samples[0].weight == 3)
  }

  @Test func framesWithSpacesAndCountOnlyLines() throws {
    let profile = try S.parse("CPU 3/KVM;operator new(unsigned long) 5\n9\n", parser: FoldedParser())
    #expect(
      profile.frames(of: profile.samples[0]).map(\.symbol) == ["CPU 3/KVM", "operator new(unsigned long)"])
    #expect(profile.samples[1].stack.isEmpty)
    #expect(profile.totalWeight == 14)
  }

  @Test func leadingZeroOffsetsStayInTheName() throws {
    let profile = try S.parse("f+0x035e 1\ng+07 1\n", parser: FoldedParser())
    #expect(profile.frames.map(\.symbol) == ["f+0x035e", "g+07"])
  }

  @Test func badCount() {
    // Fractional counts are valid (FractionalWeightTests); a count with a letter is not.
    let error = S.error("a;b 1\na;b 1.5x\n", parser: FoldedParser())
    #expect(error?.position == SourcePosition(file: "t.txt", line: 2, column: 5))
    #expect(S.error("a;b\n", parser: FoldedParser())?.position.column == 1)
  }

  @Test func overflowIsRefusedNotWrapped() {
    let error = S.error("a 18446744073709551615\na 1\n", parser: FoldedParser())
    #expect(error?.position.line == 2)
    #expect(S.error("a 18446744073709551616\n", parser: FoldedParser())?.position.line == 1)
  }

  @Test func mixedFormatsAndGarbageAreErrorsOrCountedSkips() throws {
    #expect(S.error("a;b 1\n@[\n    f+1\n]: 3\n", parser: FoldedParser())?.position.line == 2)
    let lenient = try S.parse("a;b 1\n@[\n    f+1\n]: 3\nc 2\n", parser: FoldedParser(), lenient: true)
    // `]: 3` is a well-formed folded line (frame `]:`, count 3): folded input has no
    // structure beyond the line to tell it apart.
    #expect(lenient.totalWeight == 6)
    // `@[` and its indented frame line are one bad record, skipped once.
    #expect(lenient.skipped.records == 1)
    #expect(lenient.skipped.examples.map(\.position.line) == [2])
  }

  @Test func emptyInput() throws {
    #expect(try S.parse("", parser: FoldedParser()).samples.isEmpty)
  }
}
