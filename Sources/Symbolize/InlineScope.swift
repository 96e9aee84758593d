/// One level of the source-level chain at an address, as DWARF describes it.
public struct InlineScope: Hashable, Sendable {
  /// Function name from DWARF (`handle_removed_pt`), following `DW_AT_abstract_origin` for
  /// inlined instances.
  public var function: String
  /// True for a `DW_TAG_inlined_subroutine`, false for the out-of-line `DW_TAG_subprogram`.
  public var isInlined: Bool
  /// Where execution is inside this function: the line table's entry for the innermost level,
  /// the call site of the next inner level (`DW_AT_call_file`/`DW_AT_call_line`) for the others.
  public var file: String?
  public var line: Int?

  public init(function: String, isInlined: Bool, file: String? = nil, line: Int? = nil) {
    self.function = function
    self.isInlined = isInlined
    self.file = file
    self.line = line
  }

  /// `file:line`, `file`, or nil.
  public var srcline: String? {
    guard let file else { return nil }
    guard let line, line > 0 else { return file }
    return "\(file):\(line)"
  }
}
