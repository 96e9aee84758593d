/// What happened to one probe: attached by which method, or why not, method by method.
public struct AttachOutcome: Sendable, Equatable {
  public struct Failure: Sendable, Equatable {
    /// The method that failed; nil when the probe was not tried at all (e.g. not in kallsyms).
    public var method: AttachMethod?
    public var reason: String
  }

  /// The preset group the probe came from; nil for `--probe`.
  public var group: String?
  public var spec: ProbeSpec
  public var method: AttachMethod?
  public var failures: [Failure] = []
  /// Set when the probe was deliberately not tried (a group's tracepoints when its functions attached).
  public var skipped: String?
  /// True when only static checks were run (`probes --static`, or without privileges).
  public var tentative = false
  /// Why it was attached when it otherwise would not be (a tracepoint standing in for a function).
  public var note: String?
  /// Index of the probe in the session's maps (when attached).
  public var probeID: UInt32?

  public var attached: Bool { method != nil }

  /// bpftrace's spelling of the probe, for the capture's keys.
  public var name: String { spec.bpftraceName(via: method) }

  /// One line for `probes` and for stderr.
  public var summary: String {
    if let method {
      var line = (tentative ? "ok?   " : "ok    ") + "\(name) via \(method.rawValue)"
      if tentative { line += " (static checks only; not loaded)" }
      // Say why the methods before it were not used (fentry refused, so kprobe).
      let earlier = failures.compactMap { f in f.method.map { "\($0.rawValue): \(f.reason)" } }
      if !earlier.isEmpty { line += " (after " + earlier.joined(separator: "; ") + ")" }
      if let note { line += " (\(note))" }
      return line
    }
    if let skipped { return "skip  \(spec) (\(skipped))" }
    let reasons = failures.map { f in f.method.map { "\($0.rawValue): \(f.reason)" } ?? f.reason }
    return "FAIL  \(spec): " + reasons.joined(separator: "; ")
  }
}
