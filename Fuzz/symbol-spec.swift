// The `tdptrace symbolize` SPEC parser (Sources/Symbolize/SymbolSpec.swift): never crashes,
// and a spec it reads prints back (`text`) to one it reads as the same frame.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
  let text = String(decoding: bytes, as: UTF8.self)
  for spec in text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
    guard case .success(let parsed) = SymbolSpec.parse(spec) else { continue }
    guard case .success(let again) = SymbolSpec.parse(Substring(parsed.text)) else {
      preconditionFailure("\(parsed.text) does not parse back")
    }
    precondition(again == parsed, "\(parsed.text) parses back as \(again)")
  }
  return 0
}
