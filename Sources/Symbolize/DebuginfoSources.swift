import Foundation

/// Where debuginfo comes from: explicit files (`--vmlinux`, `--module NAME=PATH`) and
/// directories searched the standard way (`--debuginfo DIR`).
public struct DebuginfoSources: Sendable, Hashable {
  public var vmlinux: String?
  /// `(name, path)` in the order given; `name` is the module name frames use (`kvm`).
  public var modules: [Module]
  /// Roots such as `/usr/lib/debug`, or a directory an extracted `-dbg` package sits in.
  public var directories: [String]
  /// Kernel release to prefer under the directories (`6.1.0-50-amd64`); nil means `uname -r`,
  /// or the only release present.
  public var release: String?

  public struct Module: Sendable, Hashable {
    public var name: String
    public var path: String
    public init(name: String, path: String) {
      self.name = name
      self.path = path
    }
  }

  /// Modules that frames without a module name (bpftrace) are looked up in, after vmlinux,
  /// when they are found under a directory: the ones this tool is about.
  public static let defaultModules = ["kvm", "kvm_intel", "kvm_amd"]

  public init(
    vmlinux: String? = nil, modules: [Module] = [], directories: [String] = [], release: String? = nil
  ) {
    self.vmlinux = vmlinux
    self.modules = modules
    self.directories = directories
    self.release = release
  }

  public var isEmpty: Bool { vmlinux == nil && modules.isEmpty && directories.isEmpty }

  /// What to open now, what to open when a frame names it, and directories that did not exist.
  public struct Plan {
    public var objects: [(name: String, path: String)] = []
    public var lazyModules: [String: String] = [:]
    public var warnings: [DebuginfoError] = []
  }

  public func plan() -> Plan {
    var plan = Plan()
    if let vmlinux { plan.objects.append(("vmlinux", vmlinux)) }
    for module in modules { plan.objects.append((module.name, module.path)) }
    let release = self.release ?? Self.runningRelease()
    for directory in directories {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
        isDirectory.boolValue
      else {
        plan.warnings.append(DebuginfoError(path: directory, reason: .missing))
        continue
      }
      let found = Self.scan(directory, release: release)
      if vmlinux == nil, !plan.objects.contains(where: { $0.name == "vmlinux" }), let path = found.vmlinux {
        plan.objects.append(("vmlinux", path))
      }
      for (name, path) in found.modules.sorted(by: { $0.key < $1.key }) {
        if plan.objects.contains(where: { $0.name == name }) || plan.lazyModules[name] != nil { continue }
        plan.lazyModules[name] = path
      }
    }
    for name in Self.defaultModules {
      if let path = plan.lazyModules.removeValue(forKey: name) { plan.objects.append((name, path)) }
    }
    return plan
  }

  static func runningRelease() -> String? {
    var names = utsname()
    guard uname(&names) == 0 else { return nil }
    return withUnsafeBytes(of: &names.release) { raw in
      String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
  }

  /// Walks `root` for `vmlinux*` files and kernel modules (`*.ko`, `*.ko.debug`, compressed
  /// or not), preferring paths that mention `release` when there is a choice.
  static func scan(_ root: String, release: String?) -> (vmlinux: String?, modules: [String: String]) {
    var vmlinuxes: [String] = []
    var modules: [String: [String]] = [:]
    guard let walker = FileManager.default.enumerator(atPath: root) else { return (nil, [:]) }
    while let relative = walker.nextObject() as? String {
      let file = (relative as NSString).lastPathComponent
      if walker.level > 10 { walker.skipDescendants() }
      if file.hasPrefix("vmlinux") && !file.hasSuffix(".h") && !file.hasSuffix(".lds") {
        vmlinuxes.append(root + "/" + relative)
      } else if file.contains(".ko") {
        let name = DwarfSymbolizer.normalizedModuleName(file)
        modules[name, default: []].append(root + "/" + relative)
      }
    }
    func pick(_ paths: [String]) -> String? {
      let sorted = paths.sorted()
      if let release, let match = sorted.first(where: { $0.contains(release) }) { return match }
      return sorted.first
    }
    return (pick(vmlinuxes), modules.compactMapValues(pick))
  }
}
