/// The one JSON writer of the reports (`report --json`, `report --tdp --json`): a value tree
/// with object keys in insertion order, pretty-printed with two-space indents, every string
/// escaped by `Escaping.json` (also `<`, `>`, `&`, U+2028/9, so the output stays inert inside
/// HTML and JavaScript). speedscope's export streams the same escaping without a tree, because
/// its size follows the number of unique stacks.
package indirect enum JSONValue {
  case object([(String, JSONValue)])
  case array([JSONValue])
  case string(String)
  case int(UInt64)
  /// A number already formatted (percentages, signed values).
  case raw(String)

  package func write(to out: inout [UInt8], indent: Int) {
    switch self {
    case .string(let s): Self.writeString(s, to: &out)
    case .int(let n): out.append(contentsOf: String(n).utf8)
    case .raw(let text): out.append(contentsOf: text.utf8)
    case .array(let items):
      if items.isEmpty { return out.append(contentsOf: "[]".utf8) }
      out.append(UInt8(ascii: "["))
      for (i, item) in items.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        Self.newline(&out, indent + 1)
        item.write(to: &out, indent: indent + 1)
      }
      Self.newline(&out, indent)
      out.append(UInt8(ascii: "]"))
    case .object(let fields):
      if fields.isEmpty { return out.append(contentsOf: "{}".utf8) }
      out.append(UInt8(ascii: "{"))
      for (i, (key, item)) in fields.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        Self.newline(&out, indent + 1)
        Self.writeString(key, to: &out)
        out.append(contentsOf: ": ".utf8)
        item.write(to: &out, indent: indent + 1)
      }
      Self.newline(&out, indent)
      out.append(UInt8(ascii: "}"))
    }
  }

  static func newline(_ out: inout [UInt8], _ indent: Int) {
    out.append(0x0A)
    out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * 2))
  }

  /// Escaped with `Escaping.json`: also safe inside HTML `<script>` and JavaScript.
  static func writeString(_ s: String, to out: inout [UInt8]) {
    out.append(contentsOf: Escaping.json(s).utf8)
  }

  /// The whole document, with a final newline.
  package var document: [UInt8] {
    var out: [UInt8] = []
    write(to: &out, indent: 0)
    out.append(0x0A)
    return out
  }
}
