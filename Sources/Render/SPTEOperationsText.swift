import StackFold
import TDPTable
import TraceParse

/// `report --spte`'s per-operation ledger (`SPTELedger.operations`): one row per operation, the
/// ones that returned with zapped leaves unflushed first, then the heaviest; JSON lists every one.
enum SPTEOperationsText {
  /// Rows the text shows besides the flagged operations; the rest are counted in one line.
  static let shownRows = 20

  /// The rows in report order: flagged first, then by changes, then by id.
  static func ordered(_ operations: [SPTEOperation]) -> [SPTEOperation] {
    operations.sorted { a, b in
      if a.unflushedZap != b.unflushedZap { return a.unflushedZap }
      if a.changes != b.changes { return a.changes > b.changes }
      return a.id < b.id
    }
  }

  /// The heaviest cells of an operation, `freeze 4K 6144, write-protect 4K 3072`, at most three.
  static func kinds(_ op: SPTEOperation) -> String {
    let cells = op.counts.filter { $0.value > 0 }.sorted { a, b in
      a.value != b.value ? a.value > b.value : a.key < b.key
    }
    var parts = cells.prefix(3).map {
      "\($0.key.kind.rawValue) \(SPTECaptureKey.levelName($0.key.level)) \($0.value)"
    }
    if cells.count > 3 { parts.append("…") }
    return parts.joined(separator: ", ")
  }

  /// The rows both the text and the HTML show, unescaped: a summary line, the header, one row
  /// per shown operation, and the lines after the table.
  struct Table {
    var summary: String
    var header: [String]
    var rows: [[String]]
    var notes: [String]
    /// The columns printed right-aligned.
    static let numeric: Set<Int> = [3, 4, 6, 7, 8, 9, 10, 11]
  }

  /// nil when the capture lists no operations.
  static func table(_ ledger: SPTELedger) -> Table? {
    let operations = ledger.operations
    guard !operations.isEmpty || !ledger.changesOfUnlistedOperations.isEmpty else { return nil }
    let flagged = operations.filter(\.unflushedZap)
    var byOrigin: [String: Int] = [:]
    for op in operations { byOrigin[op.originLabel, default: 0] += 1 }
    let origins = byOrigin.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
      .map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    let inOps = operations.reduce(UInt64(0)) { $0 &+ $1.entryChanges }
    let summary =
      "operations: \(operations.count) (\(origins)); \(inOps) of \(ledger.total) changes inside them; "
      + "\(flagged.count) returned with zapped present leaves no remote TLB flush followed"
    let ordered = ordered(operations)
    let shown = ordered.prefix { $0.unflushedZap } + ordered.drop { $0.unflushedZap }.prefix(shownRows)
    let header = [
      "op", "root", "origin", "pid", "tid", "comm", "duration", "changes", "zapped", "unflushed", "splits",
      "flushes", "kinds",
    ]
    let rows = shown.map { op in
      [
        SPTECaptureKey.opToken(op.id), op.root, op.originLabel, String(op.pid), String(op.tid), op.comm,
        op.duration.map { Durations.text(Double($0)) } ?? SPTECaptureKey.runningToken, String(op.changes),
        String(op.leafZaps), op.unflushedZap ? "\(op.unflushed) !" : String(op.unflushed),
        String(op.splitCount),
        String(op.flushes), kinds(op),
      ]
    }
    var notes: [String] = []
    if operations.count > shown.count {
      notes.append(
        "… \(operations.count - shown.count) more operations (report --spte --json lists every one)")
    }
    if !ledger.changesOfUnlistedOperations.isEmpty {
      let changes = ledger.changesOfUnlistedOperations.values.reduce(0, &+)
      notes.append(
        "\(ledger.changesOfUnlistedOperations.count) operations have changes (\(changes)) and no @spte_op entry (ops_full)"
      )
    }
    return Table(summary: summary, header: header, rows: rows, notes: notes)
  }

  static func text(_ ledger: SPTELedger) -> String {
    guard let table = table(ledger) else { return "" }
    let rows = table.rows.map { $0.map(TDPSummaryText.printable) }
    let widths = table.header.indices.map { column in
      max(table.header[column].count, rows.map { $0[column].count }.max() ?? 0)
    }
    // Text columns left-aligned, numbers right-aligned; the last column is not padded.
    func line(_ cells: [String]) -> String {
      var parts: [String] = []
      for (column, cell) in cells.enumerated() {
        let pad = String(repeating: " ", count: widths[column] - cell.count)
        parts.append(
          column == cells.count - 1 ? cell : Table.numeric.contains(column) ? pad + cell : cell + pad)
      }
      var text = "  " + parts.joined(separator: "  ")
      while text.last == " " { text.removeLast() }
      return text + "\n"
    }
    var out = "\n" + TDPSummaryText.printable(table.summary) + "\n" + line(table.header)
    for row in rows { out += line(row) }
    for note in table.notes { out += "  " + note + "\n" }
    return out
  }

  static func html(_ ledger: SPTELedger) -> String {
    guard let table = table(ledger) else { return "" }
    var out =
      "<h3>Operations: \(ledger.operations.count)</h3>\n<p>\(Escaping.html(table.summary))</p>\n<table class=\"spte\">\n<tr>"
    for (column, name) in table.header.enumerated() {
      out += Table.numeric.contains(column) ? "<th class=\"n\">" : "<th>"
      out += Escaping.html(name) + "</th>"
    }
    out += "</tr>\n"
    for row in table.rows {
      out += "<tr>"
      for (column, cell) in row.enumerated() {
        out += (Table.numeric.contains(column) ? "<td class=\"n\">" : "<td>") + Escaping.html(cell) + "</td>"
      }
      out += "</tr>\n"
    }
    out += "</table>\n"
    for note in table.notes { out += "<p>\(Escaping.html(note))</p>\n" }
    return out
  }

  static func json(_ ledger: SPTELedger) -> JSONValue {
    .array(
      ledger.operations.map { op in
        .object([
          ("op", .int(UInt64(op.id))), ("root", .string(op.root)), ("origin", .string(op.origin.rawValue)),
          ("label", .string(op.originLabel)), ("pid", .int(op.pid)), ("tid", .int(op.tid)),
          ("comm", .string(op.comm)), ("startNs", .int(op.start)),
          ("durationNs", op.duration.map { .int($0) } ?? .raw("null")), ("changes", .int(op.changes)),
          ("splits", .int(op.splitCount)), ("flushes", .int(op.flushes)), ("leafZaps", .int(op.leafZaps)),
          ("unflushed", .int(op.unflushed)), ("unflushedZap", .raw(op.unflushedZap ? "true" : "false")),
          ("cells", SPTELedgerText.cells(op.counts)), ("splitsByLevel", SPTELedgerText.splitsJSON(op.splits)),
        ])
      })
  }
}
