/// What tdptrace knows about kernel frame names, kept once: compiler clone suffixes and the
/// frames the tracer itself puts on a stack.
public enum FrameName {
  /// The function without a compiler clone suffix: `__pvm_handle_exit.isra.0` →
  /// `__pvm_handle_exit`, `handle_changed_spte.cold` → `handle_changed_spte`. A leading dot is
  /// part of the name.
  public static func base(_ symbol: String) -> String { String(base(Substring(symbol))) }

  /// `base` on a substring, without copying.
  public static func base(_ symbol: Substring) -> Substring {
    // Searched in UTF-8, not by Character (grapheme breaking was a tenth of `fold --module` over
    // unique frames); `.` is ASCII, so the UTF-8 index is also a valid String index here.
    guard let dot = symbol.utf8.firstIndex(of: UInt8(ascii: ".")), dot != symbol.startIndex else {
      return symbol
    }
    return symbol[..<dot]
  }

  /// Where a tracing frame comes from, which decides who removes it.
  public enum Machinery: Sendable, Hashable {
    /// The BPF program and what runs it (program, trampoline, `bpf_trace_run*`): never a kernel
    /// frame the user traced. `record` strips these from the top of every stack it writes.
    case bpfRuntime
    /// Probe dispatch that bpftrace shows too (`perf_trace_*`, the kprobe ftrace handler, the
    /// trampoline's enter/exit helpers): kept in captures so they match bpftrace's, left out
    /// where a report describes a path.
    case dispatch
  }

  /// Name prefixes of tracing machinery. The one list: `record`'s writer, the path classifier
  /// and trimming of saved captures read it.
  public static let machineryPrefixes: [(prefix: String, kind: Machinery)] = [
    ("bpf_prog_", .bpfRuntime), ("bpf_trampoline_", .bpfRuntime), ("bpf_trace_run", .bpfRuntime),
    ("__bpf_trace_", .bpfRuntime), ("__bpf_prog_enter", .dispatch), ("__bpf_prog_exit", .dispatch),
    ("kprobe_ftrace_handler", .dispatch), ("perf_trace_", .dispatch),
  ]

  /// The kind of tracing machinery `name` is, or nil for an ordinary frame.
  public static func machinery(_ name: Substring) -> Machinery? {
    // Every prefix starts with one of these bytes; most frames are rejected by the first check.
    guard let first = name.utf8.first,
      first == UInt8(ascii: "b") || first == UInt8(ascii: "_")
        || first == UInt8(ascii: "k") || first == UInt8(ascii: "p")
    else { return nil }
    // Compared in UTF-8: `hasPrefix` goes through the generic `starts(with:)` by Character.
    return machineryPrefixes.first { name.utf8.starts(with: $0.prefix.utf8) }?.kind
  }

  /// Whether `name` is any tracing machinery.
  public static func isTracingMachinery(_ name: Substring) -> Bool { machinery(name) != nil }
}
