import Foundation
import StackFold
import TraceParse

/// `report --latency`: `LatencySummary` as text or JSON.
///
/// Text: per probe its calls, total time, mean and percentiles; then per origin path the same,
/// each percentile with the bucket that holds it (`p99 ≤ 1.28 µs (bucket 1.15–1.28 µs)`), and a
/// text histogram; then lost events and the slowest calls with their stacks. JSON has the same
/// content, times in nanoseconds.
public struct LatencyReport: Sendable {
  public enum Format: String, Sendable { case text, json }

  public var format: Format
  /// Slowest calls listed (`--slowest`).
  public var slowest: Int
  public var inputs: [String]

  /// The percentiles every row shows.
  public static let percentiles: [Double] = [0.5, 0.9, 0.99]

  public init(format: Format = .text, slowest: Int = 10, inputs: [String] = []) {
    self.format = format
    self.slowest = slowest
    self.inputs = inputs
  }

  public func render(_ summary: LatencySummary) -> [UInt8] {
    switch format {
    case .text: return Array(text(summary).utf8)
    case .json: return json(summary).document
    }
  }

  // MARK: text

  func text(_ summary: LatencySummary) -> String {
    let calls = summary.probes.reduce(UInt64(0)) { $0 + $1.total.count }
    var out = "latency by origin path: \(summary.probes.count) histogram"
    out += summary.probes.count == 1 ? "" : "s"
    out += ", \(calls) calls\n"
    if !inputs.isEmpty { out += "inputs: " + inputs.map(printable).joined(separator: " ") + "\n" }
    if summary.probes.isEmpty {
      out += "\nno hist() or lhist() maps in the input (see docs/latency.md for what is read)\n"
    }
    for probe in summary.probes {
      let scale = probe.nanosecondsPerUnit
      let group = probe.group.map { " " + printable($0) } ?? ""
      out +=
        "\n\(printable(probe.probe)) (\(printable(probe.map)))\(group): \(Self.totals(probe.total, scale))\n"
      out += "  " + Self.percentileLine(probe.total, scale) + "\n"
      for origin in probe.origins {
        let share = TDPSummaryText.percent(origin.histogram.count, of: probe.total.count)
          .trimmingCharacters(in: .whitespaces)
        out += "  \(printable(origin.label)): \(Self.totals(origin.histogram, scale)), \(share) of calls"
        out += origin.entries > 1 ? ", \(origin.entries) stacks\n" : "\n"
        for p in Self.percentiles {
          out += "    " + Self.percentileText(origin.histogram, p, scale) + "\n"
        }
        out += "    " + Self.maxText(origin.histogram, scale) + "\n"
        out += Self.bars(origin.histogram, scale, indent: "    ")
      }
    }
    out += lostText(summary)
    out += slowText(summary)
    if !summary.notes.isEmpty {
      out += "\nnotes:\n"
      for note in summary.notes { out += "  \(printable(note))\n" }
    }
    return out
  }

  /// `244 calls, total 265 µs, mean 1.09 µs` (`~` marks totals estimated from midpoints).
  static func totals(_ h: LatencyHistogram, _ scale: Double) -> String {
    let total = h.total
    var out = "\(h.count) call\(h.count == 1 ? "" : "s"), total \(total.exact ? "" : "~")"
    out += Durations.text(total.value * scale)
    if let mean = h.mean { out += ", mean \(mean.exact ? "" : "~")" + Durations.text(mean.value * scale) }
    return out
  }

  static func percentileLine(_ h: LatencyHistogram, _ scale: Double) -> String {
    var parts = percentiles.compactMap { p in
      h.percentile(p).map { "p\(name(p)) ≤ " + Durations.text(bound($0, h) * scale) }
    }
    if let max = h.max {
      parts.append("max " + Durations.text(max * scale))
    } else if let top = h.percentile(1) {
      parts.append("max < " + Durations.text(top.upper * scale))
    }
    return parts.joined(separator: ", ")
  }

