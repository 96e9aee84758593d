import CLibbpf
import CTDPTraceBPF
import Foundation
import TDPTable

/// A live capture: the shared maps, and one libbpf object and link per attached probe.
///
/// Every probe gets its own `bpf_object` opened from the embedded ELF, keeping only the program
/// for its attach method, with its probe id in `.rodata`, and the mode's maps replaced by the
/// session's (`bpf_map__reuse_fd`). So probes of different kinds count into one place, and
/// libbpf's own attach paths are used (kprobe through the perf PMU or legacy kprobe_events,
/// whichever the kernel has). `detach()` (also run by `deinit`) destroys every link and object.
public final class CaptureSession {
  public let limits: CaptureLimits
  public let mode: CaptureMode
  /// `record --spte`: the SPTE change tracepoint is counted by change (`count_key.spte`), its
  /// classes computed in the kernel under `spteMasks`.
  public let spte: Bool
  /// The masks the SPTE change probe classifies under, once it is loaded.
  public private(set) var spteMasks: SPTEMaskReading?
  /// `record --faults`: the fault preset's functions and tracepoint run the fault programs
  /// (`FaultRole`), configured by `faultLayout`.
  public let faults: Bool
  /// `record --mmu-lock`: the lock preset's probes run the lock programs (`LockRole`).
  public let mmuLock: Bool
  /// What the fault programs read by; set before attaching.
  public var faultLayout = FaultLayout()
  /// The session's maps by the name the BPF object gives them; only those of `mode`.
  private var maps: [String: Int32] = [:]
  private var objects: [(object: OpaquePointer, links: [OpaquePointer])] = []
  /// `--slower-than` events read from the ring buffer, and those past `slowLimit`.
  public private(set) var slowCalls: [SlowCall] = []
  public private(set) var slowCallsOverLimit: UInt64 = 0
  /// The most slow calls kept; later ones are counted, not kept.
  public static let slowLimit = 10_000
  private var ring: OpaquePointer?
  private var ringContext: Unmanaged<SlowCallSink>?
  /// Attached probes, by probe id.
  public private(set) var probes: [AttachOutcome] = []
  private var closed = false

  /// Frames per stack-map value (bpf/tdptrace.h).
  static let maxStackDepth = Int(MAX_STACK_DEPTH)
  static let objectBytes: [UInt8] = Array(
    Data(base64Encoded: BPFObjectData.base64, options: .ignoreUnknownCharacters) ?? Data())

  /// Creates the maps. Throws when privileges are missing or the kernel has no BPF.
  public init(
    limits: CaptureLimits = CaptureLimits(), mode: CaptureMode = .count, spte: Bool = false,
    faults: Bool = false, mmuLock: Bool = false
  )
    throws(LiveCaptureError)
  {
    self.limits = limits
    self.mode = mode
    self.spte = spte && mode == .count
    self.faults = faults && mode == .count
    self.mmuLock = mmuLock && mode == .count
    LibbpfLog.install()
    func create(_ type: bpf_map_type, _ name: String, _ key: UInt32, _ value: UInt32, _ entries: UInt32)
      throws(LiveCaptureError) -> Int32
    {
      let fd = bpf_map_create(type, name, key, value, entries, nil)
      if fd < 0 {
        let code = errno
        _ = LibbpfLog.take()
        if code == ENOSYS { throw .noBPF("the bpf() system call is missing (CONFIG_BPF_SYSCALL off)") }
        if code == EPERM { try Privileges.current().require() }
        throw .mapCreate(name, code)
      }
      return fd
    }
    let specs = Self.mapSpecs(limits)
    let wanted = mode.maps.union(self.spte ? Self.operationMaps : []).union(self.faults ? Self.faultMaps : [])
      .union(self.mmuLock ? Self.lockMaps : [])
    do {
      for (name, type, key, value, entries) in specs where wanted.contains(name) {
        maps[name] = try create(type, "tdp_" + name, key, value, entries)
      }
    } catch {
      for fd in maps.values { close(fd) }
      throw error
    }
    if mode == .latency, let fd = maps["slow"] {
      let sink = Unmanaged.passRetained(SlowCallSink())
      ringContext = sink
      ring = ring_buffer__new(fd, slowCallReceived, sink.toOpaque(), nil)
    }
  }

  private func fd(_ name: String) -> Int32 { maps[name] ?? -1 }

  deinit { detach() }

  /// Destroys every link, so no more events are counted, but keeps the programs loaded (their
  /// `bpf_prog_*` symbols stay in kallsyms) and the maps readable. Safe to call twice.
  public func stop() {
    for i in objects.indices.reversed() {
      for link in objects[i].links.reversed() { bpf_link__destroy(link) }
      objects[i].links = []
    }
    pollSlowCalls()
  }

  /// Destroys every link and object and closes the maps. Safe to call twice.
  public func detach() {
    guard !closed else { return }
    closed = true
    stop()
    if let ring { ring_buffer__free(ring) }
    ring = nil
    ringContext?.release()
    ringContext = nil
    for (object, _) in objects.reversed() { bpf_object__close(object) }
    objects.removeAll()
    for fd in maps.values { close(fd) }
    maps.removeAll()
  }

  /// Takes the `--slower-than` events the kernel side has written so far.
  public func pollSlowCalls() {
    guard let ring, let sink = ringContext?.takeUnretainedValue() else { return }
    _ = ring_buffer__consume(ring)
    for call in sink.take() {
      if slowCalls.count < Self.slowLimit { slowCalls.append(call) } else { slowCallsOverLimit += 1 }
    }
  }

