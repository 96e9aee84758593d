import CTDPTraceBPF

/// The shape of an SPTE change entry in a capture, written by `record --spte` and read by
/// `report --spte`: the bpftrace map `@spte[PROBE, LEVEL, OLD, NEW, PFN, kstack]: COUNT`, one unit of
/// count per SPTE change, so `fold` on it weighs stacks by changes. The members become the
/// labels `probe`, `key1` … `key4` (`BpftraceMapKey`); the stack is last, so it is position 5.
public enum SPTECaptureKey {
  /// The map's name.
  public static let map = "@spte"
  /// The label names of the members after the probe.
  public static let levelLabel = "key1"
  public static let oldLabel = "key2"
  public static let newLabel = "key3"
  public static let pfnLabel = "key4"
  /// The tracepoint the entries count.
  public static let tracepoint = ProbeGroup.Tracepoint("kvmmmu", "kvm_tdp_mmu_spte_changed")
  /// The first header line of a `record --spte` capture: what its `@spte` entries count.
  public static let header =
    "# tdptrace record --spte: kvmmmu:kvm_tdp_mmu_spte_changed counted by stack, level, old and new SPTE class (PLWADXMF: present, leaf, writable, accessed, dirty, executable, MMIO, frozen; - unset) and pfn change"

  /// The header lines before `Attaching N probes...`: `header`, the masks and their source
  /// (kept to one line).
  public static func headerLines(masks: SPTEMasks, source: String) -> String {
    let oneLine = String(source.map { $0.isNewline ? " " : $0 })
    return header + "\n" + masksHeader + masks.headerText + "\n" + masksSourceHeader + oneLine + "\n"
      + opHeader
      + "\n"
  }

  /// `record --spte`'s huge page splits: `@spte_split[PROBE, LEVEL, RESULT, kstack]: COUNT`,
  /// one unit per split, by the level of the huge SPTE and the result (`ok` or `-ENOMEM`, ...).
  public static let splitMap = "@spte_split"
  /// The label of the split's result, after `levelLabel`.
  public static let resultLabel = "key2"
  /// The split tracepoint (5.18+: with level and errno).
  public static let splitTracepoint = ProbeGroup.Tracepoint("kvmmmu", "kvm_mmu_split_huge_page")

  /// The level and errno magnitude (0: split) of a split's `count_key.spte` (`split_key`), or nil.
  public static func split(key: UInt32) -> (level: Int, errno: Int)? {
    guard key & SPLIT_KEY_MARK != 0, key & SPTE_KEY_MARK == 0 else { return nil }
    return (Int(key & 0xff), Int((key >> 8) & 0xff))
  }

  /// The `count_key.spte` of a split (`split_key`).
  public static func splitKey(level: Int, errno: Int32) -> UInt32 {
    split_key(UInt32(clamping: level), -abs(errno))
  }

  /// A split's result member: `ok`, or the errno as the kernel returns it (`-ENOMEM`), by
  /// `name` where it knows one, else by number (`-12`).
  public static func resultToken(errno: Int, name: (Int) -> String?) -> String {
    errno == 0 ? "ok" : "-" + (name(errno) ?? String(errno))
  }

  /// `record --spte`'s operations (`ProbeGroup.LedgerRole.operation`): one entry per operation,
  /// `@spte_op[ROOT, OP, PID, TID, COMM, START_NS, DURATION_NS, CHANGES, SPLITS, FLUSHES,
  /// LEAF_ZAPS, UNFLUSHED, kstack]: 1`, the stack at the root's entry. DURATION_NS is `running`
  /// for one still inside its root at stop; LEAF_ZAPS counts present leaves made not present,
  /// UNFLUSHED those of them that no remote TLB flush followed before the root returned. The
  /// `@spte` and `@spte_split` entries of an operation's changes and splits carry its OP member
  /// (`opToken`) after their other members; `-` outside any operation.
  public static let opMap = "@spte_op"
  /// The labels of `opMap`'s members after the root probe, in order.
  public static let opLabels = (1...11).map { "key\($0)" }
  /// The label of the OP member of an `@spte` entry (after PFN) and of an `@spte_split` entry
  /// (after RESULT).
  public static let changeOpLabel = "key5"
  public static let splitOpLabel = "key3"
  /// A `running` duration: the operation had not returned at stop.
  public static let runningToken = "running"
  /// The header line that names `opMap`'s members.
  public static let opHeader =
    "# spte-op: @spte_op[ROOT, OP, PID, TID, COMM, START_NS, DURATION_NS|running, CHANGES, SPLITS, FLUSHES, LEAF_ZAPS, UNFLUSHED, kstack]: 1; @spte and @spte_split end in OP (- outside any operation)"

  /// The OP member of operation `id` (from 1); 0 is outside any operation, `-`.
  public static func opToken(_ id: UInt32) -> String { id == 0 ? "-" : "op\(id)" }
  /// The operation an OP member names: its id, 0 for `-`, nil for anything else.
  public static func op(token: some StringProtocol) -> UInt32? {
    if token == "-" { return 0 }
    guard token.hasPrefix("op"), let id = UInt32(token.dropFirst(2)), id > 0 else { return nil }
    return id
  }

  /// A comm as an `@spte_op` member: bytes that would end the member or the line (`,`, control
  /// characters, non-ASCII) become `?`, so the members stay where the header says.
  public static func commToken(_ comm: String) -> String {
    let text = String(
      comm.unicodeScalars.map { $0 == "," || $0.value < 0x21 || $0.value > 0x7e ? "?" : Character($0) })
    return text.isEmpty ? "?" : text
  }

  /// The header line prefix that records the masks the classes were computed with.
  public static let masksHeader = "# spte-masks: "
  /// The header line prefix that says where the masks came from.
  public static let masksSourceHeader = "# spte-masks-source: "

  /// The PFN member: whether a present → present change moved the SPTE to another pfn.
  public static func pfnToken(_ changed: Bool) -> String { changed ? "pfn-changed" : "pfn-same" }
  public static func pfnChanged(token: some StringProtocol) -> Bool? {
    switch token {
    case "pfn-changed": return true
    case "pfn-same": return false
    default: return nil
    }
  }

  /// `4K`, `2M`, `1G`, `512G`, `256T` for levels 1 through 5, `L<n>` past them.
  public static func levelName(_ level: Int) -> String {
    switch level {
    case 1: return "4K"
    case 2: return "2M"
    case 3: return "1G"
    case 4: return "512G"
    case 5: return "256T"
    default: return "L\(level)"
    }
  }

  /// The level a `levelName` spells, or nil.
  public static func level(named name: some StringProtocol) -> Int? {
    switch name {
    case "4K": return 1
    case "2M": return 2
    case "1G": return 3
    case "512G": return 4
    case "256T": return 5
    default:
      guard name.first == "L", let level = Int(name.dropFirst()), level > 0 else { return nil }
      return level
    }
  }
}
