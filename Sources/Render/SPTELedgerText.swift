import StackFold
import TDPTable
import TraceParse

/// `report --spte`: the SPTE ledger as text (one kind × level table for all origins, then one per
/// origin, heaviest first) or JSON (the same cells, every origin).
public struct SPTELedgerText: Sendable {
  public var format: TDPSummaryText.Format

  public init(format: TDPSummaryText.Format = .text) { self.format = format }

  public func render(_ ledger: SPTELedger) -> [UInt8] {
    switch format {
    case .text: return Array(text(ledger).utf8)
    case .json: return Self.json(ledger).document
    }
  }

  func text(_ ledger: SPTELedger) -> String {
    var out = "SPTE changes: \(ledger.total) in \(ledger.stacks) stacks, \(ledger.origins.count) origins"
    if ledger.skippedEntries > 0 {
      out += "; --lenient skipped \(ledger.skippedEntries) bad entries (\(ledger.skippedWeight) changes)"
    }
    out += "\n\nall origins: \(ledger.total)\n"
    out += Self.table(ledger.counts, levels: ledger.levels)
    out += Self.events(ledger.events, order: ledger.eventOrder, splits: ledger.splits)
    for origin in ledger.origins {
      let share = ledger.total == 0 ? 0 : Double(origin.total) * 100 / Double(ledger.total)
      out += "\n\(TDPSummaryText.printable(origin.label)): \(origin.total) (\(Self.percent(share)))\n"
      if !origin.counts.isEmpty { out += Self.table(origin.counts, levels: ledger.levels) }
      out += Self.events(origin.events, order: ledger.eventOrder, splits: origin.splits)
    }
    return out + SPTEOperationsText.text(ledger)
  }

  /// The split tracepoint's event name, whose row carries the splits by level and result.
  static let splitEvent = SPTECaptureKey.splitTracepoint.event

  /// `(2M: 11, 2M -ENOMEM: 1)`, or "" without splits by level.
  static func splitBreakdown(_ splits: [SPTELedger.Split: UInt64]) -> String {
    guard !splits.isEmpty else { return "" }
    return "("
      + splits.sorted { $0.key < $1.key }.map { "\($0.key.label): \($0.value)" }.joined(separator: ", ") + ")"
  }

  /// The splits and flushes under a table, in table order: `  also  kvm_flush_remote_tlbs  5`,
  /// the split row followed by its levels and results.
  static func events(_ events: [String: UInt64], order: [String], splits: [SPTELedger.Split: UInt64] = [:])
    -> String
  {
    let rows = order.compactMap { name in events[name].map { (name, $0) } }.filter { $0.1 > 0 }
    guard !rows.isEmpty else { return "" }
    let nameWidth = rows.map { TDPSummaryText.printable($0.0).count }.max() ?? 0
    let countWidth = rows.map { String($0.1).count }.max() ?? 0
    return rows.map { name, count in
      let printable = TDPSummaryText.printable(name)
      let number = String(count)
      let detail =
        name == splitEvent && !splits.isEmpty ? "  " + TDPSummaryText.printable(splitBreakdown(splits)) : ""
      return "  also  " + printable.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
        + String(repeating: " ", count: countWidth - number.count) + number + detail + "\n"
    }.joined()
  }

  static func eventsJSON(_ events: [String: UInt64], order: [String]) -> JSONValue {
    .object(order.compactMap { name in events[name].map { (name, .int($0)) } })
  }

  static func splitsJSON(_ splits: [SPTELedger.Split: UInt64]) -> JSONValue {
    .array(
      splits.sorted { $0.key < $1.key }.map { split, count in
        .object([
          ("level", .string(SPTECaptureKey.levelName(split.level))), ("result", .string(split.result)),
          ("splits", .int(count)),
        ])
      })
  }

  static func percent(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)%"
  }

  /// Rows: the kinds with changes, in `SPTETransition.Kind` order; columns: the levels and a total.
  static func table(_ counts: [SPTELedger.Cell: UInt64], levels: [Int]) -> String {
    let kinds = SPTETransition.Kind.allCases.filter { kind in
      counts.contains { $0.key.kind == kind && $0.value > 0 }
    }
    let kindWidth = max(4, kinds.map(\.rawValue.count).max() ?? 0)
    let header = levels.map(SPTECaptureKey.levelName) + ["total"]
    var rows: [[String]] = []
    for kind in kinds {
      let cells = levels.map { counts[SPTELedger.Cell(kind: kind, level: $0)] ?? 0 }
      rows.append(cells.map { String($0) } + [String(cells.reduce(0, &+))])
    }
    let widths = header.indices.map { column in
      max(header[column].count, rows.map { $0[column].count }.max() ?? 0)
    }
    func line(_ first: String, _ cells: [String]) -> String {
      var text = "  " + first.padding(toLength: kindWidth, withPad: " ", startingAt: 0)
      for (cell, width) in zip(cells, widths) {
        text += "  " + String(repeating: " ", count: width - cell.count) + cell
      }
      return text + "\n"
    }
    var out = line("kind", header)
    for (kind, row) in zip(kinds, rows) { out += line(kind.rawValue, row) }
    return out
  }

  static func cells(_ counts: [SPTELedger.Cell: UInt64]) -> JSONValue {
    .array(
      counts.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { cell, count in
        .object([
          ("kind", .string(cell.kind.rawValue)), ("level", .string(SPTECaptureKey.levelName(cell.level))),
          ("changes", .int(count)),
        ])
      })
  }

  static func json(_ ledger: SPTELedger) -> JSONValue {
    .object([
      ("total", .int(ledger.total)), ("stacks", .int(UInt64(ledger.stacks))),
      ("skippedEntries", .int(UInt64(ledger.skippedEntries))), ("skippedChanges", .int(ledger.skippedWeight)),
      ("cells", cells(ledger.counts)), ("events", eventsJSON(ledger.events, order: ledger.eventOrder)),
      ("splits", splitsJSON(ledger.splits)),
      (
        "origins",
        .array(
          ledger.origins.map { origin in
            .object([
              ("origin", .string(origin.origin.rawValue)), ("label", .string(origin.label)),
              ("total", .int(origin.total)), ("cells", cells(origin.counts)),
              ("events", eventsJSON(origin.events, order: ledger.eventOrder)),
              ("splits", splitsJSON(origin.splits)),
            ])
          })
      ),
      ("operations", SPTEOperationsText.json(ledger)),
    ])
  }
}
