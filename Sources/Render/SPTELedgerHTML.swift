import StackFold
import TDPTable

/// The SPTE ledger section of the HTML page (`report --html` on a `record --spte` capture): the
/// kind × level table for all origins, then one per origin path, heaviest first, each with its
/// splits and flushes, the same cells `report --spte` prints.
enum SPTELedgerHTML {
  static func section(_ ledger: SPTELedger) -> String {
    var out = "<section id=\"spte\"><h2>SPTE changes by kind and level</h2>\n"
    out += "<p>\(ledger.total) SPTE changes in \(ledger.stacks) stacks, \(ledger.origins.count) origins"
    if ledger.skippedEntries > 0 {
      out += "; --lenient skipped \(ledger.skippedEntries) bad entries (\(ledger.skippedWeight) changes)"
    }
    out += "</p>\n"
    out += "<h3>All origins: \(ledger.total)</h3>\n"
    out += table(
      ledger.counts, levels: ledger.levels, events: ledger.events, order: ledger.eventOrder,
      splits: ledger.splits)
    for origin in ledger.origins {
      out += "<h3>\(Escaping.html(origin.label)): \(origin.total)"
      out += " (\(SPTELedgerText.percent(share(origin.total, of: ledger.total))))</h3>\n"
      out += table(
        origin.counts, levels: ledger.levels, events: origin.events, order: ledger.eventOrder,
        splits: origin.splits)
    }
    return out + SPTEOperationsText.html(ledger) + "</section>\n"
  }

  static func share(_ part: UInt64, of total: UInt64) -> Double {
    total == 0 ? 0 : Double(part) * 100 / Double(total)
  }

  /// Rows: the kinds with changes in `SPTETransition.Kind` order, then the splits and flushes
  /// (`also`); columns: the levels and a total.
  static func table(
    _ counts: [SPTELedger.Cell: UInt64], levels: [Int], events: [String: UInt64], order: [String],
    splits: [SPTELedger.Split: UInt64]
  ) -> String {
    let kinds = SPTETransition.Kind.allCases.filter { kind in
      counts.contains { $0.key.kind == kind && $0.value > 0 }
    }
    let also = order.compactMap { name in events[name].map { (name, $0) } }.filter { $0.1 > 0 }
    guard !kinds.isEmpty || !also.isEmpty else { return "" }
    var out = "<table class=\"spte\">\n<tr><th>kind</th>"
    for level in levels { out += "<th class=\"n\">\(Escaping.html(SPTECaptureKey.levelName(level)))</th>" }
    out += "<th class=\"n\">total</th></tr>\n"
    for kind in kinds {
      let cells = levels.map { counts[SPTELedger.Cell(kind: kind, level: $0)] ?? 0 }
      out += "<tr><td>\(Escaping.html(kind.rawValue))</td>"
      for cell in cells { out += "<td class=\"n\">\(cell)</td>" }
      out += "<td class=\"n\">\(cells.reduce(0, &+))</td></tr>\n"
    }
    for (name, count) in also {
      let detail = name == SPTELedgerText.splitEvent ? SPTELedgerText.splitBreakdown(splits) : ""
      out += "<tr class=\"also\"><td>also: \(Escaping.html(name))</td>"
      out +=
        "<td colspan=\"\(levels.count)\">\(Escaping.html(detail))</td><td class=\"n\">\(count)</td></tr>\n"
    }
    return out + "</table>\n"
  }
}
