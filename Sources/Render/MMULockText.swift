import Foundation
import StackFold
import TDPTable

/// `report --mmu-lock`: `mmu_lock` waits per VM as text (wait time by write holder, with the
/// share no holder explains, then by waiter path and by mode) or JSON (the same, nanoseconds).
public struct MMULockText: Sendable {
  public var format: TDPSummaryText.Format

  public init(format: TDPSummaryText.Format = .text) { self.format = format }

  public func render(_ waits: MMULockWaits) -> [UInt8] {
    switch format {
    case .text: return Array(text(waits).utf8)
    case .json: return Self.json(waits).document
    }
  }

  static func share(_ part: Double, of whole: Double) -> String {
    whole <= 0 ? "-" : String(format: "%.1f%%", part * 100 / whole)
  }

  func text(_ waits: MMULockWaits) -> String {
    let total = waits.vms.reduce(0) { $0 + $1.waits }
    var out = "mmu_lock waits: \(total)"
    if let elapsed = waits.elapsedNanoseconds { out += " in " + Durations.text(Double(elapsed)) }
    out += " on \(waits.vms.count) VM\(waits.vms.count == 1 ? "" : "s"); each from lock:contention_begin to contention_end\n"
    for vm in waits.vms {
      out += "\nVM \(TDPSummaryText.printable(vm.vm)): \(vm.waits) waits, \(Durations.text(vm.nanoseconds)) waiting"
      out += "; no known holder for \(Self.share(vm.unexplained, of: vm.nanoseconds)) of it"
      if vm.overlaps > 0 { out += " (\(vm.overlaps) holder entries overlapped another's)" }
      out += "\n"
      for (title, shares) in [("held for write by", vm.holders), ("waiter", vm.waiters), ("mode", vm.modes)] {
        out += Self.table(title, shares, of: vm.nanoseconds)
      }
    }
    if !waits.drops.isEmpty {
      out += "\nnot counted (the capture's @tdptrace_drops):\n"
      for drop in waits.drops {
        out += "  \(TDPSummaryText.printable(drop.probe)) \(TDPSummaryText.printable(drop.reason)): \(drop.count)\n"
      }
    }
    for note in waits.notes { out += "\nnote: \(note)\n" }
    return out
  }

  static func table(_ title: String, _ shares: [MMULockWaits.Share], of whole: Double) -> String {
    // A capture has a maximum only where it recorded one; the column goes with it.
    let maxKnown = shares.contains { $0.histogram.max != nil }
    var lines: [[String]] = [["  " + title, "waits", "time", "%", "p50", "p99"] + (maxKnown ? ["max"] : [])]
    for s in shares {
      let name = s.name == LockCaptureKey.noHolder && title.hasPrefix("held") ? "(no known holder)" : s.name
      lines.append(
        [
          "  " + TDPSummaryText.printable(name), String(s.waits), Durations.text(s.nanoseconds),
          share(s.nanoseconds, of: whole),
        ] + [0.5, 0.99].map { p in s.histogram.percentile(p).map { Durations.text($0.estimate) } ?? "-" }
          + (maxKnown ? [s.histogram.max.map { Durations.text($0) } ?? "-"] : []))
    }
    let widths = (0..<lines[0].count).map { column in lines.map { $0[column].count }.max() ?? 0 }
    return lines.map { line in
      line.enumerated().map { column, cell in
        column == 0
          ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0)
          : String(repeating: " ", count: widths[column] - cell.count) + cell
      }.joined(separator: "  ")
    }.joined(separator: "\n") + "\n"
  }

  static func json(_ waits: MMULockWaits) -> JSONValue {
    func shares(_ list: [MMULockWaits.Share]) -> JSONValue {
      .array(
        list.map { s in
          .object([
            ("name", .string(s.name)), ("waits", .int(s.waits)),
            ("total_ns", .raw(String(format: "%.0f", s.nanoseconds))),
            ("p50_ns", s.histogram.percentile(0.5).map { .raw(String(format: "%.0f", $0.estimate)) } ?? .raw("null")),
            ("p99_ns", s.histogram.percentile(0.99).map { .raw(String(format: "%.0f", $0.estimate)) } ?? .raw("null")),
          ])
        })
    }
    var top: [(String, JSONValue)] = []
    if let elapsed = waits.elapsedNanoseconds { top.append(("elapsed_ns", .int(elapsed))) }
    top.append(
      (
        "vms",
        .array(
          waits.vms.map { vm in
            .object([
              ("vm", .string(vm.vm)), ("waits", .int(vm.waits)),
              ("total_ns", .raw(String(format: "%.0f", vm.nanoseconds))),
              ("no_holder_ns", .raw(String(format: "%.0f", vm.unexplained))), ("holder_overlaps", .int(vm.overlaps)),
              ("holders", shares(vm.holders)), ("waiters", shares(vm.waiters)), ("modes", shares(vm.modes)),
            ])
          })
      ))
    top.append(
      (
        "drops",
        .array(
          waits.drops.map {
            .object([("probe", .string($0.probe)), ("reason", .string($0.reason)), ("count", .raw(String($0.count)))])
          })
      ))
    top.append(("notes", .array(waits.notes.map { .string($0) })))
    return .object(top)
  }
}