  /// `p99 ≤ 1.28 µs (bucket 1.15–1.28 µs)`.
  static func percentileText(_ h: LatencyHistogram, _ p: Double, _ scale: Double) -> String {
    let label = "p" + name(p)
    guard let q = h.percentile(p) else { return label + " -" }
    let pad = String(repeating: " ", count: max(0, 4 - label.count))
    return label + pad + " ≤ " + Durations.text(bound(q, h) * scale) + " (bucket "
      + Durations.range(q.lower * scale, q.upper * scale) + ")"
  }

  /// The percentile's upper bound: its bucket's end, or the known maximum if that is lower.
  static func bound(_ q: LatencyHistogram.Percentile, _ h: LatencyHistogram) -> Double {
    guard let max = h.max else { return q.upper }
    return Swift.min(q.upper, max)
  }

  static func maxText(_ h: LatencyHistogram, _ scale: Double) -> String {
    if let max = h.max { return "max    " + Durations.text(max * scale) + " (exact)" }
    guard let q = h.percentile(1) else { return "max  -" }
    return "max  < " + Durations.text(q.upper * scale) + " (bucket "
      + Durations.range(q.lower * scale, q.upper * scale) + ")"
  }

  /// `50`, `90`, `99`, `99.9`.
  static func name(_ p: Double) -> String {
    let v = p * 100
    return v == v.rounded() ? String(Int(v)) : String(format: "%g", v)
  }

  /// The histogram as rows `[lo, hi)  count |@@@@|`, bars scaled to the largest bucket.
  static func bars(_ h: LatencyHistogram, _ scale: Double, indent: String) -> String {
    let width = 40
    let top = h.buckets.map(\.count).max() ?? 0
    let labels = h.buckets.map {
      ($0.lower.isFinite ? "[" : "(") + Durations.text($0.lower * scale) + ", "
        + Durations.text($0.upper * scale) + ")"
    }
    let labelWidth = labels.map(\.count).max() ?? 0
    let countWidth = h.buckets.map { String($0.count).count }.max() ?? 0
    var out = ""
    for (bucket, label) in zip(h.buckets, labels) {
      let count = String(bucket.count)
      let n = top == 0 ? 0 : Int((Double(bucket.count) * Double(width) / Double(top)).rounded(.up))
      out += indent + label + String(repeating: " ", count: labelWidth - label.count + 1)
      out += String(repeating: " ", count: countWidth - count.count) + count + " |"
      out += String(repeating: "@", count: n) + String(repeating: " ", count: width - n) + "|\n"
    }
    return out
  }

  func lostText(_ summary: LatencySummary) -> String {
    guard !summary.lost.isEmpty else { return "\nlost events: none counted in the input\n" }
    var out = "\nlost events (the counts above are short by these):\n"
    for lost in summary.lost {
      out += "  \(printable(lost.probe)): \(printable(lost.reason)) \(lost.count)\n"
    }
    return out
  }

  func slowText(_ summary: LatencySummary) -> String {
    guard !summary.slowest.isEmpty || summary.slowDropped != nil else { return "" }
    let shown = summary.slowest.prefix(slowest)
    var out = "\nslowest calls (\(shown.count) of \(summary.slowest.count) recorded"
    if let dropped = summary.slowDropped { out += "; \(dropped) dropped by the ring buffer" }
    out += "):\n"
    for call in shown {
      let seconds = call.timestampNanoseconds / 1_000_000_000
      let fraction = String(call.timestampNanoseconds % 1_000_000_000)
      out += "  \(Durations.text(Double(call.durationNanoseconds)))  \(printable(call.probe))"
      out += "  pid \(printable(call.pid)) tid \(printable(call.tid)) \(printable(call.comm))"
      out += "  at \(seconds).\(String(repeating: "0", count: 9 - fraction.count) + fraction)"
      out += "  \(printable(call.origin))\n"
      for frame in call.stack { out += "      \(printable(frame))\n" }
    }
    return out
  }

  private func printable(_ s: String) -> String { TDPSummaryText.printable(s) }

