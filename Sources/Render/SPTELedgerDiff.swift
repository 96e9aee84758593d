import StackFold
import TDPTable

/// `diff --spte`: two SPTE ledgers side by side, one line per (origin, kind, level) cell that
/// either side has, with both counts and the change, as cover letters write "131072 flushes → 76".
/// All origins first, then each origin of either side, the heaviest AFTER first.
public struct SPTELedgerDiff: Sendable {
  public init() {}

  public func render(before: SPTELedger, after: SPTELedger) -> [UInt8] {
    var out =
      "SPTE changes: before \(before.total), after \(after.total) (\(Self.delta(before.total, after.total)))\n"
    let order = after.eventOrder + before.eventOrder.filter { !after.eventOrder.contains($0) }
    out +=
      "\nall origins\n"
      + Self.table(before.counts, after.counts, events: (before.events, after.events), order: order)
    // Origins are matched by their label: `other` ones by their top frames too.
    var labels: [String] = after.origins.map(\.label)
    for origin in before.origins where !labels.contains(origin.label) { labels.append(origin.label) }
    for label in labels {
      let b = before.origins.first { $0.label == label }
      let a = after.origins.first { $0.label == label }
      let bt = b?.total ?? 0
      let at = a?.total ?? 0
      out += "\n\(TDPSummaryText.printable(label)): \(bt) → \(at) (\(Self.delta(bt, at)))\n"
      out += Self.table(
        b?.counts ?? [:], a?.counts ?? [:], events: (b?.events ?? [:], a?.events ?? [:]), order: order)
    }
    return Array(out.utf8)
  }

  static func delta(_ before: UInt64, _ after: UInt64) -> String {
    after >= before ? "+\(after - before)" : "-\(before - after)"
  }

  /// The cells either side has, then the splits and flushes (`also NAME`) either side has, in
  /// `order`, as "131072 flushes → 76" reads.
  static func table(
    _ before: [SPTELedger.Cell: UInt64], _ after: [SPTELedger.Cell: UInt64],
    events: (before: [String: UInt64], after: [String: UInt64]) = ([:], [:]), order: [String] = []
  ) -> String {
    let cells = Set(before.keys).union(after.keys).filter { (before[$0] ?? 0) + (after[$0] ?? 0) > 0 }
      .sorted()
    let header = ["kind", "level", "before", "after", "change"]
    var rows = cells.map { cell -> [String] in
      let b = before[cell] ?? 0
      let a = after[cell] ?? 0
      return [cell.kind.rawValue, SPTECaptureKey.levelName(cell.level), String(b), String(a), delta(b, a)]
    }
    for name in order {
      let b = events.before[name] ?? 0
      let a = events.after[name] ?? 0
      if a + b > 0 {
        rows.append(["also " + TDPSummaryText.printable(name), "", String(b), String(a), delta(b, a)])
      }
    }
    let widths = header.indices.map { column in
      max(header[column].count, rows.map { $0[column].count }.max() ?? 0)
    }
    func line(_ row: [String]) -> String {
      var text = "  " + row[0].padding(toLength: widths[0], withPad: " ", startingAt: 0)
      text += "  " + row[1].padding(toLength: widths[1], withPad: " ", startingAt: 0)
      for column in 2..<row.count {
        text += "  " + String(repeating: " ", count: widths[column] - row[column].count) + row[column]
      }
      return text + "\n"
    }
    return ([header] + rows).map(line).joined()
  }
}
