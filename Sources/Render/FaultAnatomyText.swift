import Foundation
import StackFold
import TDPTable

/// `report --faults`: the fault anatomy as text (a block per vCPU or VM: its faults, rate, fast
/// path, retries and levels, then latency percentiles by outcome) or JSON (the same numbers,
/// latencies in nanoseconds).
public struct FaultAnatomyText: Sendable {
  public var format: TDPSummaryText.Format

  public init(format: TDPSummaryText.Format = .text) { self.format = format }

  public func render(_ anatomy: FaultAnatomy) -> [UInt8] {
    switch format {
    case .text: return Array(text(anatomy).utf8)
    case .json: return Self.json(anatomy).document
    }
  }

  /// The percentiles of each outcome's row.
  static let percentiles: [(label: String, p: Double)] = [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)]

  static func percent(_ part: UInt64, of whole: UInt64) -> String {
    whole == 0 ? "-" : String(format: "%.1f%%", Double(part) * 100 / Double(whole))
  }

  static func rate(_ anatomy: FaultAnatomy, _ count: UInt64) -> String? {
    anatomy.rate(count).map { String(format: "%.1f/s", $0) }
  }

  static func levels(_ levels: [String: UInt64]) -> String {
    levels.sorted {
      (FaultCaptureKey.level(of: $0.key) ?? .max, $0.key) < (
        FaultCaptureKey.level(of: $1.key) ?? .max, $1.key
      )
    }
    .map { "\(TDPSummaryText.printable($0.key)) \($0.value)" }.joined(separator: ", ")
  }

  func text(_ anatomy: FaultAnatomy) -> String {
    let rows = anatomy.rows
    var out = "page faults: \(anatomy.faults)"
    if let elapsed = anatomy.elapsedNanoseconds {
      out +=
        " in " + Durations.text(Double(elapsed))
        + (Self.rate(anatomy, anatomy.faults).map { " (\($0))" } ?? "")
    }
    out += " from \(anatomy.vms) VM\(anatomy.vms == 1 ? "" : "s")"
    if anatomy.grouping == .vcpu { out += ", \(rows.count) vCPU\(rows.count == 1 ? "" : "s")" }
    out += "; each from kvm_mmu_page_fault's entry to its exit\n"
    for row in rows {
      out += "\n\(TDPSummaryText.printable(row.label)): \(row.faults) faults"
      if let rate = Self.rate(anatomy, row.faults) { out += ", \(rate)" }
      out += ", fast path \(row.fast) (\(Self.percent(row.fast, of: row.faults)))"
      out += ", retries \(row.retries) (\(Self.percent(row.retries, of: row.faults)))"
      out += "; installed level: " + Self.levels(row.levels) + "\n"
      out += Self.table(row)
      if let run = row.longestRetryRun {
        out +=
          "  longest retry run: \(run.run) in a row on gfn \(TDPSummaryText.printable(run.gfn))"
          + (anatomy.grouping == .vm ? " (vCPU \(TDPSummaryText.printable(run.vcpu)))" : "") + "\n"
      }
    }
    out += "\nstuck vCPUs (at least \(anatomy.stuckRetries) RET_PF_RETRY in a row on one gfn): "
    if anatomy.stuck.isEmpty {
      out += "none\n"
    } else {
      out += "\(anatomy.stuck.count)\n"
      for run in anatomy.stuck {
        out +=
          "  VM \(TDPSummaryText.printable(run.vm)) vCPU \(TDPSummaryText.printable(run.vcpu)): \(run.run) retries in a row on gfn \(TDPSummaryText.printable(run.gfn))\n"
      }
    }
    if !anatomy.drops.isEmpty {
      out += "\nnot counted (the capture's @tdptrace_drops):\n"
      for drop in anatomy.drops {
        out +=
          "  \(TDPSummaryText.printable(drop.probe)) \(TDPSummaryText.printable(drop.reason)): \(drop.count)\n"
      }
    }
    for note in anatomy.notes { out += "\nnote: \(note)\n" }
    return out
  }

  /// The outcome rows and `all`, with percentiles and the exact maximum.
  static func table(_ row: FaultAnatomy.Row) -> String {
    var lines: [[String]] = [["  outcome", "faults", "%"] + percentiles.map(\.label) + ["max"]]
    func cells(_ name: String, _ histogram: LatencyHistogram) -> [String] {
      [
        "  " + TDPSummaryText.printable(name), String(histogram.count),
        percent(histogram.count, of: row.faults),
      ]
        + percentiles.map { p in histogram.percentile(p.p).map { Durations.text($0.estimate) } ?? "-" }
        + [histogram.max.map { Durations.text($0) } ?? "-"]
    }
    for outcome in row.outcomes { lines.append(cells(outcome.outcome, outcome.histogram)) }
    if row.outcomes.count > 1 { lines.append(cells("all", row.all)) }
    let widths = (0..<lines[0].count).map { column in lines.map { $0[column].count }.max() ?? 0 }
    return lines.map { line in
      line.enumerated().map { column, cell in
        column == 0
          ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0)
          : String(repeating: " ", count: widths[column] - cell.count) + cell
      }.joined(separator: "  ")
    }.joined(separator: "\n") + "\n"
  }

  static func json(_ anatomy: FaultAnatomy) -> JSONValue {
    func histogram(_ h: LatencyHistogram) -> [(String, JSONValue)] {
      var fields: [(String, JSONValue)] = [("faults", .int(h.count))]
      for p in percentiles {
        if let value = h.percentile(p.p) {
          fields.append((p.label + "_ns", .raw(String(format: "%.0f", value.estimate))))
        }
      }
      if let max = h.max { fields.append(("max_ns", .raw(String(format: "%.0f", max)))) }
      if let sum = h.sum { fields.append(("total_ns", .raw(String(format: "%.0f", sum)))) }
      return fields
    }
    func run(_ r: FaultAnatomy.RetryRun) -> JSONValue {
      .object([
        ("vm", .string(r.vm)), ("vcpu", .string(r.vcpu)), ("gfn", .string(r.gfn)), ("run", .int(r.run)),
      ])
    }
    let rows: [JSONValue] = anatomy.rows.map { row in
      var fields: [(String, JSONValue)] = [("vm", .string(row.vm))]
      if let vcpu = row.vcpu { fields.append(("vcpu", .string(vcpu))) }
      fields += histogram(row.all)
      if let rate = anatomy.rate(row.faults) {
        fields.append(("per_second", .raw(String(format: "%.3f", rate))))
      }
      fields.append(("fast_path", .int(row.fast)))
      fields.append(("retries", .int(row.retries)))
      fields.append(
        ("levels", .object(row.levels.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.int($0.value)) })))
      fields.append(
        (
          "outcomes",
          .array(row.outcomes.map { .object([("outcome", .string($0.outcome))] + histogram($0.histogram)) })
        ))
      if let longest = row.longestRetryRun { fields.append(("longest_retry_run", run(longest))) }
      return .object(fields)
    }
    var top: [(String, JSONValue)] = [
      ("faults", .int(anatomy.faults)), ("by", .string(anatomy.grouping.rawValue)),
    ]
    if let elapsed = anatomy.elapsedNanoseconds { top.append(("elapsed_ns", .int(elapsed))) }
    top += [
      ("rows", .array(rows)), ("stuck_retries", .int(anatomy.stuckRetries)),
      ("stuck", .array(anatomy.stuck.map(run))),
      (
        "drops",
        .array(
          anatomy.drops.map {
            .object([
              ("probe", .string($0.probe)), ("reason", .string($0.reason)), ("count", .raw(String($0.count))),
            ])
          })
      ),
      ("notes", .array(anatomy.notes.map { .string($0) })),
    ]
    return .object(top)
  }
}
