/// flamegraph.pl's consistent palette (`--cp`): `function->rgb(r,g,b)` lines in `palette.map`,
/// read before drawing and written back, sorted, with every function the graph colored, so a
/// function keeps its color across graphs drawn from the same directory.
public struct PaletteMap: Sendable, Hashable {
  /// The file flamegraph.pl uses, in the working directory.
  public static let defaultPath = "palette.map"

  public private(set) var colors: [String: String] = [:]

  public init(colors: [String: String] = [:]) { self.colors = colors }

  /// Reads the text of a palette map as flamegraph.pl does: `key->value` per line (split at
  /// the first `->`); a line without `->` maps the whole line to nothing and is skipped.
  public init(parsing text: String) {
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
      guard let arrow = line.range(of: "->") else { continue }
      colors[String(line[..<arrow.lowerBound])] = String(line[arrow.upperBound...])
    }
  }

  /// The color of `name`, computing (and remembering) it with `make` when it is new.
  public mutating func color(_ name: String, make: () -> String) -> String {
    if let known = colors[name] { return known }
    let color = make()
    colors[name] = color
    return color
  }

  /// The file's text: `key->value` lines sorted by key (bytes), as flamegraph.pl writes it.
  public var text: String {
    colors.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { "\($0)->\(colors[$0]!)\n" }
      .joined()
  }
}
