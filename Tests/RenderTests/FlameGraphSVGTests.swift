import Foundation
import StackFold
import TestSupport
import Testing
import TraceParse

@testable import Render

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Parses `text` as XML; returns the parser error, or nil when well-formed.
func xmlError(_ text: String) -> String? {
  let parser = XMLParser(data: Data(text.utf8))
  return parser.parse() ? nil : String(describing: parser.parserError)
}

@Suite struct FlameGraphSVGTests {
  @Test func seedGraphMatchesGolden() throws {
    let profile = try GraphFixtures.profile(file: "fixtures/graphs/seed.folded")
    let svg = FlameGraphSVG().document(profile, standalone: true)
    try TDPFixture.expectGolden(svg, "fixtures/expected/graphs/seed.svg")
    #expect(xmlError(svg) == nil)
  }

  @Test func icicleWithTitleWidthAndPercentMinWidthMatchesGolden() throws {
    let profile = try GraphFixtures.profile(file: "fixtures/graphs/seed.folded")
    let options = FlameGraphOptions(
      title: "TDP MMU <seed>", width: 800, minWidth: .percent(1), inverted: true)
    let svg = FlameGraphSVG(options: options).document(profile, standalone: true)
    try TDPFixture.expectGolden(svg, "fixtures/expected/graphs/seed-icicle.svg")
    #expect(svg.contains("<text class=\"fg-title\" x=\"400\" y=\"24\">TDP MMU &lt;seed&gt;</text>"))
    // 1% of 780 px is 7.8 px: the 54 (root load) and 2192 (init_sp) stacks are pruned and said so.
    #expect(svg.contains("frames narrower than 1% not shown (2,246 samples, 0.21%)"))
    #expect(xmlError(svg) == nil)
  }

  @Test func hostileNamesAreEscapedAndWellFormed() throws {
    let profile = try GraphFixtures.profile(file: "fixtures/hostile/hostile.folded")
    let svg = FlameGraphSVG().document(profile, standalone: true)
    try TDPFixture.expectGolden(svg, "fixtures/expected/graphs/hostile.svg")
    #expect(xmlError(svg) == nil)
    #expect(!svg.contains("<script>alert"))
    #expect(!svg.contains("<img"))
    #expect(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    // Exactly one CDATA end per CDATA section (style and script): no name ends one early.
    #expect(svg.components(separatedBy: "]]>").count - 1 == 2)
  }

  @Test func everyWeightIsDrawnOrCountedAsPruned() throws {
    let profile = try GraphFixtures.profile(file: "fixtures/graphs/seed.folded")
    for px in [0.0, 0.1, 1, 5, 50, 2000] {
      let tree = CallTree(profile: profile)
      let layout = FlameGraphLayout(tree: tree, plotWidth: 1180, minPixels: px)
      // Each leaf-ward path ends either drawn or inside a pruned subtree: the drawn roots'
      // children plus pruned weight equal the drawn parents' totals.
      var drawnChildWeight: [Int: UInt64] = [:]
      let drawn = Set(layout.boxes.map(\.node))
      for box in layout.boxes where box.node != 0 {
        drawnChildWeight[tree.nodes[box.node].parent!, default: 0] += tree.nodes[box.node].totalWeight
      }
      var pruned: UInt64 = 0
      for box in layout.boxes {
        let node = tree.nodes[box.node]
        let childTotal = node.children.reduce(UInt64(0)) { $0 + tree.nodes[$1].totalWeight }
        pruned += childTotal - (drawnChildWeight[box.node] ?? 0)
      }
      if drawn.isEmpty { pruned = tree.totalWeight }
      #expect(pruned == layout.prunedWeight, "minwidth \(px)")
    }
  }

  @Test func emptyProfileRendersAValidGraph() throws {
    let svg = FlameGraphSVG().document(Profile(), standalone: true)
    #expect(svg.contains("No samples"))
    #expect(xmlError(svg) == nil)
  }

  @Test func minWidthParsing() {
    #expect(MinWidth(parsing: "0.1") == .pixels(0.1))
    #expect(MinWidth(parsing: "2px") == .pixels(2))
    #expect(MinWidth(parsing: "0.5%") == .percent(0.5))
    #expect(MinWidth(parsing: "-1") == nil)
    #expect(MinWidth(parsing: "abc") == nil)
  }

  @Test func labelsAreCutOnCharactersNotBytes() {
    #expect(FlameGraphWriter.label("kvm_tdp_mmu_map", chars: 2) == "")
    #expect(FlameGraphWriter.label("kvm_tdp_mmu_map", chars: 6) == "kvm_..")
    #expect(FlameGraphWriter.label("äöü<>&xyz", chars: 5) == "äöü..")
    #expect(FlameGraphWriter.label("short", chars: 50) == "short")
  }

  @Test func kvmFramesAreRecognised() {
    #expect(FlameGraphPalette.isKVMModule("kvm"))
    #expect(FlameGraphPalette.isKVMModule("[kvm_intel]"))
    #expect(FlameGraphPalette.isKVMModule("/lib/modules/6.1/kernel/arch/x86/kvm/kvm-amd.ko"))
    #expect(!FlameGraphPalette.isKVMModule("ext4"))
    #expect(FlameGraphPalette.category(of: Frame(symbol: "tdp_mmu_init_sp"), name: "tdp_mmu_init_sp") == .kvm)
    #expect(
      FlameGraphPalette.category(of: Frame(symbol: "kthread", kind: .kernel), name: "kthread") == .kernel)
    #expect(
      FlameGraphPalette.category(of: Frame(symbol: "foo", module: "kvm", kind: .module), name: "foo") == .kvm)
    #expect(
      FlameGraphPalette.category(
        of: Frame(symbol: "mmu_notifier_release", kind: .kernel), name: "mmu_notifier_release")
        == .kernel)
    #expect(FlameGraphPalette.category(of: Frame(symbol: "main", kind: .user), name: "main") == .user)
    #expect(FlameGraphPalette.category(of: Frame(symbol: "f", kind: .inlined), name: "f") == .inlined)
  }
}
