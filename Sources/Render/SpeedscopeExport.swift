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
    try SafeJSON.encode(file(for: profile)) + [UInt8(ascii: "\n")]
  }

  func file(for profile: Profile) -> SpeedscopeFile {
    struct FrameKey: Hashable {
      var name: String
      var file: String?
      var line: Int?
    }
    var frames: [SpeedscopeFile.Frame] = []
    var frameIndex: [FrameKey: Int] = [:]
    var frameOfID: [FrameID: Int] = [:]
    var profiles: [SpeedscopeFile.SampledProfile] = []
    var profileIndex: [String: Int] = [:]

    for sample in profile.samples {
      let source = profile.labels(of: sample).source ?? "all"
      let p: Int
      if let existing = profileIndex[source] {
        p = existing
      } else {
        p = profiles.count
        profileIndex[source] = p
        profiles.append(SpeedscopeFile.SampledProfile(name: source))
      }
      var stack: [Int] = []
      stack.reserveCapacity(sample.stack.count)
      for id in sample.stack {
        if let index = frameOfID[id] {
          stack.append(index)
          continue
        }
        let frame = profile.frame(id)
        let (file, line) = PprofBuilder.splitSrcline(frame.srcline)
        let key = FrameKey(
          name: naming.name(frame), file: file.isEmpty ? nil : file, line: line == 0 ? nil : Int(line))
        let index: Int
        if let existing = frameIndex[key] {
          index = existing
        } else {
          index = frames.count
          frames.append(SpeedscopeFile.Frame(name: key.name, file: key.file, line: key.line))
          frameIndex[key] = index
        }
        frameOfID[id] = index
        stack.append(index)
      }
      profiles[p].samples.append(stack)
      profiles[p].weights.append(sample.weight)
      profiles[p].endValue &+= sample.weight
    }
    if profiles.isEmpty { profiles.append(SpeedscopeFile.SampledProfile(name: "empty")) }
    return SpeedscopeFile(shared: .init(frames: frames), profiles: profiles, name: name)
  }
}

/// speedscope's JSON schema, the parts tdptrace writes.
struct SpeedscopeFile: Encodable {
  struct Frame: Encodable {
    var name: String
    var file: String?
    var line: Int?
  }
  struct Shared: Encodable {
    var frames: [Frame]
  }
  struct SampledProfile: Encodable {
    var type = "sampled"
    var name: String
    var unit = "none"
    var startValue: UInt64 = 0
    var endValue: UInt64 = 0
    var samples: [[Int]] = []
    var weights: [UInt64] = []
  }

  var schema = "https://www.speedscope.app/file-format-schema.json"
  var shared: Shared
  var profiles: [SampledProfile]
  var name: String
  var activeProfileIndex = 0
  var exporter = "tdptrace"

  enum CodingKeys: String, CodingKey {
    case schema = "$schema"
    case shared, profiles, name, activeProfileIndex, exporter
  }
}
