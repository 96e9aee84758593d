/// One frame a user asks `tdptrace symbolize` about: `FUNC+OFFSET` (decimal, or hex with `0x`,
/// as bpftrace and perf print them), `OBJECT:FUNC+OFFSET`, or a raw address `0xADDR`.
///
/// Parsing is separate from the DWARF lookup so it can be tested and fuzzed without debuginfo
/// (`Fuzz/symbolspec.swift`). Self-contained: the fuzz build compiles this file alone.
public enum SymbolSpec: Hashable, Sendable {
  case address(UInt64)
  case symbol(module: String?, name: String, offset: UInt64)

  /// Why a spec could not be read.
  public struct Failure: Error, Hashable, Sendable {
    public var reason: String
  }

  /// Reads one spec (no surrounding whitespace).
  public static func parse(_ spec: Substring) -> Result<SymbolSpec, Failure> {
    if hasHexPrefix(spec, upperCaseToo: true) {
      guard let address = UInt64(spec.dropFirst(2), radix: 16) else {
        return .failure(Failure(reason: "not a hex address"))
      }
      return .success(.address(address))
    }
    // Searched in UTF-8 rather than by Character: grapheme breaking cost a tenth of a
    // `symbolize` run over 20k specs. `:` and `+` are ASCII, so a UTF-8 index is also a valid
    // String index here.
    var rest = spec
    var module: String?
    if let colon = rest.utf8.firstIndex(of: UInt8(ascii: ":")) {
      module = String(rest[..<colon])
      rest = rest[rest.utf8.index(after: colon)...]
    }
    guard let plus = rest.utf8.lastIndex(of: UInt8(ascii: "+")), plus != rest.startIndex else {
      return .failure(Failure(reason: "expected FUNC+OFFSET or 0xADDRESS"))
    }
    let offsetText = rest[rest.utf8.index(after: plus)...]
    let offset: UInt64?
    if hasHexPrefix(offsetText, upperCaseToo: false) {
      offset = UInt64(offsetText.dropFirst(2), radix: 16)
    } else {
      offset = UInt64(offsetText)
    }
    guard let offset else { return .failure(Failure(reason: "offset is not a number")) }
    return .success(.symbol(module: module, name: String(rest[..<plus]), offset: offset))
  }

  /// `0x` (or `0X`) at the start, compared in UTF-8: `Substring.hasPrefix` goes through the
  /// generic `starts(with:)` by Character, a measurable part of parsing 20k SPECs.
  private static func hasHexPrefix(_ text: Substring, upperCaseToo: Bool) -> Bool {
    let utf8 = text.utf8
    guard utf8.count >= 2, utf8.first == UInt8(ascii: "0") else { return false }
    let x = utf8[utf8.index(after: utf8.startIndex)]
    return x == UInt8(ascii: "x") || (upperCaseToo && x == UInt8(ascii: "X"))
  }

  /// The spec as text `parse` reads back to the same value (offsets in hex).
  public var text: String {
    switch self {
    case .address(let address): return "0x" + String(address, radix: 16)
    case .symbol(let module, let name, let offset):
      return (module.map { $0 + ":" } ?? "") + name + "+0x" + String(offset, radix: 16)
    }
  }
}
