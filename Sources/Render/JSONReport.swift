import StackFold
import TraceParse

/// The report as JSON: the same content as `TextReport`, keys in a fixed order, every string
/// escaped (quotes, backslashes, control characters, and `<`, `>`, `&` as `\u003c`... so the
/// output can sit inside HTML without a hostile frame name opening a `<script>`).
public struct JSONReport: Renderer {
  public var options: ReportOptions

  public init(options: ReportOptions = ReportOptions()) { self.options = options }

  public func render(_ profile: Profile) throws -> [UInt8] {
    Self.render(try ReportModel(profile: profile, options: options))
  }

  /// The JSON of a computed report, pretty-printed with two-space indents and a final newline.
  public static func render(_ model: ReportModel) -> [UInt8] { value(model).document }

  static func value(_ model: ReportModel) -> JSONValue {
    let total = model.totalWeight
    func pct(_ w: UInt64, _ of: UInt64) -> JSONValue { .raw(ReportModel.percent(w, of: of)) }
    // A JSON number with the profile's decimals: fractional counts stay exact, integers as before.
    func weight(_ w: UInt64) -> JSONValue { .raw(model.weightScale.format(w)) }
    var fields: [(String, JSONValue)] = [
      ("inputs", .array(model.inputs.map(JSONValue.string))),
      ("unit", .string(model.unit.rawValue)),
      ("totalWeight", weight(total)),
      ("uniqueStacks", .int(UInt64(model.uniqueStacks))),
      (
        "skipped",
        .object([
          ("records", .int(UInt64(model.skipped.records))), ("weight", weight(model.skipped.weight)),
          ("examples", .array(model.skipped.examples.map { .string($0.description) })),
        ])
      ),
      (
        "filtered",
        .array(
          model.filtered.map {
            .object([
              ("filter", .string($0.filter)), ("stacks", .int(UInt64($0.samples))),
              ("weight", weight($0.weight)),
              ("values", .int(UInt64($0.values))),
            ])
          })
      ),
      ("bpfFrames", model.bpfFrames.map { bpfFrames($0, scale: model.weightScale) } ?? .raw("null")),
      (
        "suspectFrames",
        .array(
          model.suspectFrames.map {
            .object([
              ("frame", .string($0.frame)), ("size", $0.size.map(JSONValue.int) ?? .raw("null")),
              ("stacks", .int(UInt64($0.stacks))), ("weight", weight($0.weight)),
            ])
          })
      ),
      (
        "sources",
        .array(
          model.sources.map {
            .object([
              ("source", .string($0.source)), ("weight", weight($0.weight)),
              ("percent", pct($0.weight, total)),
              ("stacks", .int(UInt64($0.stacks))),
            ])
          })
      ),
    ]
    if model.peeks.isEmpty {
      func rows(_ stats: [FunctionStat]) -> JSONValue {
        .array(
          stats.map {
            .object([
              ("function", .string($0.name)), ("kind", .string($0.kind.rawValue)),
              ("self", weight($0.selfWeight)),
              ("selfPercent", pct($0.selfWeight, total)), ("total", weight($0.totalWeight)),
              ("totalPercent", pct($0.totalWeight, total)),
            ])
          })
      }
      fields.append(("functions", .int(UInt64(model.functionCount))))
      fields.append(("topBySelf", rows(model.topBySelf)))
      fields.append(("topByTotal", rows(model.topByTotal)))
    }
    if let tree = model.tree {
      func node(_ n: ReportModel.TreeNode) -> JSONValue {
        var f: [(String, JSONValue)] = [
          ("name", .string(n.name)), ("kind", .string(n.kind.rawValue)), ("total", weight(n.totalWeight)),
          ("percent", pct(n.totalWeight, total)), ("self", weight(n.selfWeight)),
        ]
        if !n.children.isEmpty { f.append(("children", .array(n.children.map(node)))) }
        if n.elidedNodes > 0 {
          f.append(
            ("elided", .object([("nodes", .int(UInt64(n.elidedNodes))), ("weight", weight(n.elidedWeight))])))
        }
        return .object(f)
      }
      fields.append(
        (
          "treeMinPercent",
          .raw(ReportModel.percent(UInt64((model.treeMinPercent * 100).rounded()), of: 10000))
        ))
      fields.append(("callTree", node(tree)))
    }
    for direction in [ReportModel.Peek.Direction.callers, .callees] {
      let peeks = model.peeks.filter { $0.direction == direction }
      if peeks.isEmpty { continue }
      fields.append(
        (
          direction.rawValue,
          .array(
            peeks.map { peek in
              .object([
                ("pattern", .string(peek.pattern)),
                (
                  "functions",
                  .array(
                    peek.views.map { view in
                      func edges(_ list: [CallEdge]) -> JSONValue {
                        .array(
                          list.map {
                            .object([
                              ("name", .string($0.name)), ("kind", .string($0.kind.rawValue)),
                              ("weight", weight($0.weight)),
                              ("share", pct($0.weight, view.totalWeight)),
                            ])
                          })
                      }
                      return .object([
                        ("function", .string(view.function)), ("total", weight(view.totalWeight)),
                        ("percent", pct(view.totalWeight, total)), ("self", weight(view.selfWeight)),
                        ("selfShare", pct(view.selfWeight, view.totalWeight)),
                        (direction.rawValue, edges(direction == .callers ? view.callers : view.callees)),
                      ])
                    })
                ),
              ])
            })
        ))
    }
    fields.append(
      (
        "values",
        .array(
          model.values.map { v in
            var f: [(String, JSONValue)] = [
              ("map", .string(v.map)), ("key", .array(v.key.map(JSONValue.string))),
              ("kind", .string(v.kind.rawValue)),
            ]
            switch v.kind {
            case .scalar: f.append(("values", .array(v.numbers.map { .raw(String($0)) })))
            case .stats:
              for (name, number) in zip(["count", "average", "total"], v.numbers) {
                f.append((name, .raw(String(number))))
              }
            case .hist, .lhist:
              f.append(
                (
                  "buckets",
                  .array(
                    v.buckets.map { .object([("label", .string($0.label)), ("count", .int($0.count))]) })
                ))
            }
            return .object(f)
          })
      ))
    if let series = model.series {
      fields.append(
        (
          "intervals",
          .object([
            ("mode", .string(series.mode?.rawValue ?? "delta")),
            (
              "blocks",
              .array(
                series.blocks.map { mark in
                  .object(
                    [("index", .int(UInt64(mark.index))), ("line", .int(UInt64(mark.line)))]
                      + (mark.time.map { [("time", JSONValue.string($0))] } ?? []))
                })
            ),
            (
              "rows",
              .array(
                series.rows.map { row in
                  .object([
                    ("name", .string(row.name)), ("group", .raw(row.isGroup ? "true" : "false")),
                    ("weights", .array(row.weights.map { weight($0) })),
                  ])
                })
            ),
          ])
        ))
    }
    fields.append(("notes", .array(model.notes.map(JSONValue.string))))
    return .object(fields)
  }

  /// What trimming tracing frames removed: stacks and weight trimmed, frames dropped, stacks
  /// merged, entry-probe stacks without their function, and every dropped name.
  static func bpfFrames(_ trim: BPFFrameTrim.Summary, scale: WeightScale = .integer) -> JSONValue {
    func weight(_ w: UInt64) -> JSONValue { .raw(scale.format(w)) }
    return .object([
      ("stacks", .int(UInt64(trim.stacks))), ("weight", weight(trim.weight)),
      ("frames", .int(UInt64(trim.frames))),
      ("mergedStacks", .int(UInt64(trim.merged))),
      (
        "probeNotOnStack",
        .object([
          ("stacks", .int(UInt64(trim.probeNotOnStack))), ("weight", weight(trim.probeNotOnStackWeight)),
        ])
      ),
      (
        "dropped",
        .array(
          trim.dropped.map {
            .object([
              ("name", .string($0.name)), ("stacks", .int(UInt64($0.stacks))), ("weight", weight($0.weight)),
            ])
          })
      ),
    ])
  }
}
