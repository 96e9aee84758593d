import Foundation
import StackFold
import Testing
import TraceParse

@testable import Render

@Suite struct FlameGraphSVGTests {
  @Test func seedGraphMatchesGolden() throws {
    let profile = try GraphFixtures.profile(file: "fixtures/graphs/seed.folded")
    let svg = FlameGraphSVG().document(profile, standalone: true)
    try GraphFixtures.expectGolden(svg, "fixtures/expected/graphs/seed.svg")
  }
}
