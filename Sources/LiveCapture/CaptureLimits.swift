import CTDPTraceBPF

/// Map sizes and in-kernel filters for one capture.
public struct CaptureLimits: Sendable, Equatable {
  /// Entries in the stack-trace map: distinct stacks kept; beyond it, `stack_map_full` drops.
  public var stackEntries = UInt32(STACK_ENTRIES)
  /// Entries in the counts hash: distinct (probe, stack) pairs; beyond it, `counts_full` drops.
  public var countEntries = UInt32(COUNT_ENTRIES)
  /// Probes one session can attach (sizes the drop counters).
  public var maxProbes = UInt32(MAX_PROBES)
  /// Count only this process (thread-group id, as bpftrace's `pid`); nil counts all.
  public var pid: UInt32? = nil
  /// Count only threads whose `comm` is exactly this (at most 15 bytes); nil counts all.
  public var comm: String? = nil

  /// The longest `comm` filter: the kernel's comm buffer less its NUL.
  public static let maxCommBytes = Int(COMM_LEN) - 1

  public init() {}
}

/// Why an event was not counted. The raw values of the kernel's reasons are the BPF program's
/// (`enum drop_reason` in bpf/tdptrace.h), which index its drops array.
///
/// A Swift enum cannot take an imported C constant as a raw value, so `rawValue` maps each case
/// to its constant; a test checks that every C reason below `DROP_REASONS` has a case.
public enum DropReason: Sendable, CaseIterable, Comparable, RawRepresentable {
  /// `bpf_get_stackid` returned -EEXIST: another stack owns the hash bucket (raise --stack-entries).
  case stackCollision
  /// `bpf_get_stackid` returned -ENOMEM: the stack map is full.
  case stackMapFull
  /// `bpf_get_stackid` failed otherwise (no stack could be taken).
  case noStack
  /// The counts hash had no room for a new (probe, stack) pair (raise --count-entries).
  case countsFull
  /// Found in user space: the stack id was counted but its stack was gone from the map.
  case stackUnreadable

  /// The number of reasons the BPF program counts: the stride of its drops array per probe.
  static let kernelReasons = DROP_REASONS.rawValue

  /// The BPF program's `DROP_*` value; `stackUnreadable`, which it never counts, is 100, above
  /// every kernel reason.
  public var rawValue: UInt32 {
    switch self {
    case .stackCollision: return DROP_STACK_COLLISION.rawValue
    case .stackMapFull: return DROP_STACK_MAP_FULL.rawValue
    case .noStack: return DROP_NO_STACK.rawValue
    case .countsFull: return DROP_COUNTS_FULL.rawValue
    case .stackUnreadable: return 100
    }
  }

  /// The reason whose `rawValue` this is, nil for a value no case has.
  public init?(rawValue: UInt32) {
    guard let reason = Self.allCases.first(where: { $0.rawValue == rawValue }) else { return nil }
    self = reason
  }

  /// The reason's name in tdptrace's output.
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
