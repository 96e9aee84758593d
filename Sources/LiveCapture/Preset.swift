import TDPTable

/// `record --preset NAME` and `probes --preset NAME` name one of the probe tables; the table says
/// which groups, functions and tracepoints are attached (`ProbeGroup.recorded*`).
extension ProbeTable {
  /// The table called `name`, for a preset flag.
  public static func preset(named name: String) throws(LiveCaptureError) -> ProbeTable {
    guard let table = named(name) else { throw .unknownPreset(name) }
    return table
  }
}
