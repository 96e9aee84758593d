import Foundation
import TestSupport
import Testing

/// Bad input through the CLI: a clear error naming file and line, a non-zero exit, never a crash
/// or a hang; `--lenient` skips and says how much.
@Suite struct BadInputCLITests {
  func run(_ args: [String], file bytes: [UInt8], suffix: String = ".txt") throws -> (
    CLIHarness.Result, String
  ) {
    let path = try CLIHarness.temporaryFile(bytes, suffix: suffix)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return (try CLIHarness.run(args + [path]), path)
  }

  @Test(arguments: ["fold", "report"])
  func emptyInputFails(command: String) throws {
    let (result, path) = try run([command], file: [])
    #expect(!result.crashed)
    #expect(result.status == 1)
    #expect(result.stderr.hasPrefix("tdptrace: \(path):1: expected "))
    #expect(result.stderr.contains("found no data (empty input)"))
    let (blank, _) = try run([command], file: Array("\n  \n".utf8))
    #expect(blank.status == 1)
    #expect(blank.stderr.contains("found only blank lines"))
    // With the format given, an empty input is an empty profile, not an error.
    let (given, _) = try run([command, "--input-format", "folded"], file: [])
    #expect(given.status == 0, "\(given.stderr)")
  }

  @Test func binaryGarbageFails() throws {
    var g: UInt64 = 0x1234_5678
    let bytes = (0..<4096).map { _ -> UInt8 in
      g = g &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return UInt8(truncatingIfNeeded: g >> 56)
    }
    for command in ["fold", "report"] {
      let (result, path) = try run([command], file: bytes)
      #expect(!result.crashed)
      #expect(result.status == 1)
      #expect(result.stderr.hasPrefix("tdptrace: \(path):"))
      #expect(result.stderr.contains("expected"))
      #expect(result.stdout.isEmpty)
    }
  }

  @Test func truncatedFileNamesTheLine() throws {
    let text = "Attaching 1 probe...\n\n@[\n    a+1\n    b+2\n]: 5\n@[\n    c+1\n"
    let (strict, path) = try run(["fold"], file: Array(text.utf8))
    #expect(strict.status == 1)
    #expect(strict.stderr.hasPrefix("tdptrace: \(path):8"))
    #expect(strict.stdout.isEmpty)

    let (lenient, _) = try run(["fold", "--lenient"], file: Array(text.utf8))
    #expect(lenient.status == 0)
    #expect(lenient.out == "b;a 5\n")
    #expect(lenient.stderr.contains("skipped 1 bad record"))

    let (report, _) = try run(["report", "--lenient"], file: Array(text.utf8))
    #expect(report.status == 0)
    #expect(report.out.contains("skipped (--lenient): 1 records, weight 0\n"))
  }

  @Test func badValueIsSkippedWithLenient() throws {
    let text = "Attaching 1 probe...\n@[\n  a\n]: notanumber\n@[\n  b\n]: 4\n"
    let (strict, path) = try run(["report"], file: Array(text.utf8))
    #expect(strict.status == 1)
    #expect(strict.stderr.hasPrefix("tdptrace: \(path):4:"))
    let (json, _) = try run(["report", "--json", "--lenient"], file: Array(text.utf8))
    #expect(json.status == 0)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any])
    let skipped = try #require(object["skipped"] as? [String: Any])
    #expect(skipped["records"] as? Int == 1)
    #expect(object["totalWeight"] as? Int == 4)
  }

  @Test func tenMegabyteLine() throws {
    let frame = String(repeating: "x", count: 10_000_000)
    let text = "Attaching 1 probe...\n\n@[\n    \(frame)+1\n    b+2\n]: 5\n"
    let (result, path) = try run(["fold"], file: Array(text.utf8))
    #expect(!result.crashed)
    if result.status == 0 {
      #expect(result.out == "b;\(frame) 5\n")
    } else {
      #expect(result.stderr.hasPrefix("tdptrace: \(path):4"))
      #expect(result.stderr.count < 1000, "the error quotes an excerpt, not the line")
    }
    let folded = "a;" + frame + " 3\n"
    let (asFolded, _) = try run(["fold", "--input-format", "folded"], file: Array(folded.utf8))
    #expect(asFolded.status == 0)
    #expect(asFolded.out == folded)
  }

  @Test func fileWithoutStacks() throws {
    let text = "Attaching 1 probe...\n\n@: 5\n@x[1]: 3\n"
    let (fold, _) = try run(["fold"], file: Array(text.utf8))
    #expect(fold.status == 0)
    #expect(fold.out.isEmpty)
    #expect(fold.stderr.contains("2 map values are not stacks"))
    let (report, _) = try run(["report"], file: Array(text.utf8))
    #expect(report.status == 0)
    #expect(report.out.contains("(no stack samples)"))
    #expect(report.out.contains("map values (not stacks):\n"))
  }

  @Test func missingFileAndUsage() throws {
    let missing = try CLIHarness.run(["fold", "/nonexistent/trace.txt"])
    #expect(missing.status == 1)
    #expect(missing.stderr == "tdptrace: /nonexistent/trace.txt: No such file or directory\n")
    let none = try CLIHarness.run(["fold"])
    #expect(none.status == 64)
    let badSelect = try CLIHarness.run(["fold", "--select", "nokey", "x"])
    #expect(badSelect.status == 64)
  }
}

