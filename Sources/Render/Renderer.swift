import StackFold
import TraceParse

/// Turns a profile into bytes for a person or a tool: text, JSON, SVG, HTML, pprof, speedscope.
public protocol Renderer {
  /// Renders `profile`; returns the whole output.
  func render(_ profile: Profile) throws -> [UInt8]
}
