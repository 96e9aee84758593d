import TraceParse

/// One-line text of a non-stack map value, shared by the HTML page, the text report and the
/// pprof export (where values travel as comments).
enum MapValueText {
  /// The value alone: `42`, `count 3, average 5, total 15`, or buckets `[0, 1) 3; [1, 2) 5`.
  static func value(_ value: MapValue) -> String {
    switch value.kind {
    case .scalar:
      return value.numbers.map(String.init).joined(separator: " ")
    case .stats:
      return zip(["count", "average", "total"], value.numbers).map { "\($0) \($1)" }.joined(separator: ", ")
    case .hist, .lhist:
      return value.buckets.map { "\($0.label) \($0.count)" }.joined(separator: "; ")
    }
  }

  /// `@name[key1, key2]: <kind> <value>` (the kind only for histograms), unescaped.
  static func line(_ value: MapValue) -> String {
    let key = value.key.isEmpty ? "" : "[" + value.key.joined(separator: ", ") + "]"
    let kind = value.kind == .hist || value.kind == .lhist ? value.kind.rawValue + " " : ""
    return "\(value.map)\(key): \(kind)\(Self.value(value))"
  }
}
