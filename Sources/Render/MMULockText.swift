import Foundation
import StackFold
import TDPTable

/// `report --mmu-lock`: `mmu_lock` waits per VM as text (wait time by write holder, with the
/// share no holder explains, then by waiter path and by mode) or JSON (the same, nanoseconds).
public struct MMULockText: Sendable {
  public var format: TDPSummaryText.Format
  /// The per-vCPU table and JSON array (`--by vcpu`, the default); `--by vm` leaves them out.
  public var perVCPU: Bool

  public init(format: TDPSummaryText.Format = .text, perVCPU: Bool = true) {
    self.format = format
    self.perVCPU = perVCPU
  }

  public func render(_ waits: MMULockWaits) -> [UInt8] {
    switch format {
    case .text: return Array(text(waits).utf8)
    case .json: return Self.json(waits, perVCPU: perVCPU).document
    }
  }

  static func share(_ part: Double, of whole: Double) -> String {
    whole <= 0 ? "-" : String(format: "%.1f%%", part * 100 / whole)
  }

  func text(_ waits: MMULockWaits) -> String {
    let total = waits.vms.reduce(0) { $0 + $1.waits }
    var out = "mmu_lock waits: \(total)"
    if let elapsed = waits.elapsedNanoseconds { out += " in " + Durations.text(Double(elapsed)) }
    out +=
      " on \(waits.vms.count) VM\(waits.vms.count == 1 ? "" : "s"); each from lock:contention_begin to contention_end\n"
    for vm in waits.vms {
      out +=
        "\nVM \(TDPSummaryText.printable(vm.vm)): \(vm.waits) wait\(vm.waits == 1 ? "" : "s"), \(Durations.text(vm.nanoseconds)) waiting"
      out += "; no known holder for \(Self.share(vm.unexplained, of: vm.nanoseconds)) of it"
      if vm.overlaps > 0 { out += " (\(vm.overlaps) holder entries overlapped another's)" }
      out += "\n"
      if let finding = Self.finding(vm) { out += "  " + finding + "\n" }
      out += Self.table(
        "held for write by", vm.holders.map { ($0, nil) }, of: vm.nanoseconds,
        display: { $0 == LockCaptureKey.noHolder ? "(no known holder)" : $0 })
      for (title, shares) in [("waiter", vm.waiters), ("mode", vm.modes)] {
        out += Self.table(title, shares.map { ($0, nil) }, of: vm.nanoseconds)
      }
      if perVCPU {
        out += Self.table(
          "vCPU",
          vm.vcpus.map { waiter in
            (MMULockWaits.Share(name: waiter.name, histogram: waiter.histogram), waiter)
          },
          of: vm.nanoseconds, display: { $0 == LockCaptureKey.noVCPU ? "(not a vCPU)" : $0 })
      }
    }
    if !waits.drops.isEmpty {
      out += "\nnot counted (the capture's @tdptrace_drops):\n"
      for drop in waits.drops {
        out +=
          "  \(TDPSummaryText.printable(drop.probe)) \(TDPSummaryText.printable(drop.reason)): \(drop.count)\n"
      }
    }
    for note in waits.notes { out += "\nnote: \(note)\n" }
    return out
  }

  /// The vCPU that waited longest and the holder it waited behind most, as the issue's user
  /// would say it: "vCPU 7 waited 30 ms for mmu_lock; 92% of it while X held it for write".
  package static func finding(_ vm: MMULockWaits.VM) -> String? {
    guard let worst = vm.vcpus.first(where: { $0.name != LockCaptureKey.noVCPU }) else { return nil }
    var out =
      "vCPU \(TDPSummaryText.printable(worst.name)) waited longest: \(Durations.text(worst.nanoseconds))"
    if let top = worst.topHolder {
      out += "; \(share(top.nanoseconds, of: worst.nanoseconds)) of it while "
      out += "\(TDPSummaryText.printable(top.name)) held mmu_lock for write"
    } else {
      out += "; no known holder was inside"
    }
    return out
  }

