/// Where a frame's code lives. Renderers color by it and folded output annotates it
/// (`_[k]` kernel and module, `_[i]` inlined, `_[j]` JIT).
public enum FrameKind: String, Sendable, Hashable, Codable, CaseIterable {
  /// Core kernel text (vmlinux, `[kernel.kallsyms]`).
  case kernel
  /// A kernel module such as `kvm` or `kvm_amd`.
  case module
  /// User-space code.
  case user
  /// JIT-compiled code (perf maps, `/jitted-*.so`).
  case jit
  /// A callee the compiler inlined into the frame below it; it shares that frame's address.
  case inlined
  /// Not known from the input (bpftrace does not say whether a frame is vmlinux or a module).
  case unknown
}

/// An offset into a symbol, remembering the base it was written in, because bpftrace prints
/// decimal (`+862`) and perf prints hex (`+0x35e`), and a round trip must print what came in.
public struct FrameOffset: Hashable, Sendable {
  public enum Base: Sendable, Hashable { case decimal, hex }
  public var value: UInt64
  public var base: Base

  public init(_ value: UInt64, base: Base) {
    self.value = value
    self.base = base
  }

  /// `+862` or `+0x35e`.
  public var text: String {
    switch base {
    case .decimal: return "+\(value)"
    case .hex: return "+0x" + String(value, radix: 16)
    }
  }
}

/// One frame of a stack.
public struct Frame: Hashable, Sendable {
  /// Function name as the input printed it, without offset (`direct_page_fault`,
  /// `get_task_policy.part.33`, `[unknown]`, or `0xffffffffc0a2b3ce` for an unresolved address).
  public var symbol: String
  public var offset: FrameOffset?
  /// Module or DSO (`kvm`, `[kernel.kallsyms]`, `/usr/lib/libc.so.6`), when the input names it.
  public var module: String?
  /// Instruction address, when the input gives one (perf, `kstack(perf)`, `raw`).
  public var address: UInt64?
  public var kind: FrameKind
  /// `file:line`, from perf `-F +srcline` or from DWARF with `--srcline`.
  public var srcline: String?

  public init(
    symbol: String, offset: FrameOffset? = nil, module: String? = nil, address: UInt64? = nil,
    kind: FrameKind = .unknown, srcline: String? = nil
  ) {
    self.symbol = symbol
    self.offset = offset
    self.module = module
    self.address = address
    self.kind = kind
    self.srcline = srcline
  }

  /// The symbol, plus the offset in its original base when `keepOffset` is set.
  public func name(keepOffset: Bool = false) -> String {
    guard keepOffset, let offset else { return symbol }
    return symbol + offset.text
  }
}
