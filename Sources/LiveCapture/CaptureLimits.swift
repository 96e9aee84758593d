/// Map sizes and in-kernel filters for one capture.
public struct CaptureLimits: Sendable, Equatable {
  /// Entries in the stack-trace map: distinct stacks kept; beyond it, `stack_map_full` drops.
  public var stackEntries: UInt32 = 16384
  /// Entries in the counts hash: distinct (probe, stack) pairs; beyond it, `counts_full` drops.
  public var countEntries: UInt32 = 10240
  /// Probes one session can attach (sizes the drop counters).
  public var maxProbes: UInt32 = 512
  /// Count only this process (thread-group id, as bpftrace's `pid`); nil counts all.
  public var pid: UInt32? = nil
  /// Count only threads whose `comm` is exactly this (at most 15 bytes); nil counts all.
  public var comm: String? = nil

  public init() {}
}

/// Why an event was not counted. The raw values are the BPF program's (`DROP_*`).
public enum DropReason: UInt32, Sendable, CaseIterable, Comparable {
  /// `bpf_get_stackid` returned -EEXIST: another stack owns the hash bucket (raise --stack-entries).
  case stackCollision = 0
  /// `bpf_get_stackid` returned -ENOMEM: the stack map is full.
  case stackMapFull = 1
  /// `bpf_get_stackid` failed otherwise (no stack could be taken).
  case noStack = 2
  /// The counts hash had no room for a new (probe, stack) pair (raise --count-entries).
  case countsFull = 3
  /// Found in user space: the stack id was counted but its stack was gone from the map.
  case stackUnreadable = 100

  static let kernelReasons: UInt32 = 4

  public var name: String {
    switch self {
    case .stackCollision: return "stack_collision"
    case .stackMapFull: return "stack_map_full"
    case .noStack: return "no_stack"
    case .countsFull: return "counts_full"
    case .stackUnreadable: return "stack_unreadable"
    }
  }

  public static func < (a: DropReason, b: DropReason) -> Bool { a.rawValue < b.rawValue }
}
