/// Escaping for every place a name from a trace lands in a report. A trace is untrusted input:
/// a function name may hold `<script>`, quotes, `&`, `]]>`, C++ templates (`std::vector<int>`),
/// Rust paths (`<T as Trait>::f`) or control bytes, and none of them may break the document or
/// run as code.
public enum Escaping {
  /// Unicode's bidirectional controls: embeddings, overrides and isolates (U+202A–U+202E,
  /// U+2066–U+2069) and the marks (U+200E, U+200F, U+061C). Raw, they reorder the text around
  /// them, so a frame name could display as another (`evil\u{202E}cba` shows as `evilabc`);
  /// every renderer shows them as visible escapes instead.
  public static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
    default: return false
    }
  }

  /// `\u{202e}`: how SVG, HTML and text show a bidi control, as visible characters.
  public static func visible(_ scalar: Unicode.Scalar) -> String {
    "\\u{" + String(scalar.value, radix: 16) + "}"
  }

  /// Text or attribute value in XML, SVG or HTML: `&`, `<`, `>`, `"` and `'` become entities,
  /// characters XML 1.0 forbids (C0 controls other than tab, LF, CR; U+FFFE, U+FFFF) become
  /// U+FFFD, so the SVG stays well-formed and an attribute value can never be closed early, and
  /// bidi controls become visible `\u{202e}` text (a character reference would still act).
  public static func xml(_ text: String) -> String {
    var needs = false
    // 0xEF leads U+FFFE/U+FFFF; 0xE2 and 0xD8 lead the bidi controls.
    for unit in text.utf8
    where unit < 0x20 || unit == 0x26 || unit == 0x3C || unit == 0x3E || unit == 0x22 || unit == 0x27
      || unit == 0xEF || unit == 0xE2 || unit == 0xD8
    {
      needs = true
      break
    }
    guard needs else { return text }
    var out = ""
    out.reserveCapacity(text.utf8.count + 16)
    appendXML(text, to: &out)
    return out
  }

  /// Appends `text` escaped as by `xml(_:)`.
  public static func appendXML(_ text: String, to out: inout String) {
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
      default:
        if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
          out += "\u{FFFD}"
        } else if isBidiControl(scalar) {
          out += visible(scalar)
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
  }

  /// HTML text and attribute values: the same rules as XML, which are also safe in HTML.
  public static func html(_ text: String) -> String { xml(text) }

  /// The body of a JSON string literal (without the surrounding quotes). Besides what JSON
  /// requires (`"`, `\`, control characters), `<`, `>`, `&`, U+2028 and U+2029 become `\u` escapes,
  /// so the JSON can sit inside an HTML `<script>` element without `</script>` or `<!--` ending
  /// it, and is still valid JavaScript. Bidi controls become `\u202e`: the string is unchanged
  /// for a JSON reader, and the file shows them as escapes.
  public static func jsonBody(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count + 8)
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "<": out += "\\u003c"
      case ">": out += "\\u003e"
      case "&": out += "\\u0026"
      case "\u{2028}": out += "\\u2028"
      case "\u{2029}": out += "\\u2029"
      default:
        if scalar.value < 0x20 || scalar.value == 0x7F {
          out += "\\u00" + hexByte(UInt8(scalar.value))
        } else if isBidiControl(scalar) {
          out += "\\u" + hexByte(UInt8(scalar.value >> 8)) + hexByte(UInt8(scalar.value & 0xFF))
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out
  }

  /// Text for a terminal: control characters (C0 and DEL), which could move the cursor, break
  /// a line or start an escape sequence, become `escape(code)`, and bidi controls, which reorder
  /// what is shown, become `visible(_:)`; the rest is unchanged.
  public static func terminal(_ text: String, escape: (UInt32) -> String) -> String {
    func isControl(_ scalar: Unicode.Scalar) -> Bool {
      scalar.value < 0x20 || scalar.value == 0x7F || isBidiControl(scalar)
    }
    guard text.unicodeScalars.contains(where: isControl) else { return text }
    var out = ""
    for scalar in text.unicodeScalars {
      if isBidiControl(scalar) {
        out += visible(scalar)
      } else if isControl(scalar) {
        out += escape(scalar.value)
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  /// A complete JSON string literal, quotes included.
  public static func json(_ text: String) -> String { "\"" + jsonBody(text) + "\"" }

  /// A URL fragment or `id` value made only of `[A-Za-z0-9_-]`, derived from any name: other
  /// bytes become `.XX` hex, so distinct names give distinct ids and nothing needs escaping.
  public static func identifier(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for unit in text.utf8 {
      switch unit {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
        out.unicodeScalars.append(Unicode.Scalar(unit))
      default:
        out += "." + hexByte(unit)
      }
    }
    return out
  }

  /// Two lowercase hex digits.
  static func hexByte(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef".unicodeScalars)
    var s = ""
    s.unicodeScalars.append(digits[Int(byte >> 4)])
    s.unicodeScalars.append(digits[Int(byte & 0xF)])
    return s
  }
}
