import Foundation
import StackFold
import TDPTable

/// The per-vCPU section of the HTML page (`report --html` on a `record --faults` capture, a
/// `record --mmu-lock` capture, or both given together): for every vCPU of every VM, its fault
/// latency histogram with the outcomes side by side, and a bar of its `mmu_lock` wait time
/// split by the write holder that was inside (docs/faults.md). Every name is escaped.
enum VCPUStallHTML {
  /// Holders keep one color on the whole page; the wait no holder explains is grey.
  static let noHolderColor = "#bbbbbb"

  static func section(faults: FaultAnatomy?, waits: MMULockWaits?) -> String {
    var out = "<section id=\"vcpus\"><h2>Per vCPU: faults and mmu_lock waits</h2>\n"
    var notes: [String] = []
    if let faults {
      var line = "\(faults.faults) faults on \(faults.vms) VM\(faults.vms == 1 ? "" : "s")"
      if let rate = faults.rate(faults.faults) { line += String(format: ", %.0f/s", rate) }
      notes.append(line + " (record --faults)")
    }
    if let waits {
      let n = waits.vms.reduce(0) { $0 + $1.waits }
      notes.append("\(n) mmu_lock waits (record --mmu-lock)")
    }
    out += "<p>" + Escaping.html(notes.joined(separator: "; ")) + "</p>\n"
    // Rows by VM, then vCPU in vcpu_id order; a VM's tasks that are not vCPUs come last.
    var vms: [String: (faults: [String: FaultAnatomy.Row], waits: MMULockWaits.VM?)] = [:]
    for row in faults?.rows ?? [] where row.vcpu != nil {
      vms[row.vm, default: ([:], nil)].faults[row.vcpu!] = row
    }
    for vm in waits?.vms ?? [] { vms[vm.vm, default: ([:], nil)].waits = vm }
    let outcomes = outcomeColors(faults)
    for vm in vms.keys.sorted(by: order) {
      let (rows, lock) = vms[vm]!
      let colors = holderColors(lock)
      let waiters = Dictionary(lock?.vcpus.map { ($0.name, $0) } ?? [], uniquingKeysWith: { a, _ in a })
      out += "<h3>VM \(Escaping.html(vm))</h3>\n"
      if let lock, let finding = MMULockText.finding(lock) { out += "<p>\(Escaping.html(finding))</p>\n" }
      let vcpus = Set(rows.keys).union(waiters.keys).sorted(by: order)
      for vcpu in vcpus {
        let title = vcpu == LockCaptureKey.noVCPU ? "Tasks that are not vCPUs" : "vCPU \(vcpu)"
        out += "<div class=\"vcpu\"><h4>\(Escaping.html(title))</h4>\n"
        if let row = rows[vcpu] { out += faultPart(row, anatomy: faults!, colors: outcomes) }
        if let waiter = waiters[vcpu] {
          out += waitPart(waiter, colors: colors)
        } else if lock != nil {
          out += "<p class=\"note\">No mmu_lock wait.</p>\n"
        }
        out += "</div>\n"
      }
    }
    return out + "</section>\n"
  }

  static func order(_ a: String, _ b: String) -> Bool { VMKeyedMaps.precedes([a], [b]) }

  static func holderColors(_ vm: MMULockWaits.VM?) -> [String: String] {
    var colors: [String: String] = [:]
    var next = 0
    for holder in vm?.holders ?? [] {
      if holder.name == LockCaptureKey.noHolder {
        colors[holder.name] = noHolderColor
      } else {
        colors[holder.name] = LatencyChartSVG.palette[next % LatencyChartSVG.palette.count]
        next += 1
      }
    }
    return colors
  }

  /// One color per outcome on the whole page, the most frequent first.
  static func outcomeColors(_ anatomy: FaultAnatomy?) -> [String: String] {
    var faults: [String: UInt64] = [:]
    for row in anatomy?.rows ?? [] {
      for outcome in row.outcomes { faults[outcome.outcome, default: 0] += outcome.faults }
    }
    let ordered = faults.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
    return Dictionary(
      uniqueKeysWithValues: ordered.enumerated().map {
        ($0.element.key, LatencyChartSVG.palette[$0.offset % LatencyChartSVG.palette.count])
      })
  }

  static func faultPart(_ row: FaultAnatomy.Row, anatomy: FaultAnatomy, colors: [String: String]) -> String {
    var line = "\(row.faults) faults"
    if let rate = anatomy.rate(row.faults) { line += String(format: " (%.0f/s)", rate) }
    line += ", \(row.fast) fixed on the fast path, \(row.retries) retries"
    for p in [0.5, 0.99] {
      if let value = row.all.percentile(p) {
        line += String(format: ", p%.0f ", p * 100) + Durations.text(value.estimate)
      }
    }
    if let run = row.longestRetryRun, run.run > 1 {
      line += "; longest run of retries on one gfn: \(run.run) (gfn \(run.gfn))"
    }
    var out = "<p>\(Escaping.html(line))</p>\n"
    let series = row.outcomes.map {
      LatencyChartSVG.Series(label: $0.outcome, histogram: $0.histogram, color: colors[$0.outcome])
    }
    out += LatencyChartSVG().render(
      series, nanosecondsPerUnit: 1, name: "fault latency of \(row.label) by outcome")
    return out
  }

  /// One horizontal bar, its segments the holders' shares of this vCPU's wait time.
  static func waitPart(_ waiter: MMULockWaits.Waiter, colors: [String: String]) -> String {
    let width = 600.0
    let total = max(waiter.nanoseconds, 1e-9)
    var line = "\(waiter.waits) mmu_lock wait\(waiter.waits == 1 ? "" : "s"), "
    line += Durations.text(waiter.nanoseconds) + " waiting"
    if let p99 = waiter.histogram.percentile(0.99) { line += ", p99 " + Durations.text(p99.estimate) }
    var out = "<p>\(Escaping.html(line))</p>\n"
    out +=
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"holders\" width=\"\(Int(width) + 2)\" height=\"22\""
    out += " role=\"img\" aria-label=\"mmu_lock wait by holder\">\n"
    var x = 0.0
    var legend: [String] = []
    for holder in waiter.holders {
      let w = holder.nanoseconds / total * width
      let name = holder.name == LockCaptureKey.noHolder ? "no known holder" : holder.name
      let share = MMULockText.share(holder.nanoseconds, of: waiter.nanoseconds)
      let tip = "\(name): \(Durations.text(holder.nanoseconds)) of \(holder.waits) waits, \(share)"
      let color = colors[holder.name] ?? noHolderColor
      out += String(format: "<rect x=\"%.1f\" y=\"2\" width=\"%.1f\" height=\"18\"", x + 1, max(w, 0.5))
      out += " fill=\"\(color)\"><title>\(Escaping.xml(tip))</title></rect>\n"
      x += w
      legend.append(
        "<span style=\"margin-right:1em\"><span style=\"display:inline-block;width:10px;height:10px;background:\(color)\"></span> "
          + Escaping.html("\(name) \(share)") + "</span>")
    }
    out += "</svg>\n"
    return out + "<p class=\"legend\">" + legend.joined(separator: " ") + "</p>\n"
  }
}