  // MARK: JSON

  /// A number in JSON: integers as integers, others with up to three decimals; open ends as
  /// null (JSON has no infinity).
  static func number(_ v: Double) -> JSONValue {
    guard v.isFinite else { return .raw("null") }
    if v == v.rounded(), abs(v) < 1e15 { return .raw(String(Int64(v))) }
    return .raw(String(format: "%.3f", v))
  }

  static func histogramJSON(_ h: LatencyHistogram, _ scale: Double) -> [(String, JSONValue)] {
    let total = h.total
    var fields: [(String, JSONValue)] = [
      ("count", .int(h.count)), ("totalNs", number(total.value * scale)),
      ("totalExact", .raw("\(total.exact)")),
    ]
    fields.append(("meanNs", h.mean.map { number($0.value * scale) } ?? .raw("null")))
    fields.append(("minNs", h.min.map { number($0 * scale) } ?? .raw("null")))
    fields.append(("maxNs", h.max.map { number($0 * scale) } ?? .raw("null")))
    let ps: [Double] = percentiles + [1]
    fields.append(
      (
        "percentiles",
        .array(
          ps.compactMap { p in
            h.percentile(p).map { q in
              .object([
                ("p", .raw(name(p))), ("bucketLowerNs", number(q.lower * scale)),
                ("bucketUpperNs", number(q.upper * scale)), ("estimateNs", number(q.estimate * scale)),
                (
                  "relativeError",
                  q.relativeError.isFinite ? .raw(String(format: "%.4f", q.relativeError)) : .raw("null")
                ),
              ])
            }
          })
      ))
    fields.append(
      (
        "buckets",
        .array(
          h.buckets.map {
            .object([
              ("lowerNs", number($0.lower * scale)), ("upperNs", number($0.upper * scale)),
              ("count", .int($0.count)),
            ])
          })
      ))
    return fields
  }

  func json(_ summary: LatencySummary) -> JSONValue {
    let probes: [JSONValue] = summary.probes.map { probe in
      let scale = probe.nanosecondsPerUnit
      let origins: [JSONValue] = probe.origins.map { origin in
        .object(
          [
            ("label", .string(origin.label)),
            ("origin", origin.origin.map { .string($0.rawValue) } ?? .raw("null")),
            ("detail", .array(origin.detail.map(JSONValue.string))), ("stacks", .int(UInt64(origin.entries))),
          ] + Self.histogramJSON(origin.histogram, scale))
      }
      return .object(
        [
          ("probe", .string(probe.probe)), ("map", .string(probe.map)),
        ] + (probe.group.map { [("group", JSONValue.string($0))] } ?? []) + [
          ("nanosecondsPerUnit", Self.number(scale)), ("unitFromName", .raw("\(probe.unitNamed)")),
        ] + Self.histogramJSON(probe.total, scale) + [("origins", .array(origins))])
    }
    let slow: [JSONValue] = summary.slowest.prefix(slowest).map { call in
      .object([
        ("durationNs", .int(call.durationNanoseconds)), ("probe", .string(call.probe)),
        ("timestampNs", .int(call.timestampNanoseconds)), ("pid", .string(call.pid)),
        ("tid", .string(call.tid)),
        ("comm", .string(call.comm)), ("origin", .string(call.origin)),
        ("stack", .array(call.stack.map(JSONValue.string))),
      ])
    }
    return .object([
      ("inputs", .array(inputs.map(JSONValue.string))),
      ("probes", .array(probes)),
      (
        "lost",
        .array(
          summary.lost.map {
            .object([
              ("probe", .string($0.probe)), ("reason", .string($0.reason)), ("count", .raw(String($0.count))),
            ])
          })
      ),
      ("slowestRecorded", .int(UInt64(summary.slowest.count))),
      ("slowDropped", summary.slowDropped.map { .raw(String($0)) } ?? .raw("null")),
      ("slowest", .array(slow)),
      ("notes", .array(summary.notes.map(JSONValue.string))),
    ])
  }
}
