/// A probe as bpftrace, perf or `tdptrace record` spell it: `kprobe:FUNC`, `kfunc:MODULE:FUNC`,
/// `tracepoint:SYSTEM:EVENT`, `tp_btf:EVENT`, a perf event `SYSTEM:EVENT` or `probe:FUNC`, or a
/// bare `FUNC`. The one parser of probe names: map keys (`BpftraceMapKey`), the TDP MMU table's
/// group lookup and `record`'s `--probe` all go through it, so they cannot disagree on what a
/// spelling means.
public struct ProbeName: Sendable, Hashable, CustomStringConvertible {
  /// What the probe attaches to. Each kind lists the spellings bpftrace's `probe` builtin prints
  /// (`printed`, first is what tdptrace writes) and the short aliases bpftrace accepts in scripts.
  public enum Kind: String, Sendable, Hashable, CaseIterable {
    case kprobe, kretprobe, fentry, fexit, tracepoint
    /// BTF-typed raw tracepoint; names the event without its system.
    case tpBTF
    /// Untyped raw tracepoint; names the event without its system.
    case rawTracepoint
    case uprobe, uretprobe, usdt, profile, interval, software, hardware, watchpoint, asyncwatchpoint
    case iter, lsm
    /// `BEGIN` and `END`.
    case special
    /// A perf event name, `SYSTEM:EVENT` (`kvmmmu:kvm_mmu_get_page`).
    case perfEvent
    /// perf's dynamic probe, `probe:FUNC`.
    case perfProbe
    /// A bare function name: a leaf frame, or a `record --probe` without a kind.
    case bare

    /// The spellings bpftrace prints for `probe`, tdptrace's own first.
    public var printed: [String] {
      switch self {
      case .kprobe: return ["kprobe"]
      case .kretprobe: return ["kretprobe"]
      // bpftrace 0.17 prints kfunc; later versions print fentry.
      case .fentry: return ["kfunc", "fentry"]
      case .fexit: return ["kretfunc", "fexit"]
      case .tracepoint: return ["tracepoint"]
      case .tpBTF: return ["tracepoint_btf", "tp_btf"]
      case .rawTracepoint: return ["rawtracepoint", "raw_tracepoint"]
      case .special, .perfEvent, .perfProbe, .bare: return []
      default: return [rawValue]
      }
    }

    /// Script aliases, accepted on the command line but never printed by bpftrace.
    public var aliases: [String] {
      switch self {
      case .kprobe: return ["k"]
      case .kretprobe: return ["kr"]
      case .fentry: return ["f"]
      case .fexit: return ["fr"]
      case .tracepoint: return ["t"]
      case .rawTracepoint: return ["raw_tp"]
      case .uprobe: return ["u"]
      case .uretprobe: return ["ur"]
      case .usdt: return ["U"]
      case .profile: return ["p"]
      case .interval: return ["i"]
      case .software: return ["s"]
      case .hardware: return ["h"]
      case .watchpoint: return ["w"]
      case .asyncwatchpoint: return ["aw"]
      default: return []
      }
    }

    /// Whether the probe is on a kernel function's entry or exit (its name is a function).
    public var isFunction: Bool { [.kprobe, .kretprobe, .fentry, .fexit, .perfProbe, .bare].contains(self) }

    static let byPrinted: [String: Kind] = Dictionary(
      uniqueKeysWithValues: allCases.flatMap { kind in kind.printed.map { ($0, kind) } })
    static let byAlias: [String: Kind] = Dictionary(
      uniqueKeysWithValues: allCases.flatMap { kind in kind.aliases.map { ($0, kind) } })
  }

  public var kind: Kind
  /// The tracepoint's system (`kvmmmu`) for `tracepoint:` and perf events; nil otherwise.
  public var system: String?
  /// The module of `kprobe:MODULE:FUNC` and `kfunc:MODULE:FUNC`.
  public var module: String?
  /// The function or event as written, clone suffix kept: `tdp_mmu_init_sp`, `kvm_mmu_get_page`.
  public var name: String
  /// The text this was parsed from.
  public var text: String

