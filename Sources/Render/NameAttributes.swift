/// flamegraph.pl's `--nameattr` file: per function, attributes for its frames. Each line is a
/// function name, a TAB, then TAB-separated `name=value` pairs:
/// `vfs_read<TAB>title=read a file<TAB>href=https://example.com/vfs_read`.
///
/// tdptrace honors `title` (the tooltip, in place of the count), `href` and `target` (the
/// frame links there), `class` and `id`; every value is escaped. flamegraph.pl's `g_extra` and
/// `a_extra` paste raw markup into the SVG: tdptrace refuses them rather than write
/// unescaped input into the document.
public struct NameAttributes: Sendable, Hashable {
  /// The attribute names tdptrace writes.
  public static let supported: Set<String> = ["title", "href", "target", "class", "id"]

  public private(set) var byName: [String: [String: String]] = [:]

  public init() {}

  /// A bad line of a name-attribute file.
  public struct ParseFailure: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { "\(file):\(line): \(message)" }
  }

  /// Parses the text of `file` (named in errors).
  public init(parsing text: String, file: String) throws(ParseFailure) {
    var number = 0
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      number += 1
      let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
      if line.isEmpty { continue }
      let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
      guard fields.count >= 2 else {
        throw ParseFailure(
          file: file, line: number, message: "expected a function name, a TAB, then name=value pairs")
      }
      var attributes: [String: String] = [:]
      for pair in fields.dropFirst() where !pair.isEmpty {
        guard let eq = pair.firstIndex(of: "=") else {
          throw ParseFailure(file: file, line: number, message: "expected name=value, found '\(pair)'")
        }
        let key = String(pair[..<eq])
        guard Self.supported.contains(key) else {
          throw ParseFailure(
            file: file, line: number,
            message:
              "attribute '\(key)' is not supported (supported: class, href, id, target, title; g_extra and a_extra would write raw markup)"
          )
        }
        attributes[key] = String(pair[pair.index(after: eq)...])
      }
      byName[String(fields[0]), default: [:]].merge(attributes) { $1 }
    }
  }

  public subscript(name: String) -> [String: String]? { byName[name] }
  public var isEmpty: Bool { byName.isEmpty }
}
