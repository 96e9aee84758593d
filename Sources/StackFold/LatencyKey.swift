import TraceParse

/// The key of a latency map entry, the same whether the parser kept the entry as a `MapValue`
/// (hist, lhist, stats, and scalars without a stack) or as a `Sample` (an integer keyed by a
/// stack: `min()`/`max()` by stack, `@tdptrace_slow`), so entries of different maps pair by key.
public struct LatencyKey: Sendable, Hashable {
  /// The first member that reads as a probe (`ProbeName.bpftrace`).
  public var probe: String?
  /// The other scalar members, in key order.
  public var fields: [String]
  /// The first stack member, root first (the entry stack for `record --latency`).
  public var stack: [Frame]

  public init(probe: String?, fields: [String], stack: [Frame]) {
    self.probe = probe
    self.fields = fields
    self.stack = stack
  }

  /// The key of a map value: stack members from `MapValue.stacks`, the rest by position.
  public init(_ value: MapValue) {
    let stackPositions = Set(value.stacks.map(\.position))
    var probe: String?
    var fields: [String] = []
    for (position, text) in value.key.enumerated() where !stackPositions.contains(position) {
      if probe == nil, ProbeName.bpftrace(text) != nil { probe = text } else { fields.append(text) }
    }
    self.init(probe: probe, fields: fields, stack: value.stacks.first?.frames ?? [])
  }

  /// The key of a sample: its `probe` label, its `key<N>` labels in order, its stack.
  public init(_ sample: Sample, in profile: Profile) {
    let labels = profile.labels(of: sample)
    let fields = labels.entries.filter { $0.name != Labels.Name.map && $0.name != Labels.Name.probe }.map(
      \.value)
    self.init(probe: labels.probe, fields: fields, stack: profile.frames(of: sample))
  }

  /// Frames compared by what the key printed (symbol and offset), not by how they were placed.
  struct Identity: Hashable {
    var probe: String?
    var fields: [String]
    var stack: [String]
  }

  var identity: Identity {
    Identity(probe: probe, fields: fields, stack: stack.map { $0.name(keepOffset: true) })
  }
}
