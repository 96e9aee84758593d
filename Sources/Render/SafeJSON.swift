import Foundation

/// JSON that stays inert wherever it lands: `JSONEncoder` output with `<`, `>`, `&`, U+2028 and
/// U+2029 written as `\u` escapes, as Go's encoding/json does, so a hostile function name
/// (`</script><script>...`) cannot end a `<script>` block or an HTML attribute it is embedded in.
/// Those characters can only occur inside JSON strings, so the rewrite never touches structure.
enum SafeJSON {
  static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
    return escape(Array(try encoder.encode(value)))
  }

  static func escape(_ json: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(json.count)
    var i = 0
    while i < json.count {
      let byte = json[i]
      switch byte {
      case UInt8(ascii: "<"): out += Array("\\u003c".utf8)
      case UInt8(ascii: ">"): out += Array("\\u003e".utf8)
      case UInt8(ascii: "&"): out += Array("\\u0026".utf8)
      case 0xE2
      where i + 2 < json.count && json[i + 1] == 0x80 && (json[i + 2] == 0xA8 || json[i + 2] == 0xA9):
        out += Array((json[i + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8)
        i += 2
      default: out.append(byte)
      }
      i += 1
    }
    return out
  }
}
