/// The non-stack facts attached to a sample, in the order the input gave them: the bpftrace map
/// name and the other fields of its key (probe, comm, pid, integers), or perf's event, comm,
/// pid and tid. Ordered name/value pairs rather than a dictionary so output is deterministic.
public struct Labels: Hashable, Sendable {
  public struct Entry: Hashable, Sendable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
      self.name = name
      self.value = value
    }
  }

  /// Well-known label names. bpftrace prints no names for tuple keys, so a non-stack key field
  /// that is not recognisably a probe is named by its position in the tuple: `key0`, `key1`, ...
  public enum Name {
    public static let map = "map"
    public static let probe = "probe"
    public static let event = "event"
    public static let comm = "comm"
    public static let pid = "pid"
    public static let tid = "tid"
    public static let cpu = "cpu"
    public static func key(_ position: Int) -> String { "key\(position)" }
  }

  public var entries: [Entry]

  public init(_ entries: [Entry] = []) { self.entries = entries }

  public subscript(name: String) -> String? {
    get { entries.first { $0.name == name }?.value }
    set {
      if let index = entries.firstIndex(where: { $0.name == name }) {
        if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
      } else if let newValue {
        entries.append(Entry(name, newValue))
      }
    }
  }

  /// bpftrace map name (`@`, `@faults`).
  public var map: String? { self[Name.map] }
  /// Probe or tracepoint (`tracepoint:kvmmmu:kvm_mmu_get_page`, `kprobe:kvm_tdp_mmu_map`).
  public var probe: String? { self[Name.probe] }
  /// perf event name (`cpu-clock`, `kvmmmu:kvm_mmu_get_page`).
  public var event: String? { self[Name.event] }

  /// What separates one capture stream from another in folded output and reports: the probe if
  /// known, else the perf event, else the map name.
  public var source: String? { probe ?? event ?? map }
}
