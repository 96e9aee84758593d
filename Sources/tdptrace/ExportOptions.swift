import ArgumentParser
import Foundation
import Render
import StackFold
import TraceParse

/// `report` options for the TDP MMU summary and the pprof and speedscope exports.
struct ExportOptions: ParsableArguments {
  @Flag(
    help: ArgumentHelp(
      "Show the TDP MMU summary instead of the report: for each probe group (map, init-sp, spte-change, zap, wrprot) and probe, the weight by the path that reached it (vCPU page fault, root load, zap worker, MMU notifier, memslot or dirty-log ioctl, ...). With --json, as JSON."
    ))
  var tdp = false

  @Option(
    help: ArgumentHelp(
      "Also write the profile as a gzipped pprof protobuf, for go tool pprof, Pyroscope and Parca.",
      valueName: "out.pb.gz"))
  var pprof: String?

  @Option(
    help: ArgumentHelp(
      "Also write the profile in speedscope's JSON format (one profile per probe, map or event).",
      valueName: "out.json"))
  var speedscope: String?

  /// A file that could not be written.
  struct WriteError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "cannot write \(path): \(reason)" }
  }

  /// Writes the export files `profile` asks for. Returns the TDP summary to print instead of the
  /// report when `--tdp` is set, else nil.
  func run(on profile: Profile, naming: FrameNaming, inputs: [String], json: Bool) throws -> [UInt8]? {
    if let pprof { try Self.write(try PprofExport().render(profile), to: pprof) }
    if let speedscope {
      let name = inputs.count == 1 ? (inputs[0] as NSString).lastPathComponent : "tdptrace"
      try Self.write(try SpeedscopeExport(naming: naming, name: name).render(profile), to: speedscope)
    }
    guard tdp else { return nil }
    return try TDPSummaryText(format: json ? .json : .text).render(profile)
  }

  /// Writes `bytes` to `path` (`-` is stdout) through a temporary file, so a failed run never
  /// leaves half a file behind.
  static func write(_ bytes: [UInt8], to path: String) throws {
    if path == "-" {
      FileHandle.standardOutput.write(Data(bytes))
      return
    }
    do {
      try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw WriteError(path: path, reason: (error as NSError).localizedDescription)
    }
  }
}
