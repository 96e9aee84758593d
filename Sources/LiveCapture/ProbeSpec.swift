import TraceParse

/// How the user asked for a probe to be attached.
public enum AttachRequest: String, Sendable, CaseIterable, Hashable {
  /// Try every method that fits the probe, in `AttachMethod.order(for:)` order.
  case auto
  case kprobe
  case fentry
  case tracepoint
}

/// One concrete way of attaching a BPF program.
public enum AttachMethod: String, Sendable, CaseIterable, Hashable {
  case fentry
  case kprobe
  /// BTF-typed raw tracepoint (`SEC("tp_btf")`).
  case tpBTF = "tp_btf"
  /// Untyped raw tracepoint (`SEC("raw_tp")`).
  case rawTracepoint = "raw_tp"
  /// Classic perf-event tracepoint (`SEC("tracepoint")`), needs tracefs.
  case tracepoint

  /// The methods tried for a target, in order. Functions: fentry (one trampoline, cheapest),
  /// then kprobe. Tracepoints: tp_btf, raw_tp, then the perf tracepoint (the only one that needs
  /// tracefs).
  public static func order(for target: ProbeSpec.Target, request: AttachRequest) -> [AttachMethod] {
    switch (target, request) {
    case (.function, .auto): return [.fentry, .kprobe]
    case (.function, .kprobe): return [.kprobe]
    case (.function, .fentry): return [.fentry]
    case (.function, .tracepoint): return []
    case (.tracepoint, .auto), (.tracepoint, .tracepoint): return [.tpBTF, .rawTracepoint, .tracepoint]
    case (.tracepoint, .kprobe), (.tracepoint, .fentry): return []
    }
  }

  /// The program in `tdptrace.bpf.c` that implements this method.
  var programName: String {
    switch self {
    case .fentry: return "tdp_fentry"
    case .kprobe: return "tdp_kprobe"
    case .tpBTF: return "tdp_tp_btf"
    case .rawTracepoint: return "tdp_raw_tp"
    case .tracepoint: return "tdp_tracepoint"
    }
  }
}

/// A probe named on the command line or by a preset: `kprobe:FUNC`, `fentry:FUNC` (or bpftrace's
/// `kfunc:FUNC`, `kfunc:MODULE:FUNC`), `tracepoint:CATEGORY:NAME` (or `t:`), or a bare `FUNC`
/// (attached by whatever works).
public struct ProbeSpec: Hashable, Sendable, CustomStringConvertible {
  public enum Target: Hashable, Sendable {
    case function(String)
    case tracepoint(category: String, name: String)
  }

  public var target: Target
  public var request: AttachRequest

  public init(target: Target, request: AttachRequest = .auto) {
    self.target = target
    self.request = request
  }

  public static func function(_ name: String, _ request: AttachRequest = .auto) -> ProbeSpec {
    ProbeSpec(target: .function(name), request: request)
  }

  public static func tracepoint(_ category: String, _ name: String) -> ProbeSpec {
    ProbeSpec(target: .tracepoint(category: category, name: name), request: .auto)
  }

  /// Parses a probe as written on the command line, through the one probe-name parser
  /// (`ProbeName.command`), keeping the kinds `record` can attach.
  public static func parse(_ text: String) throws(LiveCaptureError) -> ProbeSpec {
    func identifier(_ s: String) -> Bool {
      !s.isEmpty
        && s.utf8.allSatisfy { c in
          (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
            || c == 0x2E
        }
    }
    func bad(_ why: String) -> LiveCaptureError { .badProbe(text, why) }
    let fields = text.split(separator: ":", omittingEmptySubsequences: false)
    let kinds = "(kprobe, fentry, kfunc, tracepoint)"
    guard fields.count <= 3 else {
      throw bad("too many ':' (kprobe:FUNC, fentry:FUNC, tracepoint:CATEGORY:NAME)")
    }
    guard let probe = ProbeName.command(text) else { throw bad("unknown probe type '\(fields[0])' \(kinds)") }
    let function =
      fields.count == 1 ? "a kernel function name" : "a kernel function name after '\(fields[0]):'"
    switch probe.kind {
    case .bare where fields.count <= 2:
      guard identifier(probe.name) else { throw bad("expected \(function)") }
      return .function(probe.name, .auto)
    case .kprobe, .fentry:
      guard identifier(probe.name), probe.module.map(identifier) ?? true else {
        throw bad("expected \(function)")
      }
      return .function(probe.name, probe.kind == .kprobe ? .kprobe : .fentry)
    case .tracepoint, .tpBTF, .rawTracepoint:
      guard probe.kind == .tracepoint, fields.count == 3, let system = probe.system, identifier(system),
        identifier(probe.name)
      else { throw bad("expected tracepoint:CATEGORY:NAME") }
      return .tracepoint(system, probe.name)
    default:
      throw bad("unknown probe type '\(fields[0])' \(kinds)")
    }
  }

  /// The probe as bpftrace's `probe` builtin spells it for this attach method; this is the key
  /// tdptrace writes, so captures read like bpftrace's.
  public func bpftraceName(via method: AttachMethod?) -> String {
    switch target {
    case .tracepoint(let category, let name):
      return ProbeName(kind: .tracepoint, name: name, system: category).text
    case .function(let name):
      let kind: ProbeName.Kind =
        (method ?? (request == .kprobe ? .kprobe : .fentry)) == .kprobe ? .kprobe : .fentry
      return ProbeName(kind: kind, name: name).text
    }
  }

  public var description: String {
    switch (target, request) {
    case (.tracepoint(let c, let n), _): return "tracepoint:\(c):\(n)"
    case (.function(let f), .kprobe): return "kprobe:\(f)"
    case (.function(let f), .fentry): return "fentry:\(f)"
    case (.function(let f), _): return f
    }
  }
}