  /// Tries `methods` in order until one attaches. Probes that cannot work on this kernel (not in
  /// kallsyms, no kprobes, no BTF, tracepoint missing) are refused with the reason, without a
  /// load.
  public func attach(
    _ spec: ProbeSpec, methods: [AttachMethod], group: String? = nil, symbols: KernelSymbols,
    features: KernelFeatures
  ) -> AttachOutcome {
    var outcome = AttachOutcome(group: group, spec: spec)
    if let refusal = Self.refusal(spec, methods: methods, mode: mode, symbols: symbols, features: features) {
      outcome.failures.append(.init(method: nil, reason: refusal))
      return outcome
    }
    guard UInt32(probes.count) < limits.maxProbes else {
      outcome.failures.append(.init(method: nil, reason: "more than \(limits.maxProbes) probes"))
      return outcome
    }
    for method in methods {
      if let refusal = Self.precheck(spec, method, symbols: symbols, features: features) {
        outcome.failures.append(.init(method: method, reason: refusal))
        continue
      }
      switch load(spec, method, group: group, symbols: symbols) {
      case .success(let loaded):
        objects.append((loaded.object, loaded.links))
        outcome.method = method
        outcome.probeID = UInt32(probes.count)
        probes.append(outcome)
        return outcome
      case .failure(let reason):
        outcome.failures.append(.init(method: method, reason: reason))
      }
    }
    if mode == .latency {
      outcome.failures.append(
        .init(method: nil, reason: "latency needs fentry or kprobe, and neither attached"))
    }
    return outcome
  }

  /// The static part of `attach`: the first method that passes every check without loading is
  /// returned as a tentative result.
  public static func check(
    _ spec: ProbeSpec, methods: [AttachMethod], group: String? = nil, mode: CaptureMode = .count,
    symbols: KernelSymbols, features: KernelFeatures
  ) -> AttachOutcome {
    var outcome = AttachOutcome(group: group, spec: spec)
    if let refusal = refusal(spec, methods: methods, mode: mode, symbols: symbols, features: features) {
      outcome.failures.append(.init(method: nil, reason: refusal))
      return outcome
    }
    for method in methods {
      if let refusal = precheck(spec, method, symbols: symbols, features: features) {
        outcome.failures.append(.init(method: method, reason: refusal))
        continue
      }
      outcome.method = method
      outcome.tentative = true
      return outcome
    }
    return outcome
  }

  /// A reason that rules out every method.
  static func refusal(
    _ spec: ProbeSpec, methods: [AttachMethod], mode: CaptureMode, symbols: KernelSymbols,
    features: KernelFeatures
  )
    -> String?
  {
    if mode == .latency, case .tracepoint = spec.target {
      return "latency needs fentry or kprobe: a tracepoint has no exit to time the call by"
    }
    if case .function(let name) = spec.target, symbols.function(named: name) == nil {
      // Another name of the table's entry, found here: a rename, or (6.1's handle_changed_spte
      // beside __handle_changed_spte) an inlined wrapper. kallsyms cannot tell which; DWARF can.
      if let current = ProbeTable.otherNames(of: name).first(where: { symbols.function(named: $0) != nil }) {
        return "not in kallsyms (this kernel has its other name \(current): renamed, or inlined beside it)"
      }
      return "not in kallsyms (inlined, renamed or not built on this kernel)"
    }
    if case .tracepoint(let category, let name) = spec.target,
      features.btfTracepoint(name) == nil,
      features.tracefsHasTracepoint(category: category, name: name) == false
        || (features.tracefs == nil && features.hasBTF)
    {
      return
        "tracepoint missing (not in kernel BTF\(features.tracefs == nil ? "; tracefs not mounted" : " or tracefs events"))"
    }
    if methods.isEmpty { return "no method of the requested kind fits this probe" }
    return nil
  }

  /// Reasons known without loading anything.
  static func precheck(
    _ spec: ProbeSpec, _ method: AttachMethod, symbols: KernelSymbols, features: KernelFeatures
  )
    -> String?
  {
    switch (spec.target, method) {
    case (.function(let name), .kprobe):
      if !features.kprobes {
        return "kprobes unavailable (CONFIG_KPROBES off: no kprobe PMU, no kprobe_events)"
      }
      if features.kprobeBlacklist.contains(name) { return "on the kprobe blacklist (notrace)" }
      return nil
    case (.function(let name), .fentry):
      if !features.hasBTF { return "no kernel BTF (/sys/kernel/btf/vmlinux), fentry needs it" }
      if features.btfFunction(name) == nil {
        return "no BTF FUNC for \(name) (inlined or static without BTF)"
      }
      if let ftraceable = features.ftraceable, !ftraceable.contains(name) {
        return "notrace (not in available_filter_functions)"
      }
      return nil
    case (.tracepoint(_, let name), .tpBTF):
      if !features.hasBTF { return "no kernel BTF" }
      if features.btfTracepoint(name) == nil { return "no btf_trace_\(name) in kernel BTF" }
      return nil
    case (.tracepoint(let category, let name), .tracepoint):
      if features.tracefs == nil { return "tracefs not mounted (mount -t tracefs nodev /sys/kernel/tracing)" }
      if features.tracefsHasTracepoint(category: category, name: name) == false {
        return "tracepoint missing"
      }
      return nil
    case (.tracepoint, .rawTracepoint):
      return nil
    default:
      return "does not apply to this probe"
    }
  }

