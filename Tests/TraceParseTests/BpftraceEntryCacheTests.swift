import Testing

@testable import TraceParse

/// The entry cache (`BpftraceEntryCache`) must never change what a parse gives: a repeated entry
/// counted through it, and every shape that falls back to the frame-by-frame path, must give the
/// same model as a file where no entry repeats.
@Suite struct BpftraceEntryCacheTests {
  static func entry(_ frames: [String], _ tail: String, map: String = "@") -> String {
    "\(map)[\n" + frames.map { "    \($0)\n" }.joined() + tail + "\n"
  }

  /// Two `print(@)` intervals of the same stacks are summed, in order of first appearance.
  @Test func repeatedEntriesSum() throws {
    let a = ["kvm_tdp_mmu_map+123", "direct_page_fault+862", "kvm_mmu_page_fault+117"]
    let b = ["tdp_mmu_init_sp+10", "kvm_tdp_mmu_map+456"]
    let text =
      Self.entry(a, "]: 3") + Self.entry(b, "]: 4") + "\n" + Self.entry(b, "]: 40")
      + Self.entry(a, "]: 30")
    let profile = try BpftraceTestSupport.parse(text)
    #expect(profile.samples.map(\.weight) == [33, 44])
    #expect(profile.totalWeight == 77)
    #expect(
      profile.frames(of: profile.samples[0]).map(\.symbol)
        == ["kvm_mmu_page_fault", "direct_page_fault", "kvm_tdp_mmu_map"])
  }

  /// The same stack text in two maps is two samples with different labels.
  @Test func mapNameIsPartOfTheKey() throws {
    let a = ["kvm_tdp_mmu_map+123", "direct_page_fault+862"]
    let text =
      Self.entry(a, "]: 5", map: "@map") + Self.entry(a, "]: 7", map: "@zap")
      + Self.entry(a, "]: 1", map: "@map")
    let profile = try BpftraceTestSupport.parse(text)
    let maps = profile.samples.map { profile.labels(of: $0).entries.map(\.value) }
    #expect(maps == [["@map"], ["@zap"]])
    #expect(profile.samples.map(\.weight) == [6, 7])
  }

  /// A stack that is later the start of a tuple key, or has different indentation, or a blank
  /// line inside: each gives exactly what it gives without any repetition.
  @Test func otherShapesFallBack() throws {
    let a = ["kvm_tdp_mmu_map+123", "direct_page_fault+862"]
    let entries = [
      Self.entry(a, "]: 2"),
      Self.entry(a, ", qemu-kvm]: 3"),
      "@[\n        kvm_tdp_mmu_map+123\n        direct_page_fault+862\n]: 4\n",
      "@[\n    kvm_tdp_mmu_map+123\n\n    direct_page_fault+862\n]: 5\n",
      Self.entry(a, "]: 6"),
    ]
    let all = try BpftraceTestSupport.parse(entries.joined())
    #expect(all.samples.map(\.weight) == [17, 3])
    #expect(all.samples.map { all.labels(of: $0).entries.map(\.value) } == [["@"], ["@", "qemu-kvm"]])
    for sample in all.samples {
      #expect(all.frames(of: sample).map(\.symbol) == ["direct_page_fault", "kvm_tdp_mmu_map"])
    }
  }

  /// An overflowing count through the cache is still an error at its line, and with
  /// `--lenient` it is skipped with its weight counted.
  @Test func overflowOnARepeatedEntry() throws {
    let a = ["kvm_tdp_mmu_map+123"]
    let text = Self.entry(a, "]: 18446744073709551615") + Self.entry(a, "]: 2")
    #expect(throws: ParseError.self) { try BpftraceTestSupport.parse(text) }
    do {
      _ = try BpftraceTestSupport.parse(text)
    } catch {
      #expect(error.position.line == 6)
      #expect(error.expected == "a total weight that fits in UInt64")
    }
    let lenient = try BpftraceTestSupport.parse(text, lenient: true)
    #expect(lenient.totalWeight == 18_446_744_073_709_551_615)
    #expect(lenient.skipped.records == 1)
    #expect(lenient.skipped.weight == 2)
  }

  /// A repeated entry left open at end of input is still reported as truncated.
  @Test func truncatedRepeat() throws {
    let a = ["kvm_tdp_mmu_map+123", "direct_page_fault+862"]
    let text = Self.entry(a, "]: 2") + "@[\n    kvm_tdp_mmu_map+123\n"
    do {
      _ = try BpftraceTestSupport.parse(text)
      Issue.record("expected an error")
    } catch {
      #expect(error.position.line == 6)
      #expect(error.found == "'end of input'")
    }
    let lenient = try BpftraceTestSupport.parse(text, lenient: true)
    #expect(lenient.totalWeight == 2)
    #expect(lenient.skipped.records == 1)
  }

  /// A frame line over the length limit inside a repeated entry is still refused.
  @Test func longFrameLineInARepeat() throws {
    let a = ["kvm_tdp_mmu_map+123"]
    let long = String(repeating: "x", count: BpftraceTextParser.maxFrameLineLength + 1)
    let text = Self.entry(a, "]: 2") + Self.entry(["kvm_tdp_mmu_map+123", long], "]: 9")
    do {
      _ = try BpftraceTestSupport.parse(text)
      Issue.record("expected an error")
    } catch {
      #expect(error.position.line == 6)
      #expect(error.expected.hasPrefix("a frame line of at most"))
    }
    let lenient = try BpftraceTestSupport.parse(text, lenient: true)
    #expect(lenient.totalWeight == 2)
    #expect(lenient.skipped.weight == 9)
  }

  /// Entries after an echoed `^C`, after a histogram, and after a printf line are cached
  /// like any other.
  @Test func entriesAfterOtherLines() throws {
    let a = ["kvm_tdp_mmu_map+123", "direct_page_fault+862"]
    let text =
      "^C" + Self.entry(a, "]: 1") + "@h:\n[0, 1)    2 |@@|\n" + Self.entry(a, "]: 2") + "tick\n"
      + Self.entry(a, "]: 3") + "^C" + Self.entry(a, "]: 4")
    let profile = try BpftraceTestSupport.parse(text)
    #expect(profile.samples.map(\.weight) == [10])
    #expect(profile.values.map(\.map) == ["@h"])
  }

  /// A count skipped with `--lenient` leaves nothing to remember: the same text again is
  /// parsed (and skipped) again, not counted into another sample.
  @Test func skippedCountIsNotRemembered() throws {
    let max = "]: 18446744073709551615"
    let deeper = "@[\n        kvm_tdp_mmu_map+123\n]: "
    let text = Self.entry(["kvm_tdp_mmu_map+123"], max) + deeper + "2\n" + deeper + "3\n"
    let profile = try BpftraceTestSupport.parse(text, lenient: true)
    #expect(profile.samples.map(\.weight) == [18_446_744_073_709_551_615])
    #expect(profile.skipped.records == 2)
    #expect(profile.skipped.weight == 5)
  }
}
