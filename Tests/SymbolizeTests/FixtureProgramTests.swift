import Foundation
import StackFold
import Symbolize
import Testing
import TraceParse

/// The C fixture (`fixtures/inline/nested.c`, `gcc -O2 -g`): always_inline and single-caller
/// static functions nested three deep, checked against binutils' `addr2line -f -i`.
@Suite struct FixtureProgramTests {
  let exe: String
  let symbols: [String: Fixtures.ELFSymbol]

  init() throws {
    exe = try Fixtures.nestedBinary.get()
    symbols = try Fixtures.functionSymbols(object: exe)
  }

  /// Every byte offset of every function, both as the top frame (the address itself) and as a
  /// return address (address - 1): the same chain, in the same order, as addr2line.
  @Test func everyOffsetMatchesAddr2line() throws {
    let symbolizer = DwarfSymbolizer(objects: [("nested", exe)])
    #expect(symbolizer.warnings.isEmpty)
    var checked = 0
    var deepest = 0
    for name in ["outer", "sink", "main"] {
      let symbol = try #require(symbols[name])
      for isReturnAddress in [false, true] {
        let offsets = isReturnAddress ? Array(1...symbol.size) : Array(0..<symbol.size)
        let addresses = offsets.map { symbol.value + $0 - (isReturnAddress ? 1 : 0) }
        let expected = try Fixtures.addr2line(object: exe, addresses: addresses)
        try #require(expected.count == offsets.count)
        for (offset, reference) in zip(offsets, expected) {
          let got = try symbolizer.scopes(symbol: name, offset: offset, isReturnAddress: isReturnAddress)
            .get()
            .scopes.reversed()
          let label = "\(name)+\(offset) return=\(isReturnAddress)"
          #expect(got.map(\.function) == reference.map(\.function), "\(label)")
          #expect(got.map(\.line) == reference.map(\.line), "\(label)")
          #expect(
            got.map { Fixtures.basename($0.file) } == reference.map { Fixtures.basename($0.file) }, "\(label)"
          )
          #expect(got.last?.isInlined == false && got.dropLast().allSatisfy(\.isInlined), "\(label)")
          deepest = max(deepest, got.count)
          checked += 1
        }
      }
    }
    #expect(checked > 200)
    #expect(deepest == 4)  // outer -> level1 -> level2 -> level3
  }

  @Test func callAtTheEndOfAnInlinedBlockUsesAddressMinusOne() throws {
    let symbolizer = DwarfSymbolizer(objects: [("nested", exe)])
    // outer+26 is the return address of level3's call to sink(); the next instruction is
    // already level3's `^ 0x55`, but the call itself must be attributed to its line.
    let asReturn = try symbolizer.scopes(symbol: "outer", offset: 26, isReturnAddress: true).get().scopes
    #expect(asReturn.map(\.function) == ["outer", "level1", "level2", "level3"])
    #expect(asReturn.last?.line == 18)
  }

  /// Stacks as the bpftrace parser builds them (bare `func+off`, decimal, kind unknown) and as
  /// the perf parser builds them (hex offsets, the DSO, runtime addresses, kind user).
  @Test func bpftraceAndPerfStacksExpandInOrder() throws {
    let outer = try #require(symbols["outer"])
    let main = try #require(symbols["main"])
    let sink = try #require(symbols["sink"])
    // Find a return address inside main after the call to outer, from the disassembly.
    let callSites = try callReturnOffsets(in: "main", to: "outer")
    let mainOffset = try #require(callSites.first)
    let outerOffsets: [UInt64] = [26, 31, 36, 51]

    var builder = ProfileBuilder()
    for (index, outerOffset) in outerOffsets.enumerated() {
      let bpftraceStack = [
        Frame(symbol: "main", offset: FrameOffset(mainOffset, base: .decimal)),
        Frame(symbol: "outer", offset: FrameOffset(outerOffset, base: .decimal)),
        Frame(symbol: "sink", offset: FrameOffset(0, base: .decimal)),
      ]
      try builder.add(
        frames: bpftraceStack, labels: Labels([.init("probe", "uprobe:sink")]), weight: UInt64(10 + index))
      let base: UInt64 = 0x5555_5555_4000
      let perfStack = [
        Frame(
          symbol: "main", offset: FrameOffset(mainOffset, base: .hex), module: exe,
          address: base + main.value + mainOffset, kind: .user),
        Frame(
          symbol: "outer", offset: FrameOffset(outerOffset, base: .hex), module: exe,
          address: base + outer.value + outerOffset, kind: .user),
        Frame(
          symbol: "sink", offset: FrameOffset(1, base: .hex), module: exe, address: base + sink.value + 1,
          kind: .user),
      ]
      try builder.add(
        frames: perfStack, labels: Labels([.init("event", "cycles")]), weight: UInt64(100 + index))
    }
    // A perf frame with no symbol stays as it was and is counted.
    try builder.add(
      frames: [Frame(symbol: "[unknown]", module: exe, address: 0x1234, kind: .user)],
      labels: Labels([.init("event", "cycles")]), weight: 7)
    let input = builder.build()

    var symbolizer = DwarfSymbolizer(objects: [("nested", exe)])
    let (output, report) = InlineExpander().expand(input, with: &symbolizer)
    #expect(output.totalWeight == input.totalWeight)
    #expect(output.samples.count == input.samples.count)
    #expect(output.samples.map(\.weight) == input.samples.map(\.weight))

    for (before, after) in zip(input.samples, output.samples) {
      let frames = input.frames(of: before)
      var expected: [String] = []
      var expectedKinds: [FrameKind] = []
      for (position, frame) in frames.enumerated() {
        guard let offset = frame.offset, let symbol = symbols[frame.symbol] else {
          expected.append(frame.symbol)
          expectedKinds.append(frame.kind)
          continue
        }
        let isLeaf = position == frames.count - 1
        let address = symbol.value + offset.value - (isLeaf ? 0 : 1)
        let chain = try Fixtures.addr2line(object: exe, addresses: [address])[0].reversed()
        expected.append(frame.symbol)
        expectedKinds.append(frame.kind)
        for level in chain.dropFirst() {
          expected.append(level.function)
          expectedKinds.append(.inlined)
        }
      }
      let got = output.frames(of: after)
      #expect(got.map(\.symbol) == expected)
      #expect(got.map(\.kind) == expectedKinds)
      // The out-of-line frame keeps its offset in the base the input used.
      #expect(got.filter { $0.kind != .inlined }.map(\.offset) == frames.map(\.offset))
    }
    let first = output.frames(of: output.samples[0]).map(\.symbol)
    #expect(first.suffix(5) == ["outer", "level1", "level2", "level3", "sink"])
    #expect(report.unresolved.count == 1)
    #expect(report.unresolved.first?.reason == "raw address without symbol (needs kallsyms)")
    #expect(report.unresolved.first?.weight == 7)
    #expect(output.notes.contains { $0.contains("raw address without symbol") })
  }

  /// `srcline` puts file:line on every frame of a chain: the call site for outer levels.
  @Test func srclineFollowsCallSites() throws {
    var symbolizer = DwarfSymbolizer(objects: [("nested", exe)], srcline: true)
    let frame = Frame(symbol: "outer", offset: FrameOffset(26, base: .decimal))
    let resolved = symbolizer.chain(for: frame, isReturnAddress: true)
    let chain = try #require(resolved)
    #expect(
      chain.map { $0.srcline.flatMap(Fixtures.basename) } == [
        "nested.c:34", "nested.c:29", "nested.c:23", "nested.c:18",
      ])
  }

  /// Return offsets (after the call instruction) of calls from `function` to `callee`.
  private func callReturnOffsets(in function: String, to callee: String) throws -> [UInt64] {
    let symbol = try #require(symbols[function])
    let out = try Fixtures.run([
      "objdump", "-d", "--no-show-raw-insn", "--disassemble=\(function)", exe,
    ]).stdout
    var offsets: [UInt64] = []
    let lines = out.split(separator: "\n")
    for (index, line) in lines.enumerated() where line.contains("call") && line.contains("<\(callee)>") {
      guard index + 1 < lines.count else { continue }
      let next = lines[index + 1].trimmingCharacters(in: .whitespaces)
      guard let colon = next.firstIndex(of: ":"), let address = UInt64(next[..<colon], radix: 16) else {
        continue
      }
      offsets.append(address - symbol.value)
    }
    return offsets
  }

  /// perf `-F +srcline` already lists inlined frames: they and their out-of-line frame are
  /// kept as they are, not expanded a second time.
  @Test func framesTheInputAlreadyExpandedAreKept() throws {
    var builder = ProfileBuilder()
    let stack = [
      Frame(symbol: "outer", offset: FrameOffset(26, base: .hex), module: exe, kind: .user),
      Frame(symbol: "level1", kind: .inlined, srcline: "nested.c:29"),
      Frame(symbol: "sink", offset: FrameOffset(1, base: .hex), module: exe, kind: .user),
    ]
    try builder.add(frames: stack, labels: Labels(), weight: 5)
    let input = builder.build()
    var symbolizer = DwarfSymbolizer(objects: [("nested", exe)])
    let (output, report) = InlineExpander().expand(input, with: &symbolizer)
    #expect(output.frames(of: output.samples[0]) == stack)
    #expect(report.inlinedFrames == 0)
    #expect(output.totalWeight == 5)
  }
}