  private enum LoadResult {
    case success((object: OpaquePointer, links: [OpaquePointer]))
    case failure(String)
  }

  /// Whether `spec` is the tracepoint `record --spte` decodes.
  public static func isSPTEChange(_ spec: ProbeSpec) -> Bool {
    spec.target
      == .tracepoint(category: SPTECaptureKey.tracepoint.system, name: SPTECaptureKey.tracepoint.event)
  }

  /// The tracepoints `record --spte` decodes in the kernel, by the prefix of their programs:
  /// SPTE changes (`tdp_spte_*`) and huge page splits by level and errno (`tdp_split_*`).
  public static func sptePrograms(_ spec: ProbeSpec) -> String? {
    for (tracepoint, prefix) in [
      (SPTECaptureKey.tracepoint, "tdp_spte"), (SPTECaptureKey.splitTracepoint, "tdp_split"),
    ]
    where spec.target == .tracepoint(category: tracepoint.system, name: tracepoint.event) {
      return prefix
    }
    return nil
  }

  /// The program of `prefix` for `method`: the tracepoint's arguments are read as the u64 of
  /// `TP_PROTO`, which tp_btf and raw_tp have and the perf tracepoint has not.
  static func spteProgram(_ method: AttachMethod, prefix: String) -> String? {
    switch method {
    case .tpBTF: return prefix + "_tp_btf"
    case .rawTracepoint: return prefix + "_raw_tp"
    default: return nil
    }
  }

  /// `record --spte`'s maps of operations (bpf/tdptrace.h, `struct op_record`).
  static let operationMaps: Set<String> = ["op_tasks", "op_next", "ops"]

  /// What `record --spte` does at a function of `group` in its preset (`ProbeTable.tdpMMUSPTE`):
  /// nil for a plain count.
  static func ledgerRole(_ spec: ProbeSpec, group: String?) -> ProbeGroup.LedgerRole? {
    guard case .function(let name) = spec.target, let group,
      let entry = ProbeTable.tdpMMUSPTE.group(named: group)?.functions.first(where: {
        $0.names.contains(name)
      })
    else { return nil }
    return entry.ledgerRole
  }

  /// The programs of a ledger role for `method`, entry first: an operation root's entry and
  /// exit, a flush's count; nil where a flush can only be counted like any probe.
  static func ledgerPrograms(_ role: ProbeGroup.LedgerRole, _ method: AttachMethod) -> [String]? {
    switch (role, method) {
    case (.operation, .fentry): return ["tdp_op_fentry", "tdp_op_fexit"]
    case (.operation, .kprobe): return ["tdp_op_kprobe", "tdp_op_kretprobe"]
    case (.operation, _): return []
    case (.flush, .fentry): return ["tdp_flush_fentry"]
    case (.flush, .kprobe): return ["tdp_flush_kprobe"]
    case (.flush, _): return nil
    }
  }

  /// `record --faults`'s maps (bpf/tdptrace.h, `struct fault_task`, `struct fault_key`).
  static let faultMaps: Set<String> = ["fault_tasks", "faults", "hist_zero"]

  /// The fault role of a function of `group` in `record --faults`'s preset, or nil.
  static func faultRole(_ spec: ProbeSpec, group: String?) -> ProbeGroup.FaultRole? {
    guard case .function(let name) = spec.target, let group,
      let entry = ProbeTable.tdpMMUFaults.group(named: group)?.functions.first(where: {
        $0.names.contains(name)
      })
    else { return nil }
    return entry.faultRole
  }

  /// Whether `spec` is the tracepoint `record --faults` reads the fast path's return from.
  public static func isFastPath(_ spec: ProbeSpec) -> Bool {
    ProbeTable.tdpMMUFaults.groups.flatMap(\.tracepoints).contains {
      spec.target == .tracepoint(category: $0.system, name: $0.event)
    }
  }

