import CLibbpf
import CTDPTraceBPF
import Foundation

/// A live capture: the shared maps, and one libbpf object and link per attached probe.
///
/// Every probe gets its own `bpf_object` opened from the embedded ELF, keeping only the program
/// for its attach method, with its probe id in `.rodata`, and the three maps replaced by the
/// session's (`bpf_map__reuse_fd`). So probes of different kinds count into one place, and
/// libbpf's own attach paths are used (kprobe through the perf PMU or legacy kprobe_events,
/// whichever the kernel has). `detach()` (also run by `deinit`) destroys every link and object.
public final class CaptureSession {
  public let limits: CaptureLimits
  private let stacksFD: Int32
  private let countsFD: Int32
  private let dropsFD: Int32
  private var objects: [(object: OpaquePointer, link: OpaquePointer?)] = []
  /// Attached probes, by probe id.
  public private(set) var probes: [AttachOutcome] = []
  private var closed = false

  /// Frames per stack-map value (bpf/tdptrace.h).
  static let maxStackDepth = Int(MAX_STACK_DEPTH)
  static let objectBytes: [UInt8] = Array(
    Data(base64Encoded: BPFObjectData.base64, options: .ignoreUnknownCharacters) ?? Data())

  /// Creates the maps. Throws when privileges are missing or the kernel has no BPF.
  public init(limits: CaptureLimits = CaptureLimits()) throws(LiveCaptureError) {
    self.limits = limits
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
    // Key and value sizes as tdptrace.bpf.c declares its maps: u32 keys (a count_key for the
    // counts), u64 values (MAX_STACK_DEPTH of them per stack).
    let u32 = UInt32(MemoryLayout<UInt32>.size)
    let u64 = UInt32(MemoryLayout<UInt64>.size)
    stacksFD = try create(
      BPF_MAP_TYPE_STACK_TRACE, "tdp_stacks", u32, UInt32(Self.maxStackDepth) * u64, limits.stackEntries)
    countsFD = try create(
      BPF_MAP_TYPE_HASH, "tdp_counts", UInt32(MemoryLayout<count_key>.size), u64, limits.countEntries)
    dropsFD = try create(
      BPF_MAP_TYPE_ARRAY, "tdp_drops", u32, u64, limits.maxProbes * DropReason.kernelReasons)
  }

  deinit { detach() }

  /// Destroys every link, so no more events are counted, but keeps the programs loaded (their
  /// `bpf_prog_*` symbols stay in kallsyms) and the maps readable. Safe to call twice.
  public func stop() {
    for i in objects.indices.reversed() {
      if let link = objects[i].link { bpf_link__destroy(link) }
      objects[i].link = nil
    }
  }

  /// Destroys every link and object and closes the maps. Safe to call twice.
  public func detach() {
    guard !closed else { return }
    closed = true
    stop()
    for (object, _) in objects.reversed() { bpf_object__close(object) }
    objects.removeAll()
    close(stacksFD)
    close(countsFD)
    close(dropsFD)
  }

  /// Tries `methods` in order until one attaches. Probes that cannot work on this kernel (not in
  /// kallsyms, no kprobes, no BTF, tracepoint missing) are refused with the reason, without a
  /// load.
  public func attach(
    _ spec: ProbeSpec, methods: [AttachMethod], group: String? = nil, symbols: KernelSymbols,
    features: KernelFeatures
  ) -> AttachOutcome {
    var outcome = AttachOutcome(group: group, spec: spec)
    if let refusal = Self.refusal(spec, methods: methods, symbols: symbols, features: features) {
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
      switch load(spec, method) {
      case .success(let pair):
        objects.append((pair.object, pair.link))
        outcome.method = method
        outcome.probeID = UInt32(probes.count)
        probes.append(outcome)
        return outcome
      case .failure(let reason):
        outcome.failures.append(.init(method: method, reason: reason))
      }
    }
    return outcome
  }