/// `report --spte` and `diff --spte` on what is not a `record --spte` capture, or on one with a bad
/// class token: exit 1 with the input and the entry named; `--lenient` skips and counts.
@Suite struct SPTELedgerBadInputCLITests {
  static let bad = "fixtures/spte/spte-bad-class.txt"

  @Test func badClassTokenFailsNamingInputAndEntry() throws {
    let path = TDPFixture.url(Self.bad).path
    let result = try CLIHarness.run(["report", "--spte", path])
    #expect(!result.crashed)
    #expect(result.status == 1)
    #expect(
      result.stderr.hasPrefix(
        "tdptrace: \(path): @spte[tracepoint:kvmmmu:kvm_tdp_mmu_spte_changed, 4K, PLWQDX--"))
    #expect(result.stderr.contains("the old class is not 8 letters of PLWADXMF or -"))
    let diff = try CLIHarness.run([
      "diff", "--spte", TDPFixture.url("fixtures/spte/spte-npt-before.txt").path, path,
    ])
    #expect(diff.status == 1)
    #expect(diff.stderr.hasPrefix("tdptrace: \(path): @spte["))
    let lenient = try CLIHarness.run(["report", "--spte", "--lenient", path])
    #expect(lenient.status == 0, "\(lenient.stderr)")
    #expect(
      String(decoding: lenient.stdout, as: UTF8.self).contains(
        "--lenient skipped 1 bad entries (512 changes)"))
  }

  /// An OP member that is neither `op<N>` nor `-`: exit 1 naming the input and the member;
  /// `--lenient` skips the entry with its weight, and the operation loses only that change.
  @Test func badOPMemberFailsNamingInputAndMember() throws {
    let path = TDPFixture.url("fixtures/spte/spte-bad-op.txt").path
    let result = try CLIHarness.run(["report", "--spte", path])
    #expect(!result.crashed && result.status == 1)
    #expect(
      result.stderr
        == "tdptrace: \(path): @spte[tracepoint:kvmmmu:kvm_tdp_mmu_spte_changed, ..., opx, ...]: the OP member is not op<N> or - (--lenient skips such entries)\n"
    )
    let lenient = try CLIHarness.run(["report", "--spte", "--lenient", "--json", path])
    #expect(lenient.status == 0, "\(lenient.stderr)")
    let json = String(decoding: lenient.stdout, as: UTF8.self)
    #expect(json.contains("\"skippedEntries\": 1"), "\(json)")
  }

  @Test func aCaptureWithoutFaultHistogramsFailsAndAZeroThresholdIsRefused() throws {
    let path = TDPFixture.url("fixtures/seed/tdp_mmu-notes.txt").path
    let result = try CLIHarness.run(["report", "--faults", path])
    #expect(!result.crashed && result.status == 1)
    #expect(result.stderr == "tdptrace: \(path): no @fault_ns histograms: not a record --faults capture\n")
    let zero = try CLIHarness.run(["report", "--faults", "--stuck-retries", "0", path])
    #expect(zero.status != 0 && zero.stderr.contains("--stuck-retries must be at least 1"), "\(zero.stderr)")
    let unread = try CLIHarness.run(["report", "--by", "vm", path])
    #expect(unread.status != 0 && unread.stderr.contains("--by"), "\(unread.stderr)")
  }

  @Test func aCaptureWithoutLockWaitsFailsAndAMalformedWaitIsCounted() throws {
    let path = TDPFixture.url("fixtures/seed/tdp_mmu-notes.txt").path
    let result = try CLIHarness.run(["report", "--mmu-lock", path])
    #expect(!result.crashed && result.status == 1)
    #expect(
      result.stderr == "tdptrace: \(path): no @mmu_lock_wait_ns histograms: not a record --mmu-lock capture\n"
    )
    let both = try CLIHarness.run(["report", "--mmu-lock", "--faults", path])
    #expect(both.status != 0, "\(both.stderr)")
    // A wait whose key lacks the vCPU member (the layout before it) is left out and said so.
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tdptrace-lock-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let old = dir.appendingPathComponent("old.txt")
    try Data(
      """
      @mmu_lock_wait_ns[tracepoint:lock:contention_begin, 42, read, -, 
          direct_page_fault+848
      ]:
      [1K, 2K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

      @mmu_lock_wait_ns[tracepoint:lock:contention_begin, 42, 0, read, -, 
          direct_page_fault+848
      ]:
      [2K, 4K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

      """.utf8
    ).write(to: old)
    let counted = try CLIHarness.run(["report", "--mmu-lock", old.path])
    #expect(counted.status == 0, "\(counted.stderr)")
    let text = String(decoding: counted.stdout, as: UTF8.self)
    #expect(text.contains("VM 42: 1 wait, "), "\(text)")
    #expect(
      text.contains("note: 1 @mmu_lock_wait_ns entries have no VM, vCPU, mode and holder and are left out"),
      "\(text)")
  }

  @Test func aCaptureWithoutSpteEntriesFails() throws {
    let path = TDPFixture.url("fixtures/seed/tdp_mmu-notes.txt").path
    let result = try CLIHarness.run(["report", "--spte", path])
    #expect(result.status == 1)
    #expect(result.stderr.contains("no @spte[...] entries"))
    #expect(result.stderr.contains("record --spte"))
  }
}
