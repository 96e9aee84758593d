import TraceParse

/// A named table of probe groups: what `record --preset NAME` attaches, what `probes` checks and
/// how `report --tdp` files each sample. The one place these facts are kept.
public struct ProbeTable: Sendable, Hashable {
  /// `tdp-mmu`, `shadow-mmu`.
  public var name: String
  public var summary: String
  public var groups: [ProbeGroup]
  /// The rules that name the path a sample came from (first match wins).
  public var pathRules: [PathRule]

  public init(name: String, summary: String, groups: [ProbeGroup], pathRules: [PathRule]) {
    self.name = name
    self.summary = summary
    self.groups = groups
    self.pathRules = pathRules
  }

  /// Every table, `tdp-mmu` first.
  public static let all: [ProbeTable] = [
    tdpMMU, shadowMMU, tdpMMULatency, tdpMMUSPTE, tdpMMUFaults, tdpMMULock,
  ]

  /// The table called `name`, or nil.
  public static func named(_ name: String) -> ProbeTable? { all.first { $0.name == name } }

  /// The groups `record` attaches something of.
  public var recordedGroups: [ProbeGroup] { groups.filter(\.isRecorded) }

  /// The group a probe belongs to, in any spelling `ProbeName` reads: a function (clone suffix
  /// ignored), `system:event`, or a tracepoint of unknown system by its event name.
  public func group(of probe: ProbeName) -> ProbeGroup? {
    if let tracepoint = probe.tracepoint,
      let group = groups.first(where: { $0.tracepoints.contains { $0.name == tracepoint } })
    {
      return group
    }
    if probe.kind.isFunction, let group = groups.first(where: { $0.functionNames.contains(probe.function) }) {
      return group
    }
    // tp_btf and raw tracepoints, and bare leaf names, name the event without its system.
    guard probe.isTracepoint || probe.kind == .bare else { return nil }
    return groups.first { $0.tracepoints.contains { $0.event == probe.name } }
  }

  /// `group(of:)` for a probe's text.
  public func group(of text: String) -> ProbeGroup? { group(of: ProbeName(text)) }

  /// The group called `name`.
  public func group(named name: String) -> ProbeGroup? { groups.first { $0.name == name } }

  /// The other names the table knows for the kernel function `name` (the names of its entry,
  /// newest first, without `name`), across every table: what a kernel that lacks `name` may
  /// have it as.
  public static func otherNames(of name: String) -> [String] {
    for table in all {
      for group in table.groups {
        if let entry = group.functions.first(where: { $0.names.contains(name) }) {
          return entry.names.filter { $0 != name }
        }
      }
    }
    return []
  }
}