  public init(kind: Kind, name: String, system: String? = nil, module: String? = nil, text: String? = nil) {
    self.kind = kind
    self.name = name
    self.system = system
    self.module = module
    self.text = text ?? Self.spell(kind: kind, name: name, system: system, module: module)
  }

  /// Reads any spelling; never fails: what is not a known probe form is a bare name.
  public init(_ text: String) {
    self = Self.bpftrace(text) ?? Self.other(text)
  }

  /// A probe as bpftrace's `probe` builtin prints it, or nil: the test map keys use to tell a
  /// probe member from any other string (a comm, a key).
  public static func bpftrace(_ text: String) -> ProbeName? {
    if text == "BEGIN" || text == "END" { return ProbeName(kind: .special, name: text, text: text) }
    guard let colon = text.firstIndex(of: ":"), colon != text.startIndex,
      text.index(after: colon) != text.endIndex,
      let kind = Kind.byPrinted[String(text[..<colon])]
    else { return nil }
    return parts(kind: kind, rest: text[text.index(after: colon)...], text: text)
  }

  /// A probe as a user writes it for `record --probe`: bpftrace's printed names, its aliases
  /// (`k:`, `t:`, `f:`), or a bare function. Nil for an unknown kind before a `:`.
  public static func command(_ text: String) -> ProbeName? {
    guard let colon = text.firstIndex(of: ":") else { return ProbeName(kind: .bare, name: text, text: text) }
    let prefix = String(text[..<colon])
    guard
      let kind = Kind.byPrinted[prefix] ?? Kind.byAlias[prefix]
        ?? (["func", "function"].contains(prefix) ? .bare : nil)
    else {
      return nil
    }
    return parts(kind: kind, rest: text[text.index(after: colon)...], text: text)
  }

  private static func parts(kind: Kind, rest: Substring, text: String) -> ProbeName {
    let fields = rest.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    switch kind {
    case .tracepoint:
      // tracepoint:system:event; a lone field is an event of unknown system.
      return ProbeName(
        kind: kind, name: fields.last ?? "", system: fields.count >= 2 ? fields[fields.count - 2] : nil,
        text: text)
    case .kprobe, .kretprobe, .fentry, .fexit:
      return ProbeName(
        kind: kind, name: fields.last ?? "", module: fields.count >= 2 ? fields[fields.count - 2] : nil,
        text: text)
    default:
      return ProbeName(kind: kind, name: fields.last ?? "", text: text)
    }
  }

  /// perf's names: `probe:FUNC`, `SYSTEM:EVENT`, or a bare function or event (`cpu-clock`).
  private static func other(_ text: String) -> ProbeName {
    let fields = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    guard fields.count == 2, !fields[0].isEmpty, !fields[1].isEmpty else {
      return ProbeName(kind: .bare, name: text, text: text)
    }
    if fields[0] == "probe" { return ProbeName(kind: .perfProbe, name: fields[1], text: text) }
    return ProbeName(kind: .perfEvent, name: fields[1], system: fields[0], text: text)
  }

  /// The function without a compiler clone suffix, for function kinds; the event otherwise.
  public var function: String { kind.isFunction ? FrameName.base(name) : name }

  /// `system:event` for a tracepoint whose system is known.
  public var tracepoint: String? {
    guard kind == .tracepoint || kind == .perfEvent, let system else { return nil }
    return system + ":" + name
  }

  /// Whether the probe names a tracepoint event (with or without its system).
  public var isTracepoint: Bool { [.tracepoint, .tpBTF, .rawTracepoint, .perfEvent].contains(kind) }

  public var description: String { text }

  /// bpftrace's spelling, as `tdptrace record` writes it into a capture.
  static func spell(kind: Kind, name: String, system: String?, module: String?) -> String {
    switch kind {
    case .special, .bare: return name
    case .perfEvent: return (system.map { $0 + ":" } ?? "") + name
    case .perfProbe: return "probe:" + name
    case .tracepoint: return "tracepoint:" + (system.map { $0 + ":" } ?? "") + name
    default: return kind.printed[0] + ":" + (module.map { $0 + ":" } ?? "") + name
    }
  }
}
