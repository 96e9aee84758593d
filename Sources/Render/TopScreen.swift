import Foundation
import StackFold

/// What `tdptrace top` prints: a screen for the terminal, refreshed every interval, or plain
/// CSV lines for logs (`--batch`, after kvm_stat's `-l`/`--csv` logging mode). Names come from
/// the kernel's stacks and are escaped for the terminal in both.
public struct TopScreen: Sendable {
  /// The first line: what is attached and how it is filtered.
  public var title: String

  public init(title: String) { self.title = title }

  /// One refresh: the title, a column header and the rows, cut to `width` columns and
  /// `height` lines (the rows that do not fit are counted on the last line).
  public func screen(_ table: TopTable, clock: String, elapsed: Double, width: Int, height: Int) -> String {
    var lines: [String] = []
    lines.append(Self.terminal(title) + "   " + clock + String(format: "   %.0fs", elapsed) + "   q quits")
    lines.append(
      String(
        format: "%@ events/s over %.2fs, %@ since attach", Self.rate(table.events, table.seconds),
        table.seconds, String(table.total)))
    lines.append("")
    lines.append(
      Self.columns("EVENTS/S", "EVENTS", "TOTAL") + (table.timed ? "         P99" : "") + "  GROUP / PATH")
    let room = max(1, height - lines.count - 1)
    for (i, row) in table.rows.enumerated() {
      if i == room - 1 && table.rows.count > room {
        lines.append("  ... \(table.rows.count - i) more rows")
        break
      }
      let name = row.path.map { "  " + Self.terminal($0) } ?? Self.terminal(row.group)
      let p99 = table.timed ? " " + Self.pad(row.p99.map(Durations.text) ?? "-", 11) : ""
      lines.append(
        Self.columns(Self.rate(row.events, table.seconds), String(row.events), String(row.total)) + p99 + "  "
          + name)
    }
    return lines.map { Self.cut($0, width) }.joined(separator: "\n") + "\n"
  }

  /// The CSV header line; `timed` adds the p99 column (nanoseconds, empty when no call).
  public static func csvHeader(timed: Bool) -> String {
    "time,group,path,events,per_second,total" + (timed ? ",p99_ns" : "") + "\n"
  }

  /// One interval as CSV lines: every row, the group's own line with an empty path.
  public func csv(_ table: TopTable, clock: String) -> String {
    var out = ""
    for row in table.rows {
      let fields =
        [
          clock, row.group, row.path ?? "", String(row.events), Self.rate(row.events, table.seconds),
          String(row.total),
        ] + (table.timed ? [row.p99.map { String(format: "%.0f", $0) } ?? ""] : [])
      out += fields.map(Self.csvField).joined(separator: ",") + "\n"
    }
    return out
  }

  static func rate(_ events: UInt64, _ seconds: Double) -> String {
    String(format: "%.1f", seconds > 0 ? Double(events) / seconds : 0)
  }

  static func columns(_ a: String, _ b: String, _ c: String) -> String {
    [(a, 10), (b, 10), (c, 12)].map { pad($0.0, $0.1) }.joined(separator: " ")
  }

  /// Right-aligned in `width` columns.
  static func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
  }

  static func terminal(_ text: String) -> String {
    Escaping.terminal(text) { "\\x" + Escaping.hexByte(UInt8($0)) }
  }

  /// A field quoted when it holds a comma, a quote or a space at either end (RFC 4180), after
  /// terminal escaping, so a log line is one line.
  static func csvField(_ text: String) -> String {
    let safe = terminal(text)
    guard safe.contains(where: { $0 == "," || $0 == "\"" }) || safe.first == " " || safe.last == " " else {
      return safe
    }
    return "\"" + safe.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  /// At most `width` characters (grapheme clusters; names are escaped, so none is a control).
  static func cut(_ line: String, _ width: Int) -> String {
    line.count <= width ? line : String(line.prefix(max(0, width)))
  }
}
