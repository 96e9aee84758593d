import StackFold

/// The text table that goes with a differential flame graph: the functions whose share of
/// the total changed most, with exact counts on both sides.
public struct DiffTable {
  /// How many functions to list; nil lists all.
  public var limit: Int?

  public init(limit: Int? = 20) { self.limit = limit }

  public func render(_ diff: ProfileDiff) -> String {
    var out = ""
    out +=
      "before: \(FlameGraphNumbers.grouped(diff.beforeTotal))  after: \(FlameGraphNumbers.grouped(diff.afterTotal))"
    if diff.normalized { out += "  (deltas with before normalized to after's total)" }
    out += "\n"
    let shown = limit.map { Array(diff.functions.prefix($0)) } ?? diff.functions
    out += "Functions whose share of the total changed most"
    out += shown.count < diff.functions.count ? " (top \(shown.count) of \(diff.functions.count)):\n" : ":\n"
    let header = ["share before", "share after", "change", "before", "after", "delta", "function"]
    var rows: [[String]] = []
    for f in shown {
      let d = diff.delta(before: f.beforeTotal, after: f.afterTotal)
      let delta: String
      if diff.normalized {
        delta = FlameGraphNumbers.signedGrouped(d)
      } else {
        let magnitude =
          f.afterTotal >= f.beforeTotal ? f.afterTotal - f.beforeTotal : f.beforeTotal - f.afterTotal
        delta = (f.afterTotal >= f.beforeTotal ? "+" : "-") + FlameGraphNumbers.grouped(magnitude)
      }
      let change = f.shareChange * 100
      rows.append([
        FlameGraphNumbers.fixed2(f.beforeShare * 100) + "%",
        FlameGraphNumbers.fixed2(f.afterShare * 100) + "%",
        (change >= 0 ? "+" : "") + FlameGraphNumbers.fixed2(change) + " pp",
        FlameGraphNumbers.grouped(f.beforeTotal),
        FlameGraphNumbers.grouped(f.afterTotal),
        delta,
        f.name + (f.beforeTotal == 0 ? "  [new]" : f.afterTotal == 0 ? "  [gone]" : ""),
      ])
    }
    var widths = header.map(\.count)
    for row in rows {
      for (i, cell) in row.enumerated().dropLast() { widths[i] = max(widths[i], cell.count) }
    }
    func line(_ cells: [String]) -> String {
      var s = ""
      for (i, cell) in cells.enumerated() {
        if i == cells.count - 1 {
          s += cell
        } else {
          s += String(repeating: " ", count: widths[i] - cell.count) + cell + "  "
        }
      }
      return s + "\n"
    }
    out += line(header)
    for row in rows { out += line(row) }
    return out
  }
}
