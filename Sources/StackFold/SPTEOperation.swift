import TDPTable
import TraceParse

/// One top-level operation of a `record --spte` capture (`SPTECaptureKey.opMap`): a memslot
/// ioctl, an MMU notifier callback, a dirty-log call or a VM destroy, from its root's entry to
/// its exit, with the SPTE changes, splits and flushes its task made meanwhile.
public struct SPTEOperation: Sendable, Hashable {
  /// The `OP` member: from 1, in the order operations began.
  public var id: UInt32
  /// The root function (`ProbeName.function` of the root probe).
  public var root: String
  /// The origin path of the root's entry stack, and for `other` its top frames.
  public var origin: PathOrigin
  public var topFrames: [String]
  public var pid: UInt64
  public var tid: UInt64
  public var comm: String
  /// `bpf_ktime_get_ns` at entry.
  public var start: UInt64
  /// Entry to exit, ns; nil when the root had not returned at stop.
  public var duration: UInt64?
  /// As the kernel counted them for the operation.
  public var changes: UInt64
  public var splitCount: UInt64
  public var flushes: UInt64
  /// Present leaves made not present.
  public var leafZaps: UInt64
  /// Of `leafZaps`, those no remote TLB flush followed before the root returned.
  public var unflushed: UInt64
  /// The operation's `@spte` entries by cell, and its `@spte_split` entries.
  public var counts: [SPTELedger.Cell: UInt64] = [:]
  public var splits: [SPTELedger.Split: UInt64] = [:]

  /// Whether the operation zapped present leaves and returned with some of them unflushed.
  public var unflushedZap: Bool { duration != nil && unflushed > 0 }
  /// The `@spte` entries' changes of the operation (equal to `changes` unless entries were
  /// dropped in the kernel).
  public var entryChanges: UInt64 { counts.values.reduce(0, &+) }

  /// `vCPU page fault`, or `other: a < b < c`.
  public var originLabel: String {
    topFrames.isEmpty ? origin.label : origin.label + ": " + topFrames.joined(separator: " < ")
  }

  /// The operation an `@spte_op` entry's labels spell (its origin still `other`, classified by
  /// the caller from the stack); nil for a sample of another map.
  static func read(_ labels: Labels) -> Result<SPTEOperation, SPTELedgerError>? {
    guard labels.map == SPTECaptureKey.opMap else { return nil }
    let members = SPTECaptureKey.opLabels.map { labels[$0] }
    func bad(_ why: String) -> Result<SPTEOperation, SPTELedgerError> {
      let entry = ([labels.probe] + members).map { $0 ?? "?" }.joined(separator: ", ")
      return .failure(.badEntry(entry: "\(SPTECaptureKey.opMap)[\(entry)]", why: why))
    }
    guard let probe = labels.probe else { return bad("the first member is not the root probe") }
    guard let opText = members[0], let id = SPTECaptureKey.op(token: opText), id > 0 else {
      return bad("the OP member is not op<N>")
    }
    var numbers: [UInt64] = []
    for (index, name) in [(1, "PID"), (2, "TID"), (4, "START_NS")] {
      guard let text = members[index], let value = UInt64(text) else { return bad("\(name) is not a number") }
      numbers.append(value)
    }
    let duration: UInt64?
    switch members[5] {
    case SPTECaptureKey.runningToken?: duration = nil
    case let text?:
      guard let value = UInt64(text) else { return bad("DURATION_NS is not a number or running") }
      duration = value
    case nil: return bad("DURATION_NS is missing")
    }
    var tallies: [UInt64] = []
    for (index, name) in [(6, "CHANGES"), (7, "SPLITS"), (8, "FLUSHES"), (9, "LEAF_ZAPS"), (10, "UNFLUSHED")]
    {
      guard let text = members[index], let value = UInt64(text) else { return bad("\(name) is not a number") }
      tallies.append(value)
    }
    guard tallies[4] <= tallies[3] else { return bad("UNFLUSHED is more than LEAF_ZAPS") }
    return .success(
      SPTEOperation(
        id: id, root: ProbeName(probe).function, origin: .other, topFrames: [], pid: numbers[0],
        tid: numbers[1], comm: members[3] ?? "?", start: numbers[2], duration: duration, changes: tallies[0],
        splitCount: tallies[1], flushes: tallies[2], leafZaps: tallies[3], unflushed: tallies[4]))
  }

  /// The OP member of an `@spte` or `@spte_split` entry: the operation's id, 0 outside any
  /// operation or in a capture written before operations were recorded; nil when it is not
  /// `op<N>` or `-`.
  static func id(of labels: Labels, label: String) -> UInt32? {
    guard let text = labels[label] else { return 0 }
    return SPTECaptureKey.op(token: text)
  }
}
