import StackFold
import TraceParse

/// `--speedscope OUT.json`: speedscope's file format
/// (https://www.speedscope.app/file-format-schema.json).
///
/// Frames are shared; each source (probe, perf event or map, in order of first appearance) is
/// one `sampled` profile whose stacks are frame indices root first, weighted by the sample
/// weights, so speedscope's left-heavy and sandwich views show exact counts. Names are escaped
/// by the JSON encoder, and `<`, `>`, `&` additionally as `\u` escapes.
public struct SpeedscopeExport: Renderer {
  public var naming: FrameNaming
  /// The file's `name` (speedscope's title bar); the input file name, typically.
  public var name: String

  public init(naming: FrameNaming = FrameNaming(), name: String = "tdptrace") {
    self.naming = naming
    self.name = name
  }

  public func render(_ profile: Profile) throws -> [UInt8] {
    // Written by hand rather than through JSONEncoder: the output follows the number of unique
    // stacks, and an encoder tree of them costs several times the file's size in memory.
    var sourceOfSample: [Int] = []
    sourceOfSample.reserveCapacity(profile.samples.count)
    var sources: [String] = []
    var sourceIndex: [String: Int] = [:]
    for sample in profile.samples {
      let source = profile.labels(of: sample).source ?? "all"
      if let index = sourceIndex[source] {
        sourceOfSample.append(index)
      } else {
        sourceIndex[source] = sources.count
        sourceOfSample.append(sources.count)
        sources.append(source)
      }
    }

    var frames = FrameTable(naming: naming)
    var out: [UInt8] = []
    out.reserveCapacity(profile.samples.count * 64 + 4096)
    out += Array(
      #"{"$schema":"https://www.speedscope.app/file-format-schema.json","activeProfileIndex":0,"#.utf8)
    out += Array(#""exporter":"tdptrace","name":"#.utf8)
    Self.appendString(name, to: &out)
    out += Array(#","profiles":["#.utf8)
    if sources.isEmpty {
      out += Array(
        #"{"endValue":0,"name":"empty","samples":[],"startValue":0,"type":"sampled","unit":"none","weights":[]}"#
          .utf8)
    }
    for (index, source) in sources.enumerated() {
      if index > 0 { out.append(UInt8(ascii: ",")) }
      var endValue: UInt64 = 0
      for (i, sample) in profile.samples.enumerated() where sourceOfSample[i] == index {
        endValue &+= sample.weight
      }
      out += Array(#"{"endValue":\#(endValue),"name":"#.utf8)
      Self.appendString(source, to: &out)
      out += Array(#","samples":["#.utf8)
      var first = true
      for (i, sample) in profile.samples.enumerated() where sourceOfSample[i] == index {
        out += Array((first ? "[" : ",[").utf8)
        first = false
        for (depth, id) in sample.stack.enumerated() {
          if depth > 0 { out.append(UInt8(ascii: ",")) }
          out += Array(String(frames.index(of: id, in: profile)).utf8)
        }
        out.append(UInt8(ascii: "]"))
      }
      out += Array(#"],"startValue":0,"type":"sampled","unit":"none","weights":["#.utf8)
      first = true
      for (i, sample) in profile.samples.enumerated() where sourceOfSample[i] == index {
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        out += Array(String(sample.weight).utf8)
      }
      out += Array("]}".utf8)
    }
    out += Array(#"],"shared":{"frames":["#.utf8)
    for (index, frame) in frames.frames.enumerated() {
      if index > 0 { out.append(UInt8(ascii: ",")) }
      if let file = frame.file {
        out += Array(#"{"file":"#.utf8)
        Self.appendString(file, to: &out)
        if let line = frame.line { out += Array(#","line":\#(line)"#.utf8) }
        out += Array(#","name":"#.utf8)
      } else {
        out += Array(#"{"name":"#.utf8)
      }
      Self.appendString(frame.name, to: &out)
      out.append(UInt8(ascii: "}"))
    }
    out += Array("]}}\n".utf8)
    return out
  }

  static func appendString(_ text: String, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    out += Array(Escaping.jsonBody(text).utf8)
    out.append(UInt8(ascii: "\""))
  }

  /// speedscope's shared frames: one per (name, file, line), as the naming names frames.
  struct FrameTable {
    struct Entry: Hashable {
      var name: String
      var file: String?
      var line: Int?
    }
    let naming: FrameNaming
    private(set) var frames: [Entry] = []
    private var index: [Entry: Int] = [:]
    private var indexOfID: [FrameID: Int] = [:]

    init(naming: FrameNaming) { self.naming = naming }

    mutating func index(of id: FrameID, in profile: Profile) -> Int {
      if let known = indexOfID[id] { return known }
      let frame = profile.frame(id)
      let (file, line) = PprofBuilder.splitSrcline(frame.srcline)
      let entry = Entry(
        name: naming.name(frame), file: file.isEmpty ? nil : file, line: line == 0 ? nil : Int(line))
      let found: Int
      if let existing = index[entry] {
        found = existing
      } else {
        found = frames.count
        frames.append(entry)
        index[entry] = found
      }
      indexOfID[id] = found
      return found
    }
  }
}
