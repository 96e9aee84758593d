/// The shape of `record --faults`'s entries, written by `FaultWriter` and read by
/// `FaultAnatomy` (`report --faults`), so both sides spell a member the same way:
///
/// ```
/// @faults[kprobe:kvm_mmu_page_fault, VM, VCPU, OUTCOME, PATH, REQ, LEVEL, kstack]: FAULTS
/// @fault_ns[kprobe:kvm_mmu_page_fault, VM, VCPU, OUTCOME, PATH, REQ, LEVEL]: hist
/// @fault_stats_ns[<same key>]: count N, average A, total T
/// @fault_max_ns[<same key>]: NS
/// @fault_retry_run[VM, VCPU, GFN]: RUN
/// ```
///
/// `@faults` counts one unit per fault by its entry stack, so `fold` weighs stacks by faults;
/// `@fault_ns` and its `stats`/`max` maps are keyed without a stack, so `report --latency`
/// reads them too (`LatencyMapName` pairs them). VM is the VMM's pid, VCPU `vcpu->vcpu_id`;
/// OUTCOME the TDP fault handler's `RET_PF_*` by the name the kernel's BTF gives its value;
/// PATH `fast` when `kvmmmu:fast_page_fault` fixed the fault, else `slow`; REQ and LEVEL the
/// handler's `fault->req_level` and `fault->goal_level` at its return (`4K`, `2M`, `1G`). A
/// member the kernel could not give is `-`. `@fault_retry_run` is each vCPU's longest run of
/// consecutive `RET_PF_RETRY` faults on one gfn.
public enum FaultCaptureKey {
  public static let countMap = "@faults"
  public static let latencyMap = "@fault_ns"
  public static let statsMap = "@fault_stats_ns"
  public static let maxMap = "@fault_max_ns"
  public static let retryRunMap = "@fault_retry_run"
  /// The nanoseconds the capture recorded for, for faults per second.
  public static let elapsedMap = "@fault_elapsed_ns"
  /// The label names of the members after the probe (`BpftraceMapKey`: `key1` …).
  public static let memberLabels = ["key1", "key2", "key3", "key4", "key5", "key6"]
  /// A member the kernel could not give.
  public static let unknown = "-"
  /// The outcome of a fault in which no TDP fault handler returned (an MMIO fault, shadow
  /// paging, or a handler `record` could not attach).
  public static let noOutcome = "none"
  /// `RET_PF_RETRY`, whose runs make the stuck-vCPU finding.
  public static let retry = "RET_PF_RETRY"

  /// The first header line of a `record --faults` capture.
  public static let header =
    "# tdptrace record --faults: each fault from kvm_mmu_page_fault's entry to its exit, by VM (VMM pid), vCPU (vcpu_id), outcome (RET_PF_* of the TDP fault handler, names from BTF; none: no handler returned), path (fast: kvmmmu:fast_page_fault fixed it), requested and installed level (fault->req_level, goal_level)"
  /// The header line naming the outcome values this kernel's BTF gave.
  public static let outcomesHeader = "# fault-outcomes: "

  /// `# fault-outcomes: RET_PF_CONTINUE=0 RET_PF_RETRY=1 ...`, by value.
  public static func outcomesLine(_ names: [Int64: String]) -> String {
    outcomesHeader + names.sorted { $0.key < $1.key }.map { "\($0.value)=\($0.key)" }.joined(separator: " ")
  }

  /// A level member: `4K`, `2M`, `1G`, `512G` for 1…4, `L5` above, `-` for 0 or unknown.
  public static func levelToken(_ level: Int?) -> String {
    guard let level, level > 0 else { return unknown }
    switch level {
    case 1: return "4K"
    case 2: return "2M"
    case 3: return "1G"
    case 4: return "512G"
    default: return "L\(level)"
    }
  }

  /// The level of a level member, or nil for `-` or text that is none.
  public static func level(of token: String) -> Int? {
    switch token {
    case "4K": return 1
    case "2M": return 2
    case "1G": return 3
    case "512G": return 4
    default:
      guard token.hasPrefix("L"), let n = Int(token.dropFirst()), n > 4 else { return nil }
      return n
    }
  }

  /// An outcome member: the BTF name of `value`, `none` for no outcome, else the number.
  public static func outcomeToken(_ value: Int64?, names: [Int64: String]) -> String {
    guard let value else { return noOutcome }
    return names[value] ?? String(value)
  }

  /// The path member: `fast` when the fast path's return was one of `fixed` (RET_PF_FIXED,
  /// RET_PF_SPURIOUS), `slow` otherwise, `-` when the fast path's tracepoint was not attached.
  public static func pathToken(fastReturn: Int64?, attached: Bool, fixed: Set<Int64>) -> String {
    guard attached else { return unknown }
    guard let fastReturn else { return "slow" }
    return fixed.contains(fastReturn) ? "fast" : "slow"
  }
}
