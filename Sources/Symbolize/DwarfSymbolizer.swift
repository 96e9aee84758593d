import StackFold
import TraceParse

/// The libdw symbolizer: resolves `func+off` frames by looking `func` up in the ELF symbol
/// table of a debuginfo object and adding the offset (so KASLR and module load addresses do not
/// matter), then asks DWARF for the inline chain at that address.
///
/// Which object a frame belongs to: a frame that names its module (perf's `[kvm]`,
/// `[kernel.kallsyms]`, a DSO path) is looked up only there. A frame that does not (bpftrace
/// prints bare kernel symbols) is looked up in every object in the order they were given,
/// and the first object that has the symbol wins.
public final class DwarfSymbolizer: Symbolizer {
  /// Objects in lookup order.
  public private(set) var objects: [DebugObject] = []
  /// One per debuginfo file that could not be used (missing, not ELF, no DWARF, truncated).
  public private(set) var warnings: [DebuginfoError] = []
  /// Add `file:line` to every frame of a chain.
  public var srcline: Bool
  private var lazy: [String: String] = [:]

  /// - Parameters:
  ///   - objects: `(name, path)` pairs opened now, in lookup order (`vmlinux`, `kvm`, ...).
  ///   - lazyModules: `name → path` of objects opened only when a frame names them.
  public init(
    objects: [(name: String, path: String)], lazyModules: [String: String] = [:], srcline: Bool = false
  ) {
    self.srcline = srcline
    self.lazy = lazyModules
    for (name, path) in objects { add(name: name, path: path) }
  }

  public convenience init(sources: DebuginfoSources, srcline: Bool = false) {
    let plan = sources.plan()
    self.init(objects: plan.objects, lazyModules: plan.lazyModules, srcline: srcline)
    warnings.insert(contentsOf: plan.warnings, at: 0)
  }

  /// Opens one object; a file that cannot be used becomes a warning.
  public func add(name: String, path: String) {
    do {
      let object = try DebugObject(name: name, path: path)
      if !object.hasDWARF { warnings.append(DebuginfoError(path: path, reason: .noDWARF)) }
      objects.append(object)
    } catch {
      warnings.append(error)
    }
  }

  /// Kernel modules are named with `_` even when their file uses `-` (`kvm-amd.ko`).
  public static func normalizedModuleName(_ module: String) -> String {
    var name = module
    if name.hasPrefix("[") && name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
    if name == "kernel.kallsyms" || name.hasPrefix("vmlinux") { return "vmlinux" }
    if let slash = name.lastIndex(of: "/") { name = String(name[name.index(after: slash)...]) }
    for suffix in [".debug", ".xz", ".gz", ".zst", ".ko"] where name.hasSuffix(suffix) {
      name = String(name.dropLast(suffix.count))
    }
    if module.hasPrefix("[") || module.contains(".ko") {
      name = name.replacingOccurrences(of: "-", with: "_")
    }
    return name
  }

  private func object(named module: String) -> DebugObject? {
    let name = Self.normalizedModuleName(module)
    if let object = objects.first(where: { $0.name == name || $0.path == module }) { return object }
    if let path = lazy.removeValue(forKey: name) {
      add(name: name, path: path)
      return objects.first { $0.name == name }
    }
    return nil
  }

  /// Not cached here: `InlineExpander` resolves each unique frame of a profile once, keyed by
  /// its interned id, and a second cache keyed by the whole `Frame` (its strings hashed and
  /// retained) was a seventh of `fold --module` over unique frames.
  public func resolve(_ frame: Frame, isReturnAddress: Bool) -> FrameResolution {
    lookUp(frame, isReturnAddress: isReturnAddress)
  }

  /// The size in bytes of `symbol` in the first loaded object (or `module`'s, when given) that
  /// has it once with a size, for telling an offset past a function's end (`SuspectFrames`).
  public func symbolSize(_ symbol: String, module: String? = nil) -> UInt64? {
    let candidates = module.map { object(named: $0).map { [$0] } ?? [] } ?? objects
    for object in candidates {
      if case .found(let sym) = object.symbol(named: symbol), sym.size > 0 { return sym.size }
    }
    return nil
  }