  /// Every map of tdptrace.bpf.c the session creates (name, type, key and value sizes, entries),
  /// from the structs of tdptrace.h. A program's map missing here is not created and the
  /// program fails to load ("invalid BPF map reference"); BPFObjectTests compares the list with
  /// the object's maps.
  static func mapSpecs(_ limits: CaptureLimits) -> [(String, bpf_map_type, UInt32, UInt32, UInt32)] {
    let u32 = UInt32(MemoryLayout<UInt32>.size)
    let u64 = UInt32(MemoryLayout<UInt64>.size)
    let countKey = UInt32(MemoryLayout<count_key>.size)
    return [
      ("stacks", BPF_MAP_TYPE_STACK_TRACE, u32, UInt32(Self.maxStackDepth) * u64, limits.stackEntries),
      ("fb_stacks", BPF_MAP_TYPE_HASH, UInt32(MemoryLayout<stack_key>.size), u32, limits.fallbackEntries),
      ("fb_scratch", BPF_MAP_TYPE_PERCPU_ARRAY, u32, UInt32(MemoryLayout<stack_key>.size), 1),
      ("fb_next", BPF_MAP_TYPE_ARRAY, u32, u64, 1),
      ("counts", BPF_MAP_TYPE_HASH, countKey, u64, limits.countEntries),
      ("drops", BPF_MAP_TYPE_ARRAY, u32, u64, limits.maxProbes * DropReason.kernelReasons),
      ("tasks", BPF_MAP_TYPE_HASH, u32, UInt32(MemoryLayout<task_stack>.size), UInt32(TASK_ENTRIES)),
      ("hists", BPF_MAP_TYPE_HASH, countKey, UInt32(MemoryLayout<latency_value>.size), limits.latencyEntries),
      ("hist_zero", BPF_MAP_TYPE_PERCPU_ARRAY, u32, UInt32(MemoryLayout<latency_value>.size), 1),
      ("task_zero", BPF_MAP_TYPE_PERCPU_ARRAY, u32, UInt32(MemoryLayout<task_stack>.size), 1),
      ("slow", BPF_MAP_TYPE_RINGBUF, 0, 0, UInt32(SLOW_RING_BYTES)),
      ("op_tasks", BPF_MAP_TYPE_HASH, u32, UInt32(MemoryLayout<op_record>.size), UInt32(TASK_ENTRIES)),
      ("op_next", BPF_MAP_TYPE_ARRAY, u32, u64, 1),
      ("ops", BPF_MAP_TYPE_HASH, u32, UInt32(MemoryLayout<op_record>.size), UInt32(OP_ENTRIES)),
      ("fault_tasks", BPF_MAP_TYPE_HASH, u32, UInt32(MemoryLayout<fault_task>.size), UInt32(TASK_ENTRIES)),
      (
        "faults", BPF_MAP_TYPE_HASH, UInt32(MemoryLayout<fault_key>.size),
        UInt32(MemoryLayout<latency_value>.size),
        UInt32(FAULT_ENTRIES)
      ),
      ("mmu_locks", BPF_MAP_TYPE_HASH, u64, u32, UInt32(LOCK_ENTRIES)),
      ("lock_tasks", BPF_MAP_TYPE_HASH, u32, UInt32(MemoryLayout<lock_wait>.size), UInt32(TASK_ENTRIES)),
      ("lock_vcpus", BPF_MAP_TYPE_HASH, u32, u32, UInt32(TASK_ENTRIES)),
      ("holders", BPF_MAP_TYPE_HASH, u32, UInt32(MemoryLayout<lock_holders>.size), UInt32(LOCK_ENTRIES)),
      (
        "lock_waits", BPF_MAP_TYPE_HASH, UInt32(MemoryLayout<lock_key>.size),
        UInt32(MemoryLayout<latency_value>.size), UInt32(LOCK_WAIT_ENTRIES)
      ),
    ]
  }

  /// `record --mmu-lock`'s maps (bpf/tdptrace.h, `struct lock_key`, `struct lock_holders`).
  static let lockMaps: Set<String> = [
    "mmu_locks", "lock_tasks", "lock_vcpus", "holders", "lock_waits", "hist_zero",
  ]

  /// The lock role of a function of `group` in `record --mmu-lock`'s preset, or nil.
  static func lockRole(_ spec: ProbeSpec, group: String?) -> ProbeGroup.LockRole? {
    guard case .function(let name) = spec.target, let group,
      let entry = ProbeTable.tdpMMULock.group(named: group)?.functions.first(where: {
        $0.names.contains(name)
      })
    else { return nil }
    return entry.lockRole
  }

  /// The prefix of the programs of a `lock:contention_*` tracepoint, or nil.
  public static func lockWaitPrefix(_ spec: ProbeSpec) -> String? {
    switch spec.target {
    case .tracepoint("lock", "contention_begin"): return "tdp_lockbegin"
    case .tracepoint("lock", "contention_end"): return "tdp_lockend"
    default: return nil
    }
  }

  /// The programs of a lock role for `method`, entry first.
  static func lockPrograms(_ role: ProbeGroup.LockRole, _ method: AttachMethod) -> [String] {
    switch (role, method) {
    case (.vcpu, .fentry): return ["tdp_lockvcpu_fentry"]
    case (.vcpu, .kprobe): return ["tdp_lockvcpu_kprobe"]
    case (.holder, .fentry): return ["tdp_holder_fentry", "tdp_holder_fexit"]
    case (.holder, .kprobe): return ["tdp_holder_kprobe", "tdp_holder_kretprobe"]
    default: return []
    }
  }

  /// The prefix of the fast path's programs (`spteProgram` spells them by method).
  static let fastPathPrefix = "tdp_fast"

  /// The programs of a fault role for `method`, entry first.
  static func faultPrograms(_ role: ProbeGroup.FaultRole, _ method: AttachMethod) -> [String] {
    let prefix = role == .fault ? "tdp_fault" : "tdp_outcome"
    switch method {
    case .fentry: return [prefix + "_fentry", prefix + "_fexit"]
    case .kprobe: return [prefix + "_kprobe", prefix + "_kretprobe"]
    default: return []
    }
  }

  /// The BPF program that reads the `shadow_*_mask` globals once, by test run.
  static let spteMaskProgram = "tdp_spte_masks"

