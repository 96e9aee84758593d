import Foundation
import StackFold
import TDPTable
import TraceParse

/// `report --tdp`: the TDP MMU summary as a text table or as JSON.
///
/// Text: one block per group, one line per probe, then one line per origin with its weight and
/// its share of the probe, heaviest first. Samples of no TDP MMU probe are listed under
/// `elsewhere`, so the numbers add up to the input's total.
public struct TDPSummaryText: Renderer {
  public enum Format: String, Sendable { case text, json }

  public var format: Format
  /// The groups and path rules samples are filed by.
  public var table: ProbeTable

  public init(format: Format = .text, table: ProbeTable = .tdpMMU) {
    self.format = format
    self.table = table
  }

  public func render(_ profile: Profile) throws -> [UInt8] {
    try render(TDPSummary(profile: profile, table: table))
  }

  /// Renders an already computed summary (`ReportRequest` computes it once for every output).
  public func render(_ summary: TDPSummary) throws -> [UInt8] {
    switch format {
    case .text: return Array(text(summary).utf8)
    case .json: return Self.json(summary).document
    }
  }

  func text(_ summary: TDPSummary) -> String {
    let w = { (weight: UInt64) in summary.weightScale.format(weight) }
    var out = "TDP MMU summary: total \(w(summary.totalWeight)) (\(summary.unit.rawValue))"
    out += ", \(w(summary.groupedWeight)) in TDP MMU groups, \(w(summary.elsewhereWeight)) elsewhere\n"
    if summary.groups.isEmpty {
      out += "\nno samples of a TDP MMU probe or tracepoint (see `tdptrace probes` for the groups)\n"
    }
    let width =
      summary.groups.flatMap { $0.probes.flatMap { $0.origins.map { w($0.weight).count } } }.max() ?? 1
    for group in summary.groups {
      out += "\n\(group.group): \(w(group.weight))  (\(group.summary))\n"
      for probe in group.probes {
        out += "  \(Self.printable(probe.probe)): \(w(probe.weight))\n"
        for origin in probe.origins {
          let count = w(origin.weight)
          out += "    " + String(repeating: " ", count: max(0, width - count.count)) + count
          out +=
            "  " + Self.percent(origin.weight, of: probe.weight) + "  " + Self.printable(origin.label) + "\n"
        }
      }
    }
    if !summary.elsewhere.isEmpty {
      out += "\nelsewhere (not a TDP MMU probe): \(w(summary.elsewhereWeight))\n"
      for probe in summary.elsewhere { out += "  \(Self.printable(probe.probe)): \(w(probe.weight))\n" }
    }
    if summary.skipped.records > 0 {
      out +=
        "\nskipped \(summary.skipped.records) bad records (weight \(w(summary.skipped.weight))) under --lenient\n"
    }
    return out
  }

  /// A name safe to print on a terminal: control characters (which could move the cursor or
  /// start an escape sequence) become `\u{1b}`-style escapes.
  static func printable(_ name: String) -> String {
    Escaping.terminal(name) { "\\u{" + String($0, radix: 16) + "}" }
  }

  /// `97.60%`, right-aligned to 7 columns, rounded to two decimals.
  static func percent(_ part: UInt64, of whole: UInt64) -> String {
    guard whole > 0 else { return "  0.00%" }
    let hundredths = (Double(part) * 10000 / Double(whole)).rounded()
    let text = String(format: "%.2f%%", hundredths / 100)
    return String(repeating: " ", count: max(0, 7 - text.count)) + text
  }
}

extension TDPSummaryText {
  /// The JSON shape of `TDPSummary`; field names are part of the output format, keys sorted.
  static func json(_ summary: TDPSummary) -> JSONValue {
    func strings(_ items: [String]) -> JSONValue { .array(items.map(JSONValue.string)) }
    // Fractional inputs print their decimals (WeightScale); whole counts print as before.
    func weight(_ w: UInt64) -> JSONValue { .raw(summary.weightScale.format(w)) }
    func probe(_ p: TDPSummary.ProbeRow) -> JSONValue {
      .object([
        (
          "origins",
          .array(
            p.origins.map {
              .object([
                ("label", .string($0.origin.label)), ("origin", .string($0.origin.rawValue)),
                ("topFrames", strings($0.topFrames)), ("weight", weight($0.weight)),
              ])
            })
        ),
        ("probe", .string(p.probe)), ("weight", weight(p.weight)),
      ])
    }
    return .object([
      ("elsewhere", .array(summary.elsewhere.map(probe))), ("grouped", weight(summary.groupedWeight)),
      (
        "groups",
        .array(
          summary.groups.map {
            .object([
              ("group", .string($0.group)), ("probes", .array($0.probes.map(probe))),
              ("summary", .string($0.summary)), ("weight", weight($0.weight)),
            ])
          })
      ),
      (
        "skipped",
        .object([
          ("records", .int(UInt64(summary.skipped.records))), ("weight", weight(summary.skipped.weight)),
        ])
      ),
      ("total", weight(summary.totalWeight)), ("unit", .string(summary.unit.rawValue)),
    ])
  }
}
