import StackFold
import SwiftProtobuf
import TraceParse

/// `--pprof OUT.pb.gz`: the profile as pprof's `profile.proto`, gzipped, for `go tool pprof`,
/// Pyroscope and Parca.
///
/// Each unique (stack, labels) sample becomes one pprof sample with its weight as the single
/// value and its labels as string labels. Stacks go leaf first, as pprof wants. A run of
/// inlined frames shares one location with the frame they were inlined into: `line[]` lists the
/// innermost callee first and that caller last. Modules become mappings; `srcline`s become
/// function file names and line numbers.
public struct PprofExport: Renderer {
  public enum Failure: Error, CustomStringConvertible {
    /// pprof values are int64.
    case weightTooLarge(UInt64)

    public var description: String {
      switch self {
      case .weightTooLarge(let w): return "a sample weight of \(w) does not fit pprof's int64 values"
      }
    }
  }

  /// Gzip the output (pprof files are gzipped; `go tool pprof` reads both).
  public var compress: Bool

  public init(compress: Bool = true) { self.compress = compress }

  public func render(_ profile: Profile) throws -> [UInt8] {
    let bytes: [UInt8] = try message(for: profile).serializedBytes()
    return compress ? try Gzip.compress(bytes) : bytes
  }

  /// The pprof message for `profile`; ids are dense and in order of first use.
  public func message(for profile: Profile) throws(Failure) -> Perftools_Profiles_Profile {
    var builder = PprofBuilder()
    var out = Perftools_Profiles_Profile()
    let (type, unit) = Self.sampleType(profile.unit)
    out.sampleType = [builder.valueType(type, unit)]
    for sample in profile.samples {
      guard sample.weight <= UInt64(Int64.max) else { throw .weightTooLarge(sample.weight) }
      var message = Perftools_Profiles_Sample()
      message.locationID = builder.locations(for: sample.stack, in: profile).reversed()
      message.value = [Int64(sample.weight)]
      message.label = profile.labels(of: sample).entries.map { entry in
        var label = Perftools_Profiles_Label()
        label.key = builder.string(entry.name)
        label.str = builder.string(entry.value)
        return label
      }
      out.sample.append(message)
    }
    var comments = profile.notes
    if profile.skipped.records > 0 {
      comments.append(
        "tdptrace: skipped \(profile.skipped.records) bad records (weight \(profile.skipped.weight)) under --lenient"
      )
    }
    // pprof has no place for a histogram or a keyed scalar; comments keep them with the
    // profile (`go tool pprof -comments`) without adding to any sample's weight.
    comments += profile.values.map { "tdptrace: map value " + MapValueText.line($0) }
    out.comment = comments.map { builder.string($0) }
    out.mapping = builder.mappings
    out.location = builder.locationMessages
    out.function = builder.functions
    out.stringTable = builder.strings
    return out
  }

  /// pprof's (type, unit) for a weight unit; `count` samples read as pprof's `samples/count`.
  static func sampleType(_ unit: WeightUnit) -> (String, String) {
    switch unit {
    case .count: return ("samples", "count")
    case .sum: return ("sum", "count")
    case .period: return ("period", "count")
    case .mixed: return ("weight", "count")
    }
  }
}

/// Interns strings, functions, mappings and locations while a pprof message is built.
struct PprofBuilder {
  private(set) var strings: [String] = [""]
  private var stringIndex: [String: Int64] = ["": 0]
  private(set) var functions: [Perftools_Profiles_Function] = []
  private var functionIndex: [FunctionKey: UInt64] = [:]
  private(set) var mappings: [Perftools_Profiles_Mapping] = []
  private var mappingIndex: [String: UInt64] = [:]
  private(set) var locationMessages: [Perftools_Profiles_Location] = []
  private var locationIndex: [[FrameID]: UInt64] = [:]

  private struct FunctionKey: Hashable {
    var name: String
    var file: String
  }

  mutating func string(_ s: String) -> Int64 {
    if let id = stringIndex[s] { return id }
    let id = Int64(strings.count)
    strings.append(s)
    stringIndex[s] = id
    return id
  }

  mutating func valueType(_ type: String, _ unit: String) -> Perftools_Profiles_ValueType {
    var v = Perftools_Profiles_ValueType()
    v.type = string(type)
    v.unit = string(unit)
    return v
  }

  /// Location ids for a root-first stack, root first. Inlined frames join the location of the
  /// frame before them (their caller).
  mutating func locations(for stack: [FrameID], in profile: Profile) -> [UInt64] {
    var ids: [UInt64] = []
    var group: [FrameID] = []
    for id in stack {
      if profile.frame(id).kind == .inlined, !group.isEmpty {
        group.append(id)
      } else {
        if !group.isEmpty { ids.append(location(group, in: profile)) }
        group = [id]
      }
    }
    if !group.isEmpty { ids.append(location(group, in: profile)) }
    return ids
  }

  /// One location for an out-of-line frame followed by the frames inlined into it.
  private mutating func location(_ group: [FrameID], in profile: Profile) -> UInt64 {
    if let id = locationIndex[group] { return id }
    let outer = profile.frame(group[0])
    var location = Perftools_Profiles_Location()
    location.id = UInt64(locationMessages.count + 1)
    location.address = outer.address ?? 0
    if let module = outer.module {
      location.mappingID = mapping(
        module, inlined: group.count > 1, lines: group.contains { profile.frame($0).srcline != nil })
    }
    // pprof: the last line is the caller the preceding ones were inlined into.
    location.line = group.reversed().map { id in
      let frame = profile.frame(id)
      let (file, line) = Self.splitSrcline(frame.srcline)
      var l = Perftools_Profiles_Line()
      l.functionID = function(frame.symbol, file: file)
      l.line = line
      return l
    }
    locationMessages.append(location)
    locationIndex[group] = location.id
    return location.id
  }

  private mutating func function(_ name: String, file: String) -> UInt64 {
    let key = FunctionKey(name: name, file: file)
    if let id = functionIndex[key] { return id }
    var f = Perftools_Profiles_Function()
    f.id = UInt64(functions.count + 1)
    f.name = string(name)
    f.systemName = f.name
    f.filename = string(file)
    functions.append(f)
    functionIndex[key] = f.id
    return f.id
  }

  private mutating func mapping(_ module: String, inlined: Bool, lines: Bool) -> UInt64 {
    if let id = mappingIndex[module] {
      let index = Int(id - 1)
      if inlined { mappings[index].hasInlineFrames_p = true }
      if lines {
        mappings[index].hasFilenames_p = true
        mappings[index].hasLineNumbers_p = true
      }
      return id
    }
    var m = Perftools_Profiles_Mapping()
    m.id = UInt64(mappings.count + 1)
    m.filename = string(module)
    m.hasFunctions_p = true
    m.hasInlineFrames_p = inlined
    m.hasFilenames_p = lines
    m.hasLineNumbers_p = lines
    mappings.append(m)
    mappingIndex[module] = m.id
    return m.id
  }

  /// `mmu.c:4321` → (`mmu.c`, 4321); a srcline without a line number is all file.
  static func splitSrcline(_ srcline: String?) -> (String, Int64) {
    guard var srcline else { return ("", 0) }
    // addr2line appends " (discriminator N)" to some lines.
    if let paren = srcline.range(of: " (discriminator ") { srcline = String(srcline[..<paren.lowerBound]) }
    if let colon = srcline.lastIndex(of: ":"), let line = Int64(srcline[srcline.index(after: colon)...]) {
      return (String(srcline[..<colon]), line)
    }
    return (srcline, 0)
  }
}