  /// Opens, configures, loads and attaches one object for one probe.
  private func load(_ spec: ProbeSpec, _ method: AttachMethod, group: String?, symbols: KernelSymbols)
    -> LoadResult
  {
    _ = LibbpfLog.take()
    let bytes = Self.objectBytes
    var opts = bpf_object_open_opts()
    opts.sz = MemoryLayout<bpf_object_open_opts>.size  // LIBBPF_OPTS does not import
    let opened = "tdptrace".withCString { name in
      opts.object_name = name  // copied by libbpf
      return bytes.withUnsafeBytes { bpf_object__open_mem($0.baseAddress, $0.count, &opts) }
    }
    guard let object = opened else {
      return .failure("cannot open the BPF object: \(Errno.describe(errno))")
    }
    var ok = false
    defer { if !ok { bpf_object__close(object) } }

    let decodesSPTE = spte && Self.isSPTEChange(spec)
    let decoder =
      spte
      ? Self.sptePrograms(spec)
      : faults && Self.isFastPath(spec) ? Self.fastPathPrefix : mmuLock ? Self.lockWaitPrefix(spec) : nil
    let wanted: [String]
    if faults, let role = Self.faultRole(spec, group: group) {
      wanted = Self.faultPrograms(role, method)
    } else if mmuLock, let role = Self.lockRole(spec, group: group) {
      wanted = Self.lockPrograms(role, method)
    } else if let decoder {
      guard let program = Self.spteProgram(method, prefix: decoder) else {
        return .failure(
          "--\(spte ? "spte" : faults ? "faults" : "mmu-lock") reads the tracepoint's arguments through tp_btf or raw_tp, not \(method.rawValue)"
        )
      }
      wanted = [program]
    } else if spte, let role = Self.ledgerRole(spec, group: group),
      let programs = Self.ledgerPrograms(role, method)
    {
      wanted = programs
    } else {
      wanted = mode.programs(method)
    }
    guard !wanted.isEmpty else {
      return .failure("\(method.rawValue) cannot bracket a call (entry and exit)")
    }
    // Loaded beside the probe's program but never attached: run once, below.
    let helpers = decodesSPTE ? [Self.spteMaskProgram] : []
    var chosen: [String: OpaquePointer] = [:]
    var prog = bpf_object__next_program(object, nil)
    while let p = prog {
      let name = String(cString: bpf_program__name(p))
      if wanted.contains(name) || helpers.contains(name) {
        chosen[name] = p
      } else {
        bpf_program__set_autoload(p, false)
      }
      prog = bpf_object__next_program(object, p)
    }
    let programs = wanted.compactMap { chosen[$0] }
    guard programs.count == wanted.count else {
      return .failure("program \(wanted.joined(separator: ", ")) missing from the BPF object")
    }

    let targetName: String
    switch spec.target {
    case .function(let name): targetName = name
    case .tracepoint(_, let name): targetName = name
    }
    if method == .fentry || method == .tpBTF {
      for program in programs {
        let err = bpf_program__set_attach_target(program, 0, targetName)
        if err != 0 {
          return .failure("no BTF target \(targetName): \(Errno.describe(err))")
        }
      }
    }

    // Every map of the object is the session's, or, when the mode does not use it, not created.
    var map = bpf_object__next_map(object, nil)
    while let m = map {
      let mapName = String(cString: bpf_map__name(m))
      defer { map = bpf_object__next_map(object, m) }
      if bpf_map__is_internal(m) {
        // .rodata and the like: the object's own; .bss holds only the SPTE masks.
        if mapName.hasSuffix(".bss"), !decodesSPTE, bpf_map__set_autocreate(m, false) != 0 {
          return .failure("cannot leave map \(mapName) out: \(Errno.describe(errno))")
        }
        continue
      }
      if let fd = maps[mapName] {
        guard bpf_map__reuse_fd(m, fd) == 0 else {
          return .failure("cannot share map \(mapName): \(Errno.describe(errno))")
        }
      } else if bpf_map__set_autocreate(m, false) != 0 {
        return .failure("cannot leave map \(mapName) out: \(Errno.describe(errno))")
      }
    }
    guard let rodata = bpf_object__find_map_by_name(object, ".rodata") else {
      return .failure("the BPF object has no .rodata")
    }
    var probeConfig = ProbeConfig(probeID: UInt32(probes.count), limits: limits)
    probeConfig.faultLayout = faultLayout
    if decodesSPTE {
      probeConfig.spteMaskAddresses = SPTEMasks.names.map { symbols.data(named: $0)?.address ?? 0 }
    }
    var config = probeConfig.bytes
    let setErr = config.withUnsafeMutableBytes {
      bpf_map__set_initial_value(rodata, $0.baseAddress, $0.count)
    }
    if setErr != 0 { return .failure("cannot set the probe config: \(Errno.describe(setErr))") }

    let loadErr = bpf_object__load(object)
    if loadErr != 0 {
      let log = LibbpfLog.summary(LibbpfLog.take())
      return .failure(Self.explainLoad(method, loadErr, log))
    }
    if decodesSPTE {
      switch readSPTEMasks(
        object, program: chosen[Self.spteMaskProgram], addresses: probeConfig.spteMaskAddresses)
      {
      case .success(let reading): spteMasks = reading
      case .failure(let why): return .failure(why.text)
      }
    }

    var links: [OpaquePointer] = []
    for (index, program) in programs.enumerated() {
      // The second program of a latency pair is the exit: fexit (attached like fentry) or kretprobe.
      let link: OpaquePointer?
      switch (method, spec.target) {
      case (.fentry, _), (.tpBTF, _): link = bpf_program__attach_trace(program)
      case (.kprobe, .function(let name)): link = bpf_program__attach_kprobe(program, index == 1, name)
      case (.rawTracepoint, .tracepoint(_, let name)):
        link = bpf_program__attach_raw_tracepoint(program, name)
      case (.tracepoint, .tracepoint(let category, let name)):
        link = bpf_program__attach_tracepoint(program, category, name)
      default: link = nil
      }
      guard let link else {
        let code = errno
        let log = LibbpfLog.summary(LibbpfLog.take())
        for made in links.reversed() { bpf_link__destroy(made) }
        return .failure(Self.explainAttach(method, code, log))
      }
      links.append(link)
    }
    _ = LibbpfLog.take()
    ok = true
    return .success((object, links))
  }

