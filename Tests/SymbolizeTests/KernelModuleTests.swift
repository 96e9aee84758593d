import Foundation
import StackFold
import Symbolize
import Testing
import TraceParse

/// Real kernel code: Debian's kvm.ko 6.1.0-50-amd64 with DWARF and the bpftrace capture taken
/// on that kernel under QEMU, where the TDP MMU really ran.
@Suite struct KernelModuleTests {
  let ko: String
  let capture: Profile

  init() throws {
    ko = try Fixtures.kvmModule.get()
    capture = try ProfileLoader(format: .bpftrace).load(
      path: Fixtures.path("bpftrace/qemu-tdp-bpftrace-kprobe-kstack.txt"))
  }

  @Test func issueExamples() throws {
    let symbolizer = DwarfSymbolizer(objects: [("kvm", ko)])
    #expect(symbolizer.warnings.isEmpty)
    func names(_ symbol: String, _ offset: UInt64) throws -> [String] {
      try symbolizer.scopes(symbol: symbol, offset: offset, isReturnAddress: true).get().scopes.map {
        $0.function + ($0.isInlined ? " (inlined)" : "")
      }
    }
    #expect(
      try names("__handle_changed_spte", 1549) == [
        "__handle_changed_spte", "handle_removed_pt (inlined)", "handle_changed_spte (inlined)",
      ])
    // GCC's DWARF has kvm_mmu_load inlined into its own out-of-line copy here; addr2line
    // shows the same three levels.
    #expect(
      try names("kvm_mmu_load", 1566) == [
        "kvm_mmu_load", "kvm_mmu_load (inlined)", "mmu_alloc_direct_roots (inlined)",
      ])
    #expect(try names("kvm_tdp_mmu_zap_all", 59) == ["kvm_tdp_mmu_zap_all", "tdp_mmu_zap_root (inlined)"])
  }

  /// Every kvm.ko frame of the capture, at its position (top frame: the address; others:
  /// address - 1), against `addr2line -f -i` on the same file.
  @Test func everyCaptureFrameMatchesAddr2line() throws {
    let symbols = try Fixtures.functionSymbols(object: ko)
    let symbolizer = DwarfSymbolizer(objects: [("kvm", ko)])
    struct Position: Hashable {
      var symbol: String
      var offset: UInt64
      var isReturnAddress: Bool
    }
    var positions: Set<Position> = []
    for sample in capture.samples {
      for (index, frame) in capture.frames(of: sample).enumerated() {
        positions.insert(
          Position(
            symbol: frame.symbol, offset: frame.offset!.value,
            isReturnAddress: index != sample.stack.count - 1))
      }
    }
    var kvmChecked = 0
    var otherChecked = 0
    var inlinedSeen = 0
    // addr2line reads all of kvm.ko's DWARF per run: one run per section, not per frame.
    var bySection: [String: [(Position, UInt64)]] = [:]
    for position in positions.sorted(by: { ($0.symbol, $0.offset) < ($1.symbol, $1.offset) }) {
      let got = symbolizer.scopes(
        symbol: position.symbol, offset: position.offset, isReturnAddress: position.isReturnAddress)
      guard let symbol = symbols[position.symbol] else {
        // Not in kvm.ko: vmlinux frames stay as they were.
        guard case .failure(let why) = got else {
          Issue.record("\(position.symbol) resolved without being in kvm.ko")
          continue
        }
        #expect(why.reason == "symbol not in any loaded debuginfo")
        otherChecked += 1
        continue
      }
      let address = symbol.value + position.offset - (position.isReturnAddress ? 1 : 0)
      bySection[symbol.section, default: []].append((position, address))
    }
    for (section, entries) in bySection {
      let references = try Fixtures.addr2line(object: ko, addresses: entries.map(\.1), section: section)
      try #require(references.count == entries.count)
      for ((position, _), reference) in zip(entries, references) {
        let chain = try symbolizer.scopes(
          symbol: position.symbol, offset: position.offset, isReturnAddress: position.isReturnAddress
        ).get().scopes.reversed()
        let label = "\(position.symbol)+\(position.offset)"
        #expect(chain.map(\.function) == reference.map(\.function), "\(label)")
        #expect(chain.map(\.line) == reference.map(\.line), "\(label)")
        // binutils 2.40 prefixes the relative compilation directory
        // (`debian/build/build_amd64_none_amd64/arch/...`); libdw names the file as the line
        // table does (`arch/...`), as the addr2line output in the capture notes does.
        let sameFiles = zip(chain, reference).allSatisfy { ours, theirs in
          guard let file = ours.file else { return false }
          return theirs.file == file || theirs.file.hasSuffix("/" + file)
        }
        #expect(sameFiles, "\(label): \(chain.map(\.file)) vs \(reference.map(\.file))")
        inlinedSeen += chain.count - 1
        kvmChecked += 1
      }
    }
    #expect(kvmChecked >= 40)
    #expect(otherChecked >= 10)
    #expect(inlinedSeen >= 20)
  }

  /// Expanding the whole capture keeps every count, and reports the vmlinux frames it could not
  /// expand once, with their reason.
  @Test func captureExpansionKeepsEveryCount() throws {
    var symbolizer = DwarfSymbolizer(objects: [("kvm", ko)])
    let (expanded, report) = InlineExpander().expand(capture, with: &symbolizer)
    #expect(expanded.totalWeight == capture.totalWeight)
    #expect(expanded.samples.count == capture.samples.count)
    #expect(expanded.samples.map(\.weight) == capture.samples.map(\.weight))
    #expect(report.inlinedFrames > 0)
    #expect(report.unresolved.map(\.object) == ["[unknown object]"])
    #expect(expanded.notes.count == 1)
    // Out-of-line frames are all still there, in order, with their offsets.
    for (before, after) in zip(capture.samples, expanded.samples) {
      #expect(expanded.frames(of: after).filter { $0.kind != .inlined } == capture.frames(of: before))
    }
  }

  /// Expected from the input alone: the weight of the samples with
  /// `__handle_changed_spte+1549` below the top, the frame that inlines `handle_removed_pt`.
  func weightInliningHandleRemovedPT() -> UInt64 {
    var weight: UInt64 = 0
    for sample in capture.samples
    where capture.frames(of: sample).dropLast().contains(where: {
      $0.symbol == "__handle_changed_spte" && $0.offset?.value == 1549
    }) {
      weight += sample.weight
    }
    return weight
  }

  /// The recursion in the seed notes: `__handle_changed_spte` calls itself through
  /// `handle_removed_pt` and `handle_changed_spte`, which the compiler inlined. After
  /// expansion the inlined function is a call-tree node of its own with the right counts.
  @Test func inlinedFunctionGetsItsOwnCallTreeNode() throws {
    var symbolizer = DwarfSymbolizer(objects: [("kvm", ko)])
    let (expanded, _) = InlineExpander().expand(capture, with: &symbolizer)
    let expected = weightInliningHandleRemovedPT()
    #expect(expected > 0)
    let tree = CallTree(profile: expanded)
    var total: UInt64 = 0
    for (index, node) in tree.nodes.enumerated() where node.name == "handle_removed_pt" {
      #expect(node.kind == .inlined)
      #expect(tree.nodes[node.parent!].name == "__handle_changed_spte")
      #expect(tree.nodes[tree.nodes[index].children.first!].name == "handle_changed_spte")
      // Count each sample once, at its outermost handle_removed_pt.
      if !tree.path(to: node.parent!).contains("handle_removed_pt") { total += node.totalWeight }
    }
    #expect(total == expected)
  }

  /// What `report --callers handle_removed_pt` shows: the inlined function has its own view,
  /// called from `__handle_changed_spte` and calling `handle_changed_spte`, with the weight of
  /// exactly the samples whose frames inline it.
  @Test func callersOfAnInlinedFunction() throws {
    var symbolizer = DwarfSymbolizer(objects: [("kvm", ko)])
    let (expanded, _) = InlineExpander().expand(capture, with: &symbolizer)
    #expect(try CallersCallees.views(of: NamePattern("handle_removed_pt"), in: capture).isEmpty)
    let views = try CallersCallees.views(of: NamePattern("handle_removed_pt"), in: expanded)
    let view = try #require(views.first)
    #expect(views.count == 1)
    #expect(view.kind == .inlined)
    let expected = weightInliningHandleRemovedPT()
    #expect(view.totalWeight == expected)
    #expect(view.selfWeight == 0)
    #expect(view.callers.map(\.name) == ["__handle_changed_spte"])
    #expect(view.callers.first?.weight == expected)
    #expect(view.callees.map(\.name) == ["handle_changed_spte"])
    #expect(view.callees.first?.kind == .inlined)
  }
}