  /// The static part of `attach`: the first method that passes every check without loading is
  /// returned as a tentative result.
  public static func check(
    _ spec: ProbeSpec, methods: [AttachMethod], group: String? = nil, symbols: KernelSymbols,
    features: KernelFeatures
  ) -> AttachOutcome {
    var outcome = AttachOutcome(group: group, spec: spec)
    if let refusal = refusal(spec, methods: methods, symbols: symbols, features: features) {
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
    _ spec: ProbeSpec, methods: [AttachMethod], symbols: KernelSymbols, features: KernelFeatures
  )
    -> String?
  {
    if case .function(let name) = spec.target, symbols.function(named: name) == nil {
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
    case success((object: OpaquePointer, link: OpaquePointer))
    case failure(String)
  }

  /// Opens, configures, loads and attaches one object for one probe.
  private func load(_ spec: ProbeSpec, _ method: AttachMethod) -> LoadResult {
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

    var chosen: OpaquePointer? = nil
    var prog = bpf_object__next_program(object, nil)
    while let p = prog {
      let name = String(cString: bpf_program__name(p))
      if name == method.programName { chosen = p } else { bpf_program__set_autoload(p, false) }
      prog = bpf_object__next_program(object, p)
    }
    guard let program = chosen else {
      return .failure("program \(method.programName) missing from the BPF object")
    }

    let targetName: String
    switch spec.target {
    case .function(let name): targetName = name
    case .tracepoint(_, let name): targetName = name
    }
    if method == .fentry || method == .tpBTF {
      let err = bpf_program__set_attach_target(program, 0, targetName)
      if err != 0 {
        return .failure("no BTF target \(targetName): \(Errno.describe(err))")
      }
    }

    for (mapName, fd) in [("stacks", stacksFD), ("counts", countsFD), ("drops", dropsFD)] {
      guard let map = bpf_object__find_map_by_name(object, mapName), bpf_map__reuse_fd(map, fd) == 0 else {
        return .failure("cannot share map \(mapName): \(Errno.describe(errno))")
      }
    }
    guard let rodata = bpf_object__find_map_by_name(object, ".rodata") else {
      return .failure("the BPF object has no .rodata")
    }
    var config = ProbeConfig(probeID: UInt32(probes.count), limits: limits).bytes
    let setErr = config.withUnsafeMutableBytes {
      bpf_map__set_initial_value(rodata, $0.baseAddress, $0.count)
    }
    if setErr != 0 { return .failure("cannot set the probe config: \(Errno.describe(setErr))") }

    let loadErr = bpf_object__load(object)
    if loadErr != 0 {
      let log = LibbpfLog.summary(LibbpfLog.take())
      return .failure(Self.explainLoad(method, loadErr, log))
    }

    let link: OpaquePointer?
    switch (method, spec.target) {
    case (.fentry, _), (.tpBTF, _): link = bpf_program__attach_trace(program)
    case (.kprobe, .function(let name)): link = bpf_program__attach_kprobe(program, false, name)
    case (.rawTracepoint, .tracepoint(_, let name)): link = bpf_program__attach_raw_tracepoint(program, name)
    case (.tracepoint, .tracepoint(let category, let name)):
      link = bpf_program__attach_tracepoint(program, category, name)
    default: link = nil
    }
    guard let link else {
      let code = errno
      let log = LibbpfLog.summary(LibbpfLog.take())
      return .failure(Self.explainAttach(method, code, log))
    }
    _ = LibbpfLog.take()
    ok = true
    return .success((object, link))
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

  /// Reads the maps: counts per (probe, stack id), the stacks, and the drop counters. The capture
  /// keeps running; call again for partial counts.
  public func read() -> RawCapture {
    var capture = RawCapture(probes: probes)
    var key = count_key()
    var next = count_key()
    var havePrev = false
    var counts: [CountKey: UInt64] = [:]
    while true {
      let rc =
        havePrev
        ? bpf_map_get_next_key(countsFD, &key, &next) : bpf_map_get_next_key(countsFD, nil, &next)
      if rc != 0 { break }
      var value: UInt64 = 0
      if bpf_map_lookup_elem(countsFD, &next, &value) == 0 { counts[CountKey(next), default: 0] += value }
      key = next
      havePrev = true
    }
    var stack = [UInt64](repeating: 0, count: Self.maxStackDepth)
    var stacks: [Int32: [UInt64]?] = [:]
    for (k, count) in counts {
      if stacks[k.stackid] == nil {
        var id = k.stackid
        let rc = stack.withUnsafeMutableBytes { bpf_map_lookup_elem(stacksFD, &id, $0.baseAddress) }
        stacks[k.stackid] = rc == 0 ? Array(stack.prefix { $0 != 0 }) : .some(nil)
      }
      if let frames = stacks[k.stackid] ?? nil {
        capture.entries.append(.init(probe: k.probe, addresses: frames, count: count))
      } else {
        capture.drops[.init(probe: k.probe, reason: .stackUnreadable), default: 0] += count
      }
    }
    for probe in 0..<UInt32(probes.count) {
      for reason in DropReason.allCases where reason.rawValue < DropReason.kernelReasons {
        var index = drop_index(probe, reason.rawValue)
        var value: UInt64 = 0
        if bpf_map_lookup_elem(dropsFD, &index, &value) == 0, value > 0 {
          capture.drops[.init(probe: probe, reason: reason), default: 0] += value
        }
      }
    }
    return capture
  }
}

/// A `struct count_key` (bpf/tdptrace.h) as a dictionary key: imported C structs are not
/// Hashable, and a conformance added to one here could clash with one its module adds later.
struct CountKey: Hashable {
  var probe: UInt32
  var stackid: Int32

  init(_ key: count_key) {
    probe = key.probe
    stackid = key.stackid
  }
}