  /// Runs `tdp_spte_masks` once and takes the masks it read from `.bss`; where it could not read
  /// them all, writes the hardware's preset there instead, so the probe classifies under what
  /// the capture's header says.
  private func readSPTEMasks(_ object: OpaquePointer, program: OpaquePointer?, addresses: [UInt64])
    -> Result<SPTEMaskReading, LoadFailure>
  {
    guard let program, let bss = bpf_object__find_map_by_name(object, ".bss") else {
      return .failure(LoadFailure("the BPF object has no \(Self.spteMaskProgram) or .bss"))
    }
    // The map's value through its fd, not bpf_map__initial_value: libbpf 1.1 maps the kernel's
    // copy of .bss only in bpf_object__load_skeleton, so after a plain load that pointer is
    // still the initial image, and the test run's result never shows there.
    let fd = bpf_map__fd(bss)
    let valueSize = Int(bpf_map__value_size(bss))
    guard fd >= 0, valueSize >= MemoryLayout<spte_mask_state>.size else {
      return .failure(LoadFailure("the BPF object's .bss has no spte_mask_state"))
    }
    var key: UInt32 = 0
    var value = [UInt8](repeating: 0, count: valueSize)
    var failure: String? = nil
    var args = [UInt64](repeating: 0, count: 5)
    var opts = bpf_test_run_opts()
    opts.sz = MemoryLayout<bpf_test_run_opts>.size
    var rc = args.withUnsafeMutableBytes { raw in
      opts.ctx_in = UnsafeRawPointer(raw.baseAddress)
      opts.ctx_size_in = UInt32(raw.count)
      return bpf_prog_test_run_opts(bpf_program__fd(program), &opts)
    }
    if rc != 0 {
      failure = "the test run of \(Self.spteMaskProgram) failed: \(Errno.describe(abs(rc)))"
    } else if bpf_map_lookup_elem(fd, &key, &value) != 0 {
      rc = -errno
      failure = "reading .bss after the test run failed: \(Errno.describe(errno))"
    }
    var current = value.withUnsafeBytes { $0.loadUnaligned(as: spte_mask_state.self) }
    let values = withUnsafeBytes(of: current.masks) { Array($0.bindMemory(to: UInt64.self)) }
    let reading = SPTEMaskReading.resolve(
      values: values, read: rc == 0 ? current.read : 0, addressed: addresses.map { $0 != 0 },
      failure: failure,
      hardware: SPTEMaskReading.hardwarePreset)
    current.masks = reading.masks.cStruct
    value.withUnsafeMutableBytes { $0.storeBytes(of: current, as: spte_mask_state.self) }
    if bpf_map_update_elem(fd, &key, &value, 0) != 0 {
      return .failure(LoadFailure("cannot write the SPTE masks into .bss: \(Errno.describe(errno))"))
    }
    return .success(reading)
  }

  /// Why a load failed, as the outcome's text.
  private struct LoadFailure: Error {
    var text: String
    init(_ text: String) { self.text = text }
  }

  static func explainLoad(_ method: AttachMethod, _ err: Int32, _ log: String?) -> String {
    let code = abs(err)
    var text: String
    switch (method, code) {
    case (.fentry, EPERM):
      text = "fentry refused: BPF_PROG_LOAD failed with EPERM (this kernel forbids BPF trampolines)"
    case (.fentry, EINVAL), (.fentry, EACCES):
      text = "fentry refused by the verifier"
    case (_, EPERM):
      text = "load refused with EPERM"
    default:
      text = "load failed: \(Errno.describe(code))"
    }
    if let log, !log.isEmpty, !(method == .fentry && code == EPERM) { text += " (\(log))" }
    return text
  }

  static func explainAttach(_ method: AttachMethod, _ code: Int32, _ log: String?) -> String {
    var text: String
    switch (method, code) {
    case (.fentry, 524), (.fentry, EOPNOTSUPP):
      text =
        "fentry refused when linking: \(Errno.describe(code)) (the trampoline cannot take this function, e.g. more than 6 arguments)"
    case (.kprobe, ENOENT), (.kprobe, EINVAL):
      text = "kprobe refused: \(Errno.describe(code)) (notrace, blacklisted or not a function entry)"
    case (.rawTracepoint, ENOENT), (.tracepoint, ENOENT), (.tpBTF, ENOENT):
      text = "tracepoint missing"
    default:
      text = "link failed: \(Errno.describe(code))"
    }
    // libbpf's own "failed to attach: ERROR: strerror_r(-524)=22" adds nothing to the errno.
    if let log, !log.isEmpty, !log.contains("failed to attach") { text += " (\(log))" }
    return text
  }