  /// Chains for a symbol and offset, or a raw address in `object`, for `tdptrace symbolize`.
  public func scopes(symbol: String, offset: UInt64, module: String? = nil, isReturnAddress: Bool)
    -> Result<(object: DebugObject, scopes: [InlineScope]), Unresolved>
  {
    var ambiguousIn: DebugObject?
    let candidates: [DebugObject]
    if let module {
      guard let object = object(named: module) else {
        return .failure(Unresolved(object: module, reason: "no debuginfo loaded for this object"))
      }
      candidates = [object]
    } else {
      candidates = objects
    }
    for object in candidates {
      switch object.symbol(named: symbol) {
      case .notFound: continue
      case .ambiguous: if ambiguousIn == nil { ambiguousIn = object }
      case .found(let sym):
        if sym.size > 0 && (offset > sym.size || (offset == sym.size && !isReturnAddress)) {
          return .failure(Unresolved(object: object.name, reason: "offset past the end of the symbol"))
        }
        guard object.hasDWARF else { return .failure(Unresolved(object: object.name, reason: "no DWARF")) }
        let address = sym.address &+ offset &- (isReturnAddress && offset > 0 ? 1 : 0)
        guard let scopes = object.scopes(at: address) else {
          return .failure(Unresolved(object: object.name, reason: "no DWARF covers the address"))
        }
        return .success((object, scopes))
      }
    }
    if let ambiguousIn {
      return .failure(Unresolved(object: ambiguousIn.name, reason: "symbol name is not unique"))
    }
    if let module { return .failure(Unresolved(object: module, reason: "symbol not in its debuginfo")) }
    return .failure(
      Unresolved(object: "[unknown object]", reason: "symbol not in any loaded debuginfo"))
  }

  /// The chain at a file address (an ELF virtual address, as `addr2line` and `objdump` print
  /// it) of the first object: for executables and shared libraries, not relocatable modules.
  public func scopes(fileAddress: UInt64, isReturnAddress: Bool) -> Result<[InlineScope], Unresolved> {
    guard let object = objects.first else {
      return .failure(Unresolved(object: "[none]", reason: "no debuginfo loaded"))
    }
    guard !object.isRelocatable else {
      return .failure(Unresolved(object: object.name, reason: "raw addresses need FUNC+OFFSET in a module"))
    }
    guard object.hasDWARF else { return .failure(Unresolved(object: object.name, reason: "no DWARF")) }
    let address = object.address(ofFileAddress: fileAddress &- (isReturnAddress ? 1 : 0))
    guard let scopes = object.scopes(at: address) else {
      return .failure(Unresolved(object: object.name, reason: "no DWARF covers the address"))
    }
    return .success(scopes)
  }

  /// Why a frame stays as it was, and which object it was looked for in.
  public struct Unresolved: Error, Hashable, Sendable {
    public var object: String
    public var reason: String
    public init(object: String, reason: String) {
      self.object = object
      self.reason = reason
    }
  }

  private func lookUp(_ frame: Frame, isReturnAddress: Bool) -> FrameResolution {
    // Frames the input already marked as inlined were expanded by whoever wrote it.
    if frame.kind == .inlined { return .chain([frame]) }
    guard let offset = frame.offset else {
      if frame.address != nil {
        return .unresolved(
          object: frame.module ?? "[unknown object]", reason: "raw address without symbol (needs kallsyms)")
      }
      return .unresolved(object: frame.module ?? "[unknown object]", reason: "no offset in the input")
    }
    let found = scopes(
      symbol: frame.symbol, offset: offset.value, module: frame.module, isReturnAddress: isReturnAddress)
    switch found {
    case .failure(let why): return .unresolved(object: why.object, reason: why.reason)
    case .success(let (_, scopes)):
      var outer = frame
      if srcline, outer.srcline == nil { outer.srcline = scopes.first?.srcline }
      var chain = [outer]
      for scope in scopes.dropFirst() {
        chain.append(
          Frame(
            symbol: scope.function, module: frame.module, address: frame.address, kind: .inlined,
            srcline: srcline ? scope.srcline : nil))
      }
      return .chain(chain)
    }
  }
}
