import Render
import StackFold
import Testing
import TraceParse

/// `--cp`: the palette map reads and writes as flamegraph.pl's palette.map, and a graph drawn
/// with one keeps known colors and adds the new ones.
@Suite struct PaletteMapTests {
  @Test func readsAndWritesFlamegraphPlsFormat() {
    let map = PaletteMap(parsing: "main->rgb(1,2,3)\nbad line\nf->g->rgb(4,5,6)\n")
    #expect(map.colors == ["main": "rgb(1,2,3)", "f": "g->rgb(4,5,6)"])
    #expect(map.text == "f->g->rgb(4,5,6)\nmain->rgb(1,2,3)\n")
  }

  @Test func aGraphKeepsKnownColorsAndRecordsNewOnes() throws {
    var builder = ProfileBuilder()
    try builder.add(frames: [Frame(symbol: "main"), Frame(symbol: "work")], labels: Labels(), weight: 3)
    var options = FlameGraphOptions()
    options.colors = .hot
    options.paletteMap = PaletteMap(colors: ["main": "rgb(1,2,3)"])
    let (svg, palette) = FlameGraphSVG(options: options).documentAndPalette(builder.build())
    #expect(svg.contains("fill=\"rgb(1,2,3)\""))
    let map = try #require(palette)
    #expect(map.colors["main"] == "rgb(1,2,3)")
    #expect(map.colors["work"] == FlameGraphColors.hot.color(name: "work", hash: false))
    #expect(map.colors[""] != nil)  // flamegraph.pl colors its root, the empty name, too
  }

  /// flamegraph.pl's default color for a name is perl's rand seeded with the name's byte sum.
  @Test func hotMatchesFlamegraphPl() {
    // perl -e 'srand(unpack("%32W*","main")); my $v = rand(1); printf "rgb(%d,%d,%d)\n",
    //   205 + int(50 * $v), int(230 * $v), int(55 * $v)'
    #expect(FlameGraphColors.hot.color(name: "main", hash: false) == "rgb(243,179,42)")
  }
}
