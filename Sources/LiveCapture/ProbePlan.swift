import TDPTable

/// Which probes to attach: presets' groups plus `--probe` specs, under one `--attach` choice.
///
/// For a preset group, every recorded function (`ProbeGroup.recordedFunctions`) that exists is attached (fentry, then kprobe, under
/// `auto`). The group's tracepoints are attached when none of its functions attached, when
/// `--attach tracepoint` asks for tracepoints only, always with `withTracepoints`, and instead of
/// a function the table says no longer sees the whole group on this kernel
/// (`ProbeGroup.Function.tracepointFrom`: `handle_changed_spte` from 6.4). A tracepoint shared by
/// several groups is attached once.
public struct ProbePlan: Sendable {
  public var presets: [ProbeTable]
  public var probes: [ProbeSpec]
  public var attach: AttachRequest
  public var withTracepoints: Bool
  /// Count stacks, or time calls (`--latency`: functions only, entry with exit).
  public var mode: CaptureMode
  /// The running kernel's release, for the table's entries that changed at a release; nil when
  /// unknown (then no entry is replaced).
  public var kernel: KernelVersion?
  /// `record --spte`: `kvmmmu:kvm_tdp_mmu_spte_changed` is counted by change and
  /// `kvm_mmu_split_huge_page` by level and errno (`CaptureSession.sptePrograms`), through
  /// tp_btf or raw_tp only.
  public var spte: Bool
  /// `record --faults`: the fault preset's probes run the fault programs.
  public var faults: Bool
  /// `record --mmu-lock`: the lock preset's probes run the lock programs.
  public var mmuLock: Bool

  public init(
    presets: [ProbeTable] = [], probes: [ProbeSpec] = [], attach: AttachRequest = .auto,
    withTracepoints: Bool = false, mode: CaptureMode = .count, kernel: KernelVersion? = KernelVersion.running,
    spte: Bool = false, faults: Bool = false, mmuLock: Bool = false
  ) {
    self.mmuLock = mmuLock
    self.spte = spte
    self.faults = faults
    self.mode = mode
    self.kernel = kernel
    self.presets = presets
    self.probes = probes
    self.attach = attach
    self.withTracepoints = withTracepoints
  }

  /// Attaches every planned probe to `session` and returns one outcome per probe considered.
  public func attach(to session: CaptureSession, symbols: KernelSymbols, features: KernelFeatures)
    -> [AttachOutcome]
  {
    resolve { spec, methods, group in
      session.attach(spec, methods: methods, group: group, symbols: symbols, features: features)
    }
  }

  /// Checks every planned probe without loading anything (no privileges needed): the first method
  /// whose static checks pass is reported as tentative.
  public func check(symbols: KernelSymbols, features: KernelFeatures) -> [AttachOutcome] {
    resolve { spec, methods, group in
      CaptureSession.check(
        spec, methods: methods, group: group, mode: mode, symbols: symbols, features: features)
    }
  }

  /// Walks the plan, calling `attach` for each probe once, in plan order.
  public func resolve(_ attachOne: (ProbeSpec, [AttachMethod], String?) -> AttachOutcome) -> [AttachOutcome] {
    var outcomes: [AttachOutcome] = []
    var seen: Set<String> = []
    func tryAttach(_ spec: ProbeSpec, request: AttachRequest, group: String?) -> AttachOutcome? {
      let key = "\(spec.target)"
      guard seen.insert(key).inserted else { return nil }
      var methods = AttachMethod.order(for: spec.target, request: request)
      if spte, let prefix = CaptureSession.sptePrograms(spec) {
        methods.removeAll { CaptureSession.spteProgram($0, prefix: prefix) == nil }
      }
      if mmuLock, let prefix = CaptureSession.lockWaitPrefix(spec) {
        methods.removeAll { CaptureSession.spteProgram($0, prefix: prefix) == nil }
      }
      if faults, CaptureSession.isFastPath(spec) {
        methods.removeAll { CaptureSession.spteProgram($0, prefix: CaptureSession.fastPathPrefix) == nil }
      }
      let outcome = attachOne(spec, methods, group)
      outcomes.append(outcome)
      return outcome
    }
    for preset in presets {
      for group in preset.recordedGroups {
        let tracepoints = group.recordedTracepoints.map { ProbeSpec.tracepoint($0.system, $0.event) }
        var anyFunction = false
        // Why the group's tracepoints stand in for one of its functions on this kernel.
        var replacing: [String] = []
        if attach != .tracepoint {
          for entry in group.functions where entry.recorded {
            if mode == .count, attach == .auto, !tracepoints.isEmpty,
              let why = entry.replacedByTracepoints(on: kernel)
            {
              for name in entry.names where seen.insert("\(ProbeSpec.function(name).target)").inserted {
                outcomes.append(
                  AttachOutcome(
                    group: group.name, spec: .function(name),
                    skipped: "the group's tracepoint counts instead: \(why)"))
              }
              replacing.append(contentsOf: entry.names)
              continue
            }
            for function in entry.names {
              if tryAttach(.function(function, attach), request: attach, group: group.name)?.attached == true
              {
                anyFunction = true
              }
            }
          }
        }
        for tracepoint in tracepoints {
          // Why a group's tracepoint is not tried, if it is not.
          let skip: String? =
            anyFunction && !withTracepoints && replacing.isEmpty
            ? "its group's functions are probed; --with-tracepoints adds it"
            : attach == .kprobe || attach == .fentry ? "\(attach.rawValue) only: tracepoints left out" : nil
          if let skip {
            if !seen.contains("\(tracepoint.target)") {
              outcomes.append(AttachOutcome(group: group.name, spec: tracepoint, skipped: skip))
            }
            continue
          }
          if tryAttach(tracepoint, request: .auto, group: group.name) != nil, !replacing.isEmpty {
            outcomes[outcomes.count - 1].note = "instead of " + replacing.joined(separator: ", ")
          }
        }
      }
    }
    for spec in probes {
      let request = spec.request == .auto ? attach : spec.request
      _ = tryAttach(spec, request: request, group: nil)
    }
    return outcomes
  }
}