  /// One table of `shares` with their share of `whole`; `display` names a row (the `-` of
  /// holders and of vCPUs reads differently); a waiter gives its row the holder it waited behind.
  static func table(
    _ title: String, _ shares: [(MMULockWaits.Share, MMULockWaits.Waiter?)], of whole: Double,
    display: (String) -> String = { $0 }
  ) -> String {
    // A capture has a maximum only where it recorded one; the column goes with it.
    let maxKnown = shares.contains { $0.0.histogram.max != nil }
    let perWaiter = shares.contains { $0.1 != nil }
    var lines: [[String]] = [
      ["  " + title, "waits", "time", "%", "p50", "p99"] + (maxKnown ? ["max"] : [])
        + (perWaiter ? ["behind most (share of its wait)"] : [])
    ]
    for (s, waiter) in shares {
      var line = [
        "  " + TDPSummaryText.printable(display(s.name)), String(s.waits), Durations.text(s.nanoseconds),
      ]
      line.append(share(s.nanoseconds, of: whole))
      for p in [0.5, 0.99] {
        line.append(s.histogram.percentile(p).map { Durations.text($0.estimate) } ?? "-")
      }
      if maxKnown { line.append(s.histogram.max.map { Durations.text($0) } ?? "-") }
      if perWaiter {
        let top = waiter?.topHolder
        line.append(
          top.map {
            TDPSummaryText.printable($0.name) + " (" + share($0.nanoseconds, of: s.nanoseconds) + ")"
          } ?? "-")
      }
      lines.append(line)
    }
    let widths = (0..<lines[0].count).map { column in lines.map { $0[column].count }.max() ?? 0 }
    // Names (the first column and the holder a vCPU waited behind) align left, numbers right.
    let leftAligned = Set([0] + (perWaiter ? [lines[0].count - 1] : []))
    return lines.map { line in
      line.enumerated().map { column, cell in
        let pad = String(repeating: " ", count: widths[column] - cell.count)
        return leftAligned.contains(column) ? (column == line.count - 1 ? cell : cell + pad) : pad + cell
      }.joined(separator: "  ")
    }.joined(separator: "\n") + "\n"
  }

  static func json(_ waits: MMULockWaits, perVCPU: Bool = true) -> JSONValue {
    func fields(_ name: String, _ histogram: LatencyHistogram) -> [(String, JSONValue)] {
      [
        ("name", .string(name)), ("waits", .int(histogram.count)),
        ("total_ns", .raw(String(format: "%.0f", histogram.total.value))),
        (
          "p50_ns",
          histogram.percentile(0.5).map { .raw(String(format: "%.0f", $0.estimate)) } ?? .raw("null")
        ),
        (
          "p99_ns",
          histogram.percentile(0.99).map { .raw(String(format: "%.0f", $0.estimate)) } ?? .raw("null")
        ),
      ]
    }
    func shares(_ list: [MMULockWaits.Share]) -> JSONValue {
      .array(list.map { .object(fields($0.name, $0.histogram)) })
    }
    func vcpus(_ vm: MMULockWaits.VM) -> JSONValue {
      .array(vm.vcpus.map { .object(fields($0.name, $0.histogram) + [("holders", shares($0.holders))]) })
    }
    var top: [(String, JSONValue)] = []
    if let elapsed = waits.elapsedNanoseconds { top.append(("elapsed_ns", .int(elapsed))) }
    top.append(
      (
        "vms",
        .array(
          waits.vms.map { vm in
            .object(
              [
                ("vm", .string(vm.vm)), ("waits", .int(vm.waits)),
                ("total_ns", .raw(String(format: "%.0f", vm.nanoseconds))),
                ("no_holder_ns", .raw(String(format: "%.0f", vm.unexplained))),
                ("holder_overlaps", .int(vm.overlaps)),
                ("holders", shares(vm.holders)), ("waiters", shares(vm.waiters)), ("modes", shares(vm.modes)),
              ] + (perVCPU ? [("vcpus", vcpus(vm))] : []))
          })
      ))
    top.append(
      (
        "drops",
        .array(
          waits.drops.map {
            .object([
              ("probe", .string($0.probe)), ("reason", .string($0.reason)), ("count", .raw(String($0.count))),
            ])
          })
      ))
    top.append(("notes", .array(waits.notes.map { .string($0) })))
    return .object(top)
  }
}
