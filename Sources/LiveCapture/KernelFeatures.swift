import CLibbpf
import Foundation

/// What this kernel offers for attaching probes, read once: kprobe support, tracefs, BTF
/// (vmlinux and modules), and the ftrace and kprobe blacklists where readable. `probes` explains
/// refusals from these facts before trying a load.
public final class KernelFeatures {
  /// The perf kprobe PMU or legacy `kprobe_events` exists (CONFIG_KPROBES=y).
  public let kprobes: Bool
  /// Where tracefs is mounted, if it is.
  public let tracefs: String?
  /// Functions ftrace can hook (`available_filter_functions`), when readable; fentry needs them.
  public let ftraceable: Set<String>?
  /// Functions on the kprobe blacklist, when readable.
  public let kprobeBlacklist: Set<String>
  private var vmlinuxBTF: OpaquePointer?
  private var moduleBTFs: [(name: String, btf: OpaquePointer)] = []

  /// Reads a proc/tracefs file to its end. `String(contentsOfFile:)` stops after the first
  /// page of these size-0 seq files (found in the QEMU guest: every kvm function looked notrace).
  static func readWhole(_ path: String) -> String? {
    guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    guard let data = try? handle.readToEnd() else { return nil }
    return String(decoding: data, as: UTF8.self)
  }

  public init() {
    let fm = FileManager.default
    let tracefsCandidates = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]
    tracefs = tracefsCandidates.first { fm.fileExists(atPath: $0 + "/events") }
    kprobes =
      fm.fileExists(atPath: "/sys/bus/event_source/devices/kprobe/type")
      || tracefsCandidates.contains { fm.fileExists(atPath: $0 + "/kprobe_events") }
    if let tracefs, let text = Self.readWhole(tracefs + "/available_filter_functions") {
      ftraceable = Set(
        text.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) })
    } else {
      ftraceable = nil
    }
    if let text = Self.readWhole("/sys/kernel/debug/kprobes/blacklist") {
      kprobeBlacklist = Set(
        text.split(separator: "\n").compactMap { $0.split(separator: "\t").last.map(String.init) })
    } else {
      kprobeBlacklist = []
    }
    vmlinuxBTF = btf__load_vmlinux_btf()
    if let vmlinuxBTF, let names = try? fm.contentsOfDirectory(atPath: "/sys/kernel/btf") {
      for name in names.sorted() where name != "vmlinux" {
        if let btf = btf__parse_split("/sys/kernel/btf/" + name, vmlinuxBTF) {
          moduleBTFs.append((name, btf))
        }
      }
    }
  }

  deinit {
    for (_, btf) in moduleBTFs { btf__free(btf) }
    if let vmlinuxBTF { btf__free(vmlinuxBTF) }
  }

  /// Kernel BTF is available (fentry and tp_btf need it).
  public var hasBTF: Bool { vmlinuxBTF != nil }

  /// The BTF object ("vmlinux" or a module) that has a type of this kind and name.
  private func btfOwner(of name: String, kind: UInt32) -> String? {
    if let vmlinuxBTF, btf__find_by_name_kind(vmlinuxBTF, name, kind) > 0 { return "vmlinux" }
    for (module, btf) in moduleBTFs where btf__find_by_name_kind(btf, name, kind) > 0 { return module }
    return nil
  }

  /// Where the BTF FUNC of a kernel function lives, if any.
  public func btfFunction(_ name: String) -> String? {
    let kindFunc: UInt32 = 12  // BTF_KIND_FUNC, spelled out: the constant imports ambiguously
    return btfOwner(of: name, kind: kindFunc)
  }

  /// Where the `btf_trace_NAME` typedef of a tracepoint lives (tp_btf needs it).
  public func btfTracepoint(_ name: String) -> String? {
    let kindTypedef: UInt32 = 8  // BTF_KIND_TYPEDEF
    return btfOwner(of: "btf_trace_" + name, kind: kindTypedef)
  }

  /// The BTF objects to search for a kernel type: the module's first when named, then
  /// vmlinux and every module.
  private func searchOrder(module: String?) -> [OpaquePointer] {
    let named = moduleBTFs.filter { $0.name == module }.map(\.btf)
    let others = moduleBTFs.filter { $0.name != module }.map(\.btf)
    return named + [vmlinuxBTF].compactMap { $0 } + others
  }

  /// The byte offset of `member` in `struct name` (module `module`'s BTF first), or nil when no
  /// BTF has the struct, the member is missing, or it is a bitfield.
  public func memberOffset(struct name: String, member: String, module: String? = nil) -> Int? {
    let kindStruct: UInt32 = 4  // BTF_KIND_STRUCT
    for btf in searchOrder(module: module) {
      let id = btf__find_by_name_kind(btf, name, kindStruct)
      guard id > 0, let type = btf__type_by_id(btf, UInt32(id)) else { continue }
      let members = btf_members(type)
      for index in 0..<Int(btf_vlen(type)) {
        guard let members, let cName = btf__name_by_offset(btf, members[index].name_off),
          String(cString: cName) == member
        else { continue }
        let bits = btf_member_bit_offset(type, UInt32(index))
        let size = btf_member_bitfield_size(type, UInt32(index))
        guard size == 0, bits % 8 == 0 else { return nil }
        return Int(bits / 8)
      }
      return nil
    }
    return nil
  }

  /// Every enumerator of the enum that has one called `name` (module `module`'s BTF first), by
  /// value: how a kernel numbers an anonymous enum such as `RET_PF_*`. Empty when no BTF has it.
  public func enumerators(withMember name: String, module: String? = nil) -> [Int64: String] {
    let kindEnum: UInt16 = 6  // BTF_KIND_ENUM (32-bit values; ENUM64 is not used for these)
    for btf in searchOrder(module: module) {
      let count = btf__type_cnt(btf)
      guard count > 1 else { continue }
      for id in 1..<count {
        guard let type = btf__type_by_id(btf, id), btf_kind(type) == kindEnum, let values = btf_enum(type)
        else { continue }
        var names: [Int64: String] = [:]
        var found = false
        for index in 0..<Int(btf_vlen(type)) {
          guard let cName = btf__name_by_offset(btf, values[index].name_off) else { continue }
          let enumerator = String(cString: cName)
          found = found || enumerator == name
          names[Int64(values[index].val)] = enumerator
        }
        if found { return names }
      }
    }
    return [:]
  }

  /// Whether tracefs lists the tracepoint; nil when tracefs is not mounted.
  public func tracefsHasTracepoint(category: String, name: String) -> Bool? {
    guard let tracefs else { return nil }
    return FileManager.default.fileExists(atPath: "\(tracefs)/events/\(category)/\(name)/id")
  }
}