  /// Reads the maps: counts (or latency histograms) per (probe, stack), the stacks, and the
  /// drop counters. Stacks from the stack map and from the fallback map are merged by content,
  /// so each (probe, stack) is one entry. The capture keeps running; call again for partial
  /// counts.
  public func read() -> RawCapture {
    var capture = RawCapture(probes: probes)
    capture.mode = mode
    capture.spteMasks = spteMasks
    let stacks = stackIDs()
    func unreadable(_ byProbe: [UInt32: UInt64]) {
      for (probe, n) in byProbe {
        capture.drops[.init(probe: probe, reason: .stackUnreadable), default: 0] += n
      }
    }
    if mode == .count {
      var counts: [CountKey: UInt64] = [:]
      var value: UInt64 = 0
      forEachKey(of: fd("counts"), initial: count_key()) { key in
        if bpf_map_lookup_elem(fd("counts"), &key, &value) == 0 { counts[CountKey(key), default: 0] += value }
      }
      let merged = StackMerge.counts(counts, stacks: stacks)
      capture.entries = merged.entries
      unreadable(merged.unreadable)
      if spte { capture.operations = readOperations(stacks) }
      if faults { readFaults(into: &capture, stacks) }
      if mmuLock { readLockWaits(into: &capture, stacks) }
    } else {
      var hists: [CountKey: LatencyCounts] = [:]
      var value = latency_value()
      forEachKey(of: fd("hists"), initial: count_key()) { key in
        guard bpf_map_lookup_elem(fd("hists"), &key, &value) == 0, value.count > 0 else { return }
        // A failed stack at entry is NO_STACKID: timed all the same, with no frames.
        hists[CountKey(key)] = LatencyCounts(value)
      }
      let merged = StackMerge.latency(hists, stacks: stacks)
      capture.latency = merged.entries
      unreadable(merged.unreadable)
      // Calls still on a task's stack: running now, or entered with an exit that never came.
      var stack = task_stack()
      forEachKey(of: fd("tasks"), initial: UInt32(0)) { tid in
        guard bpf_map_lookup_elem(fd("tasks"), &tid, &stack) == 0 else { return }
        let depth = Int(min(stack.depth, UInt32(LATENCY_DEPTH)))
        withUnsafeBytes(of: &stack.frames) { raw in
          for frame in raw.bindMemory(to: task_frame.self).prefix(depth) {
            capture.drops[.init(probe: frame.probe, reason: .inProgress), default: 0] += 1
          }
        }
      }
      pollSlowCalls()
      capture.slowCalls = slowCalls.map { call in
        var call = call
        call.addresses = stacks.frames(call.stackid) ?? []
        return call
      }
      capture.slowCallsOverLimit = slowCallsOverLimit
    }
    for probe in 0..<UInt32(probes.count) {
      for reason in DropReason.allCases where reason.rawValue < DropReason.kernelReasons {
        var index = drop_index(probe, reason.rawValue)
        var value: UInt64 = 0
        if bpf_map_lookup_elem(fd("drops"), &index, &value) == 0, value > 0 {
          capture.drops[.init(probe: probe, reason: reason), default: 0] += value
        }
      }
    }
    return capture
  }

