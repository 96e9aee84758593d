// The perf-script parser target: see Fuzz/Support/ParserFuzz.swift and docs/fuzzing.md.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  ParserFuzz.run(PerfScriptParser(), data, size)
  return 0
}
