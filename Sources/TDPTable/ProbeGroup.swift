import TraceParse

/// One path through the MMU as probes see it: the kernel functions on it under every name they
/// have had, and the tracepoints on the same path.
///
/// Order, everywhere in the table: within an entry, the newest kernel's name first, then the
/// names older kernels used; entries and groups in report order.
public struct ProbeGroup: Sendable, Hashable {
  /// One probe point: a function under its names across kernel versions. Names of one entry
  /// never exist in the same kernel; functions that coexist are separate entries.
  public struct Function: Sendable, Hashable {
    /// Newest name first.
    public var names: [String]
    /// Whether `record` attaches it (every name that resolves). Entries left out are known so
    /// that `report` files saved captures of them under the right group.
    public var recorded: Bool
    /// Whether `record --latency` times it (entry and exit), in the `tdp-mmu-latency` preset.
    public var timed: Bool
    /// From this release on `record` (counting, not timing) attaches the group's tracepoints
    /// instead of this function, which no longer sees every event of the group; `probes` prints
    /// `why`.
    public var tracepointFrom: Replacement?
    /// Whether `record --spte` attaches it, in the `tdp-mmu-spte` preset.
    public var ledger: Bool { ledgerRole != nil }
    /// What `record --spte` does at it; nil: not attached.
    public var ledgerRole: LedgerRole?
    /// What `record --faults` does at this function (`FaultRole`); nil: not in its preset.
    public var faultRole: FaultRole?
    /// What `record --mmu-lock` does at this function (`LockRole`); nil: not in its preset.
    public var lockRole: LockRole?

    public init(
      _ names: [String], recorded: Bool = true, timed: Bool = false,
      tracepointFrom: Replacement? = nil, ledger: LedgerRole? = nil, fault: FaultRole? = nil,
      lock: LockRole? = nil
    ) {
      self.names = names
      self.recorded = recorded
      self.timed = timed
      self.tracepointFrom = tracepointFrom
      self.ledgerRole = ledger
      self.faultRole = fault
      self.lockRole = lock
    }

    /// Why `record` counts the group's tracepoints instead of this function on `kernel`, or nil.
    public func replacedByTracepoints(on kernel: KernelVersion?) -> String? {
      guard let tracepointFrom, let kernel, kernel >= tracepointFrom.release else { return nil }
      return tracepointFrom.why
    }
  }

  /// What `record --spte` does at a function of the SPTE ledger.
  public enum LedgerRole: Sendable, Hashable {
    /// A remote TLB flush: counted, and it covers the leaves the task's operation zapped before it.
    case flush
    /// The root of a top-level operation (a memslot ioctl, an MMU notifier callback, a dirty-log
    /// call, a VM destroy): entry to exit brackets the SPTE changes, splits and flushes of one
    /// operation (`@spte_op`, `SPTECaptureKey.opMap`).
    case operation
  }

  /// The release from which `record` counts a group's tracepoints instead of a function, and why.
  /// `record --faults`'s parts of one fault (docs/faults.md): the bracket whose entry and exit
  /// time a fault and name its vCPU, and the TDP fault handler inside it whose return value is
  /// the outcome (`RET_PF_*`) and whose `struct kvm_page_fault` gives the levels and the gfn.
  public enum FaultRole: String, Sendable, Hashable, CaseIterable {
    case fault
    case outcome
  }

  /// `record --mmu-lock`'s parts (docs/faults.md): the vCPU entry point whose `vcpu->kvm` names
  /// the `mmu_lock` to watch, and the paths that take `mmu_lock` for write, whose bracket names
  /// the holder a wait is blamed on.
  public enum LockRole: String, Sendable, Hashable, CaseIterable {
    case vcpu
    case holder
  }

  public struct Replacement: Sendable, Hashable {
    public var release: KernelVersion
    public var why: String

    public init(_ release: KernelVersion, _ why: String) {
      self.release = release
      self.why = why
    }
  }

  /// A tracepoint on the group's path.
  public struct Tracepoint: Sendable, Hashable {
    public var system: String
    public var event: String
    /// Whether `record` attaches it (when the group's functions cannot be probed, or with
    /// `--with-tracepoints`).
    public var recorded: Bool
    /// Whether `record --spte` attaches it, in the `tdp-mmu-spte` preset.
    public var ledger: Bool
    /// `record --faults` marks the fault it fires in as taking the fast path (its return value).
    public var fault: Bool
    /// `record --mmu-lock` times `mmu_lock` waits between this and its pair (`lock:contention_*`).
    public var lockWait: Bool

    public init(
      _ system: String, _ event: String, recorded: Bool = true, ledger: Bool = false, fault: Bool = false,
      lockWait: Bool = false
    ) {
      self.system = system
      self.event = event
      self.recorded = recorded
      self.ledger = ledger
      self.fault = fault
      self.lockWait = lockWait
    }

    /// `system:event`.
    public var name: String { system + ":" + event }
  }

  /// `map`, `init-sp`, `spte-change`, `zap`, `wrprot`, `extra`.
  public var name: String
  public var summary: String
  public var functions: [Function]
  public var tracepoints: [Tracepoint]

  public init(name: String, summary: String, functions: [Function], tracepoints: [Tracepoint] = []) {
    self.name = name
    self.summary = summary
    self.functions = functions
    self.tracepoints = tracepoints
  }

  /// Every function name of every entry, in table order.
  public var functionNames: [String] { functions.flatMap(\.names) }
  /// The names `record` attaches, in table order.
  public var recordedFunctions: [String] { functions.filter(\.recorded).flatMap(\.names) }
  /// The tracepoints `record` attaches, in table order.
  public var recordedTracepoints: [Tracepoint] { tracepoints.filter(\.recorded) }
  /// Whether `record` attaches anything of this group.
  public var isRecorded: Bool { !recordedFunctions.isEmpty || !recordedTracepoints.isEmpty }
}