  /// `record --spte`'s operations: those that ended (`ops`) and those still inside their root
  /// (`op_tasks`, no duration), by id.
  private func readOperations(_ stacks: StackIDs) -> [RawCapture.Operation] {
    var out: [RawCapture.Operation] = []
    var record = op_record()
    for map in ["ops", "op_tasks"] {
      forEachKey(of: fd(map), initial: UInt32(0)) { key in
        guard bpf_map_lookup_elem(fd(map), &key, &record) == 0, record.op != 0 else { return }
        let comm = withUnsafeBytes(of: record.comm) { raw in
          String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        out.append(
          RawCapture.Operation(
            op: record.op, probe: record.probe, addresses: stacks.frames(record.stackid) ?? [],
            pid: record.tgid, tid: record.tid, comm: comm, start: record.start,
            duration: record.duration == 0 ? nil : record.duration, changes: record.changes,
            splits: record.splits, flushes: record.flushes, leafZaps: record.leaf_zaps,
            unflushed: record.unflushed))
      }
    }
    return out.sorted { $0.op < $1.op }
  }

  /// `record --faults`'s faults by key, and each task's longest run of retries; a fault still
  /// in progress at the read is counted as `in_progress`, under the fault probe.
  private func readFaults(into capture: inout RawCapture, _ stacks: StackIDs) {
    capture.faultLayout = faultLayout
    func known<T: Equatable>(_ value: T, _ none: T) -> T? { value == none ? nil : value }
    var value = latency_value()
    forEachKey(of: fd("faults"), initial: fault_key()) { key in
      guard bpf_map_lookup_elem(fd("faults"), &key, &value) == 0, value.count > 0 else { return }
      capture.faults.append(
        RawCapture.FaultEntry(
          tgid: key.tgid, vcpu: known(key.vcpu, FAULT_NO_VCPU), outcome: known(key.outcome, FAULT_NONE),
          fastReturn: known(key.fast, FAULT_NONE), reqLevel: known(key.req_level, UInt8(FAULT_NO_LEVEL)),
          goalLevel: known(key.goal_level, UInt8(FAULT_NO_LEVEL)),
          addresses: stacks.frames(key.stackid) ?? [], counts: LatencyCounts(value)))
    }
    let faultProbe = probes.firstIndex { Self.faultRole($0.spec, group: $0.group) == .fault }
    var task = fault_task()
    forEachKey(of: fd("fault_tasks"), initial: UInt32(0)) { tid in
      guard bpf_map_lookup_elem(fd("fault_tasks"), &tid, &task) == 0 else { return }
      if task.start != 0, let faultProbe {
        capture.drops[.init(probe: UInt32(faultProbe), reason: .inProgress), default: 0] += 1
      }
      if task.max_run > 0 {
        capture.retryRuns.append(
          RawCapture.RetryRun(
            tgid: task.key.tgid, vcpu: known(task.key.vcpu, FAULT_NO_VCPU), gfn: task.max_run_gfn,
            run: task.max_run))
      }
    }
  }

  /// `record --mmu-lock`'s waits by key, and each VM's holder overlaps.
  private func readLockWaits(into capture: inout RawCapture, _ stacks: StackIDs) {
    capture.lockLayout = faultLayout
    var value = latency_value()
    forEachKey(of: fd("lock_waits"), initial: lock_key()) { key in
      guard bpf_map_lookup_elem(fd("lock_waits"), &key, &value) == 0, value.count > 0 else { return }
      capture.lockWaits.append(
        RawCapture.LockWaitEntry(
          tgid: key.tgid, vcpu: key.vcpu == NO_VCPU ? nil : key.vcpu, flags: key.flags,
          holder: key.holder == NO_HOLDER ? nil : UInt32(bitPattern: key.holder),
          addresses: stacks.frames(key.stackid) ?? [], counts: LatencyCounts(value)))
    }
    var state = lock_holders()
    forEachKey(of: fd("holders"), initial: UInt32(0)) { tgid in
      guard bpf_map_lookup_elem(fd("holders"), &tgid, &state) == 0, state.overlaps > 0 else { return }
      capture.holderOverlaps[tgid] = state.overlaps
    }
  }

  /// The stack ids' stacks: the stack map's, read on demand once per id, and the whole
  /// fallback map (stack by content -> fallback id), read now.
  private func stackIDs() -> StackIDs {
    var fallback: [UInt32: [UInt64]] = [:]
    var id: UInt32 = 0
    forEachKey(of: fd("fb_stacks"), initial: stack_key()) { key in
      guard bpf_map_lookup_elem(fd("fb_stacks"), &key, &id) == 0 else { return }
      let nr = min(Int(key.nr), Int(MAX_STACK_DEPTH))
      fallback[id] = withUnsafeBytes(of: &key.ips) { Array($0.bindMemory(to: UInt64.self).prefix(nr)) }
    }
    let reader = StackReader(fd: fd("stacks"))
    return StackIDs(stackMap: { reader.frames($0) }, fallback: fallback)
  }

  /// Calls `body` with every key of a hash map whose keys are `Key`s (`initial` is any value,
  /// for the buffers `bpf_map_get_next_key` fills).
  private func forEachKey<Key>(of map: Int32, initial: Key, _ body: (inout Key) -> Void) {
    var key = initial
    var next = initial
    var first = true
    while (first ? bpf_map_get_next_key(map, nil, &next) : bpf_map_get_next_key(map, &key, &next)) == 0 {
      first = false
      key = next
      var current = next
      body(&current)
    }
  }
}

/// Reads stacks from the stack map once per id.
private final class StackReader {
  let fd: Int32
  var known: [Int32: [UInt64]?] = [:]
  var buffer = [UInt64](repeating: 0, count: Int(MAX_STACK_DEPTH))

  init(fd: Int32) { self.fd = fd }

  /// The stack's addresses, innermost first; nil when the id is no longer in the map.
  func frames(_ id: Int32) -> [UInt64]? {
    if let cached = known[id] { return cached }
    var key = id
    let rc = buffer.withUnsafeMutableBytes { bpf_map_lookup_elem(fd, &key, $0.baseAddress) }
    let frames: [UInt64]? = rc == 0 ? Array(buffer.prefix { $0 != 0 }) : nil
    known[id] = .some(frames)
    return frames
  }
}

/// Collects `struct slow_event`s from libbpf's ring buffer callback, which runs on the thread
/// that consumes the buffer (the recorder's), so no lock is needed.
final class SlowCallSink {
  private var calls: [SlowCall] = []
  func add(_ call: SlowCall) { calls.append(call) }
  func take() -> [SlowCall] {
    defer { calls.removeAll() }
    return calls
  }
}

/// libbpf's ring buffer callback: one `struct slow_event` of `size` bytes at `data`.
private let slowCallReceived: ring_buffer_sample_fn = { context, data, size in
  guard let context, let data, size >= MemoryLayout<slow_event>.size else { return 0 }
  let event = data.loadUnaligned(as: slow_event.self)
  Unmanaged<SlowCallSink>.fromOpaque(context).takeUnretainedValue().add(SlowCall(event))
  return 0
}

/// A `struct count_key` (bpf/tdptrace.h) as a dictionary key: imported C structs are not
/// Hashable, and a conformance added to one here could clash with one its module adds later.
struct CountKey: Hashable {
  var probe: UInt32
  var stackid: Int32
  var spte: UInt32
  var op: UInt32

  init(_ key: count_key) {
    probe = key.probe
    stackid = key.stackid
    spte = key.spte
    op = key.op
  }

  init(probe: UInt32, stackid: Int32, spte: UInt32 = 0, op: UInt32 = 0) {
    self.probe = probe
    self.stackid = stackid
    self.spte = spte
    self.op = op
  }
}
