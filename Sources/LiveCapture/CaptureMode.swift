/// What a capture measures at each probe.
public enum CaptureMode: Sendable, Hashable {
  /// Count kernel stacks per probe (`@[probe, kstack] = count()`).
  case count
  /// Time each call from entry to exit, into a histogram per (probe, entry stack): fentry with
  /// fexit, or kprobe with kretprobe. Tracepoints have no exit to pair.
  case latency

  /// The programs in `tdptrace.bpf.c` that implement `method` in this mode, entry first; empty
  /// when the method cannot serve the mode.
  func programs(_ method: AttachMethod) -> [String] {
    switch (self, method) {
    case (.count, _): return [method.programName]
    case (.latency, .fentry): return ["tdp_lat_fentry", "tdp_lat_fexit"]
    case (.latency, .kprobe): return ["tdp_lat_kprobe", "tdp_lat_kretprobe"]
    case (.latency, _): return []
    }
  }

  /// The maps the mode's programs use; the others are not created.
  var maps: Set<String> {
    switch self {
    case .count: return ["stacks", "fb_stacks", "fb_scratch", "fb_next", "counts", "drops"]
    case .latency:
      return [
        "stacks", "fb_stacks", "fb_scratch", "fb_next", "drops", "tasks", "hists", "hist_zero", "task_zero",
        "slow",
      ]
    }
  }
}
