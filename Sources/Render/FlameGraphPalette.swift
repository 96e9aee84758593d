import StackFold
import TraceParse

/// What a flame graph box is colored as. Finer than `FrameKind`: KVM's own code gets its own
/// color, because in a TDP MMU study it is the part the reader came for.
public enum FrameCategory: String, Sendable, Hashable, CaseIterable {
  /// Core kernel text, and frames of unknown kind (bpftrace's `kstack` does not say).
  case kernel
  /// KVM: module `kvm`, `kvm_intel`, `kvm_amd`..., or, when the module is not known, a name
  /// that is KVM's by prefix (see `FlameGraphPalette.kvmNamePrefixes`).
  case kvm
  /// Any other kernel module.
  case module
  case user
  case jit
  case inlined
  /// The synthetic `all` root and the map/probe root frames.
  case synthetic
}

/// Frame categories and deterministic colors. A color is a hash of the name within the
/// category's hue range, so the same input always gives the same bytes (goldens stay stable)
/// and a function keeps its color across graphs.
public enum FlameGraphPalette {
  /// Names that are KVM's when the input does not name the module (bpftrace prints bare
  /// symbols). Matched as prefixes.
  public static let kvmNamePrefixes: [String] = [
    "kvm_", "__kvm_", "tdp_mmu_", "__tdp_mmu_", "tdp_iter_", "handle_changed_spte",
    "__handle_changed_spte", "handle_removed_pt", "make_spte", "make_nonleaf_spte", "mmu_set_spte",
    "mmu_alloc_", "mmu_free_root", "mmu_page_", "__direct_map", "handle_ept_", "npf_interception",
    "direct_page_fault", "fast_page_fault", "vmx_", "__vmx_", "svm_", "__svm_",
    "vcpu_enter_guest", "vcpu_run",
  ]

  /// The category of `frame`, named `name` in the graph.
  public static func category(of frame: Frame, name: String) -> FrameCategory {
    switch frame.kind {
    case .user: return .user
    case .jit: return .jit
    case .inlined: return .inlined
    case .kernel, .module, .unknown:
      if let module = frame.module, !module.isEmpty {
        return isKVMModule(module) ? .kvm : (frame.kind == .module ? .module : .kernel)
      }
      return isKVMName(name) ? .kvm : (frame.kind == .module ? .module : .kernel)
    }
  }

  /// `kvm`, `kvm_intel`, `kvm-amd`, `[kvm]`, `/lib/modules/.../kvm.ko`.
  public static func isKVMModule(_ module: String) -> Bool {
    var base = Substring(module)
    if let slash = base.lastIndex(of: "/") { base = base[base.index(after: slash)...] }
    base = base.drop { $0 == "[" }
    while let last = base.last, last == "]" { base = base.dropLast() }
    if base.hasSuffix(".ko") { base = base.dropLast(3) }
    return base == "kvm" || base.hasPrefix("kvm_") || base.hasPrefix("kvm-")
  }

  public static func isKVMName(_ name: String) -> Bool {
    kvmNamePrefixes.contains { name.hasPrefix($0) }
  }

  /// Category of every frame name in `profiles` (first frame seen with a name wins), for
  /// trees that keep only names.
  public static func categories(_ profiles: [Profile], naming: FrameNaming) -> [String: FrameCategory] {
    var out: [String: FrameCategory] = [:]
    for profile in profiles {
      for frame in profile.frames {
        let name = naming.name(frame)
        if out[name] == nil { out[name] = category(of: frame, name: name) }
      }
    }
    return out
  }

  /// `rgb(r,g,b)` for `name` in `category`.
  public static func color(name: String, category: FrameCategory) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in name.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x100_0000_01b3
    }
    let v1 = Double(hash & 0xFFFF) / 65535
    let v2 = Double((hash >> 16) & 0xFFFF) / 65535
    let (r, g, b): (Double, Double, Double)
    switch category {
    case .kernel: (r, g, b) = (200 + 55 * v1, 90 + 80 * v2, 0 + 40 * v1)  // orange
    case .kvm: (r, g, b) = (150 + 50 * v1, 110 + 50 * v2, 215 + 40 * v1)  // violet
    case .module: (r, g, b) = (185 + 50 * v1, 185 + 50 * v1, 40 + 40 * v2)  // yellow
    case .user: (r, g, b) = (205 + 50 * v1, 50 + 70 * v2, 50 + 70 * v2)  // red
    case .jit: (r, g, b) = (50 + 60 * v1, 190 + 55 * v2, 50 + 60 * v1)  // green
    case .inlined: (r, g, b) = (60 + 50 * v1, 175 + 50 * v2, 190 + 50 * v2)  // aqua
    case .synthetic: (r, g, b) = (180 + 20 * v1, 180 + 20 * v1, 180 + 20 * v1)  // gray
    }
    return "rgb(\(Int(r)),\(Int(g)),\(Int(b)))"
  }

  /// Differential color: red when the frame grew, blue when it shrank, white when unchanged;
  /// `intensity` is |delta| / largest |delta|, in 0...1.
  public static func diffColor(grew: Bool, intensity: Double) -> String {
    let fade = Int(210 - 210 * min(max(intensity, 0), 1))
    return grew ? "rgb(255,\(fade),\(fade))" : "rgb(\(fade),\(fade),255)"
  }

  /// The legend: category, what it covers, and a sample color.
  public static let legend: [(FrameCategory, String)] = [
    (.kernel, "kernel"), (.kvm, "KVM"), (.module, "other module"), (.user, "user"), (.jit, "JIT"),
    (.inlined, "inlined"),
  ]
}
