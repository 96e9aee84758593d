import Symbolize
import Testing

/// The per-unit index behind `DebugObject.scopes(at:)` (`InlineTreeIndex`: pre-labelled address
/// segments, call sites and names per node) against libdw's own DIE walk (`dwarf_getscopes`,
/// as `eu-addr2line -i` does it) on Debian's kvm.ko. A segment labelled with the wrong node, a
/// tie between equal ranges broken the other way, or a wrong call site shows as a different
/// chain (names, files and lines).
@Suite struct InlineTreeIndexTests {
  let object: DebugObject

  init() throws {
    object = try DebugObject(name: "kvm", path: try Fixtures.kvmModule.get())
  }

  /// Compares the two paths at `offsets` of `symbol`; returns the addresses that differ and
  /// how many chains had inlined levels.
  private func compare(_ function: String, _ symbol: DebugObject.Symbol, offsets: [UInt64])
    -> (mismatches: [String], inlined: Int)
  {
    var mismatches: [String] = []
    var inlined = 0
    for offset in offsets where offset < symbol.size {
      let indexed = object.scopes(at: symbol.address + offset)
      let walked = object.scopesByDIEWalk(at: symbol.address + offset)
      if indexed != walked {
        mismatches.append(
          "\(function)+\(offset): \(String(describing: indexed)) vs \(String(describing: walked))")
      }
      if let indexed, indexed.count > 1 { inlined += 1 }
    }
    return (mismatches, inlined)
  }

  /// Every byte of functions with deep inlining in the TDP MMU's units (mmu.c, tdp_mmu.c).
  @Test func everyByteOfInlineHeavyFunctions() throws {
    var mismatches: [String] = []
    var inlined = 0
    for function in ["__handle_changed_spte", "kvm_mmu_load", "kvm_tdp_mmu_zap_all"] {
      guard case .found(let symbol) = object.symbol(named: function) else {
        Issue.record("\(function) not in kvm.ko")
        continue
      }
      let result = compare(function, symbol, offsets: Array(0..<symbol.size))
      mismatches += result.mismatches
      inlined += result.inlined
    }
    #expect(mismatches.isEmpty, "\(mismatches.count) differ, first: \(mismatches.prefix(5))")
    #expect(inlined >= 500)
  }

  /// Every function of kvm.ko at its first byte, a quarter, the middle and its last byte: every
  /// unit's index is built and checked at its functions' edges and insides.
  @Test func fourOffsetsOfEveryFunction() throws {
    let symbols = try Fixtures.functionSymbols(object: try Fixtures.kvmModule.get())
    var mismatches: [String] = []
    var inlined = 0
    var checked = 0
    for (name, elf) in symbols.sorted(by: { $0.key < $1.key }) where elf.section == ".text" {
      // Names libdwfl's table also holds as another symbol are refused by both paths alike.
      guard case .found(let symbol) = object.symbol(named: name), symbol.size > 0 else { continue }
      let size = symbol.size
      let result = compare(name, symbol, offsets: [0, size / 4, size / 2, size - 1])
      mismatches += result.mismatches
      inlined += result.inlined
      checked += 1
    }
    #expect(mismatches.isEmpty, "\(mismatches.count) differ, first: \(mismatches.prefix(5))")
    #expect(checked >= 1800)
    #expect(inlined >= 1000)
  }
}
