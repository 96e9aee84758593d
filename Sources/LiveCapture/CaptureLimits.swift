import CTDPTraceBPF

/// Map sizes and in-kernel filters for one capture.
public struct CaptureLimits: Sendable, Equatable {
  /// Entries in the stack-trace map: distinct stacks kept; beyond it, `stack_map_full` drops.
  public var stackEntries = UInt32(STACK_ENTRIES)
  /// Entries in the fallback stacks hash: distinct stacks kept by content when the stack map had
  /// no bucket for them (a hash collision, or the map full); beyond it, `stack_collision` (or
  /// `stack_map_full`) drops.
  public var fallbackEntries = UInt32(FALLBACK_ENTRIES)
  /// Entries in the counts hash: distinct (probe, stack) pairs; beyond it, `counts_full` drops.
  public var countEntries = UInt32(COUNT_ENTRIES)
  /// Probes one session can attach (sizes the drop counters).
  public var maxProbes = UInt32(MAX_PROBES)
  /// Count only this process (thread-group id, as bpftrace's `pid`); nil counts all.
  public var pid: UInt32? = nil
  /// Count only threads whose `comm` is exactly this (at most 15 bytes); nil counts all.
  public var comm: String? = nil
  /// `--latency`: entries in the histograms hash (distinct probe and entry-stack pairs; each
  /// holds LATENCY_BUCKETS counters, about 4 KiB).
  public var latencyEntries = UInt32(HIST_ENTRIES)
  /// `--latency --slower-than`: each call at least this slow (ns) is listed; nil lists none.
  public var slowerThanNs: UInt64? = nil

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
  /// `bpf_get_stackid` returned -EEXIST (another stack owns the hash bucket) and the fallback map,
  /// which keeps such stacks by content, was full too (raise --fallback-entries or --stack-entries).
  case stackCollision
  /// `bpf_get_stackid` returned -ENOMEM (the stack map is full) and the fallback map was full too.
  case stackMapFull
  /// `bpf_get_stackid` (or the fallback's `bpf_get_stack`) failed otherwise: no stack could be taken.
  case noStack
  /// The counts hash had no room for a new (probe, stack) pair (raise --count-entries).
  case countsFull
  /// `--latency`: an exit whose entry was not seen (the call began before the probe attached).
  case exitWithoutEntry
  /// `--latency`: more timed calls nested in one task than the kernel side keeps.
  case depthOverflow
  /// `--latency`: no room for another task's calls in progress.
  case tasksFull
  /// `--latency`: no room for another (probe, stack) histogram (raise --latency-entries).
  case histsFull
  /// `--latency`: an entry whose exit never came (a kretprobe's maxactive, or lost).
  case missedExit
  /// `--slower-than`: the ring buffer was full, so a slow call was not listed (it is still timed).
  case slowLost
  /// `--spte`: an operation ended and the operations map was full, so it has no `@spte_op` entry
  /// (its changes still carry its OP member).
  case opsFull
  /// Found in user space: the stack id was counted but its stack was gone from the map.
  case stackUnreadable
  /// Found in user space at stop: `--latency` calls entered and not yet returned (still running,
  /// or their exit was missed), so not in any histogram.
  case inProgress

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
    case .exitWithoutEntry: return DROP_EXIT_WITHOUT_ENTRY.rawValue
    case .depthOverflow: return DROP_DEPTH_OVERFLOW.rawValue
    case .tasksFull: return DROP_TASKS_FULL.rawValue
    case .histsFull: return DROP_HISTS_FULL.rawValue
    case .missedExit: return DROP_MISSED_EXIT.rawValue
    case .slowLost: return DROP_SLOW_LOST.rawValue
    case .opsFull: return DROP_OPS_FULL.rawValue
    case .stackUnreadable: return 100
    case .inProgress: return 101
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
    case .exitWithoutEntry: return "exit_without_entry"
    case .depthOverflow: return "depth_overflow"
    case .tasksFull: return "entry_map_full"
    case .histsFull: return "hist_map_full"
    case .missedExit: return "missed"
    case .slowLost: return "slow_dropped"
    case .opsFull: return "ops_full"
    case .stackUnreadable: return "stack_unreadable"
    case .inProgress: return "in_progress_at_stop"
    }
  }

  public static func < (a: DropReason, b: DropReason) -> Bool { a.rawValue < b.rawValue }
}
