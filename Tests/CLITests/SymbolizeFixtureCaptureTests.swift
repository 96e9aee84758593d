import Foundation
import Testing

/// The C fixture (`fixtures/inline/nested.c`, `gcc -O2 -g`) through the real parsers: a perf
/// script capture naming `func+0xoff (dso)` with runtime addresses, and a bpftrace capture
/// naming bare `func+off`; `fold` must give, frame by frame, the chains addr2line gives.
@Suite struct SymbolizeFixtureCaptureTests {
  /// Root-first (symbol, offset) stacks with their counts.
  static let stacks: [(frames: [(String, UInt64)], count: UInt64)] = [
    ([("main", 20), ("outer", 26), ("sink", 0)], 5),
    ([("main", 20), ("outer", 31), ("sink", 1)], 3),
    ([("main", 20), ("outer", 36), ("sink", 0)], 2),
    ([("main", 20), ("outer", 51), ("sink", 0)], 7),
    ([("main", 20), ("outer", 0)], 11),
  ]

  /// The folded lines addr2line predicts: each frame, then what was inlined into it at that
  /// address (address - 1 below the top frame), outermost first.
  static func expectedFold(exe: String) throws -> Set<String> {
    let symbols = try SymbolizeCLI.functionAddresses(object: exe)
    var weights: [String: UInt64] = [:]
    for stack in stacks {
      var names: [String] = []
      for (index, (symbol, offset)) in stack.frames.enumerated() {
        let isLeaf = index == stack.frames.count - 1
        let address = try #require(symbols[symbol]) + offset - (isLeaf ? 0 : 1)
        let chain = try SymbolizeCLI.addr2lineChain(object: exe, address: address)
        names.append(symbol)
        // Inlined callees are marked `_[i]` in folded output, as flame graph tools expect.
        names += chain.dropFirst().map { $0 + "_[i]" }
      }
      // Offsets are dropped when folding, so stacks that differ only in them merge.
      weights[names.joined(separator: ";"), default: 0] += stack.count
    }
    return Set(weights.map { "\($0.key) \($0.value)" })
  }

  @Test func perfCapture() throws {
    let exe = try #require(SymbolizeCLI.nested)
    let symbols = try SymbolizeCLI.functionAddresses(object: exe)
    let base: UInt64 = 0x5555_5555_4000
    var text = ""
    for (number, stack) in Self.stacks.enumerated() {
      text += "nested  1234 [000] 12345.\(100000 + number):     250000 cpu-clock:pppH: \n"
      for (symbol, offset) in stack.frames.reversed() {
        let address = base + symbols[symbol]! + offset
        text += "\t    \(String(address, radix: 16)) \(symbol)+0x\(String(offset, radix: 16)) (\(exe))\n"
      }
      text += "\n"
    }
    // perf counts samples: repeat each record `count` times.
    var capture = ""
    for (number, stack) in Self.stacks.enumerated() {
      let record = text.components(separatedBy: "\n\n")[number] + "\n\n"
      capture += String(repeating: record, count: Int(stack.count))
    }
    // perf input folds as stackcollapse-perf.pl by default (comm root, periods, no `_[i]`):
    // these flags ask for the bpftrace-like stacks the expectation is written in.
    let got = try Self.foldMatchesExpected(
      capture, file: "nested-perf.txt", exe: exe,
      flags: ["--root", "none", "--annotate", "inline", "--weight", "samples"])
    #expect(got.contains { $0.contains("outer;level1_[i];level2_[i];level3_[i];sink") })
  }

  @Test func bpftraceCapture() throws {
    let exe = try #require(SymbolizeCLI.nested)
    var capture = "Attaching 1 probe...\n\n\n"
    for stack in Self.stacks {
      capture += "@[\n"
      for (symbol, offset) in stack.frames.reversed() { capture += "    \(symbol)+\(offset)\n" }
      capture += "]: \(stack.count)\n"
    }
    // bpftrace does not name the object: the frames are looked up in every object given.
    try Self.foldMatchesExpected(capture, file: "nested-bpftrace.txt", exe: exe)
  }

  /// Writes `capture` to the scratch directory, folds it with the fixture's debuginfo, and
  /// expects exactly the lines `expectedFold` derives from addr2line. Returns the lines.
  @discardableResult
  static func foldMatchesExpected(
    _ capture: String, file: String, exe: String, flags: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> Set<String> {
    let path = SymbolizeCLI.scratch + "/" + file
    try Data(capture.utf8).write(to: URL(fileURLWithPath: path))
    let out = try SymbolizeCLI.tdptrace(["fold"] + flags + ["--module", "nested=\(exe)", path])
    #expect(out.status == 0, sourceLocation: sourceLocation)
    #expect(out.stderr == "", sourceLocation: sourceLocation)
    let got = Set(out.stdout.split(separator: "\n").map(String.init))
    let expected = try expectedFold(exe: exe)
    #expect(
      got == expected, "got \(got.sorted()) expected \(expected.sorted())", sourceLocation: sourceLocation)
    return got
  }
}
