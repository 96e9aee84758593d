import StackFold

/// The text table that goes with a differential flame graph: the functions whose share of
/// the total changed most, with exact counts on both sides.
public struct DiffTable {
  /// How many functions to list; nil lists all.
  public var limit: Int?

  public init(limit: Int? = 20) { self.limit = limit }

  /// Column names, the function last.
  public static let header = [
    "share before", "share after", "change", "before", "after", "delta", "function",
  ]

  /// The functions listed (at most `limit`), each with its cells in `header` order.
  public func rows(_ diff: ProfileDiff) -> [(function: ProfileDiff.Function, cells: [String])] {
    let shown = limit.map { Array(diff.functions.prefix($0)) } ?? diff.functions
    return shown.map { f in
      let d = diff.delta(before: f.beforeTotal, after: f.afterTotal)
      let delta: String
      if diff.normalized {
        delta = FlameGraphNumbers.signedGrouped(d / Double(diff.weightScale.unit))
      } else {
        let magnitude =
          f.afterTotal >= f.beforeTotal ? f.afterTotal - f.beforeTotal : f.beforeTotal - f.afterTotal
        delta =
          (f.afterTotal >= f.beforeTotal ? "+" : "-") + diff.weightScale.format(magnitude, grouped: true)
      }
      let change = f.shareChange * 100
      return (
        f,
        [
          FlameGraphNumbers.fixed2(f.beforeShare * 100) + "%",
          FlameGraphNumbers.fixed2(f.afterShare * 100) + "%",
          (change >= 0 ? "+" : "") + FlameGraphNumbers.fixed2(change) + " pp",
          diff.weightScale.format(f.beforeTotal, grouped: true),
          diff.weightScale.format(f.afterTotal, grouped: true),
          delta,
          TextReport.safe(f.name) + Self.marker(f),
        ]
      )
    }
  }

  /// `  [new]` or `  [gone]` for a function on one side only.
  static func marker(_ f: ProfileDiff.Function) -> String {
    f.beforeTotal == 0 ? "  [new]" : f.afterTotal == 0 ? "  [gone]" : ""
  }

  /// The totals line: both totals, and whether deltas are normalized.
  static func totals(_ diff: ProfileDiff) -> String {
    var out =
      "before: \(diff.weightScale.format(diff.beforeTotal, grouped: true))  after: \(diff.weightScale.format(diff.afterTotal, grouped: true))"
    if diff.normalized { out += "  (deltas with before normalized to after's total)" }
    return out
  }

  /// The caption: how many functions are listed of how many.
  static func caption(shown: Int, of total: Int) -> String {
    "Functions whose share of the total changed most" + (shown < total ? " (top \(shown) of \(total))" : "")
  }

  public func render(_ diff: ProfileDiff) -> String {
    let rows = rows(diff).map(\.cells)
    var out = Self.totals(diff) + "\n"
    out += Self.caption(shown: rows.count, of: diff.functions.count) + ":\n"
    var widths = Self.header.map(\.count)
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
    out += line(Self.header)
    for row in rows { out += line(row) }
    return out
  }
}
