import ArgumentParser
import Foundation
import Render
import StackFold
import TraceParse

#if canImport(Glibc)
  import Glibc
#endif

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

  func validate() throws {
    for (flag, path) in [("--pprof", pprof), ("--speedscope", speedscope)] where path == "-" || path == "" {
      throw ValidationError("\(flag) needs a file name (stdout carries the report).")
    }
  }

  /// Writes the export files `profile` asks for. Returns the TDP summary to print instead of the
  /// report when `--tdp` is set, else nil.
  func run(on profile: Profile, naming: FrameNaming, inputs: [String], json: Bool) throws -> [UInt8]? {
    do {
      if let pprof { try Self.write(try PprofExport().render(profile), to: pprof) }
      if let speedscope {
        let name = inputs.count == 1 ? (inputs[0] as NSString).lastPathComponent : "tdptrace"
        try Self.write(try SpeedscopeExport(naming: naming, name: name).render(profile), to: speedscope)
        if !profile.values.isEmpty {
          // speedscope's format holds only stacks: say what is not in the file.
          CommandSupport.warn(
            "\(speedscope): \(profile.values.count) non-stack map value\(profile.values.count == 1 ? "" : "s") (hist, lhist, stats, scalars) not exported; speedscope has no place for them (see the report, --json or --pprof comments)"
          )
        }
      }
      guard tdp else { return nil }
      return try TDPSummaryText(format: json ? .json : .text).render(profile)
    } catch let error as ExitCode {
      throw error
    } catch {
      throw CommandSupport.failure("\(error)")
    }
  }

  /// Writes `bytes` to `path` through a temporary file beside it and a rename, so a failed run
  /// never leaves half a file behind.
  static func write(_ bytes: [UInt8], to path: String) throws {
    let temporary = path + ".tdptrace-\(getpid()).tmp"
    func fail() -> ExitCode {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      return CommandSupport.failure("cannot write \(path): \(reason)")
    }
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      let reason = String(cString: strerror(errno))
      throw CommandSupport.failure("cannot write \(path): \(reason)")
    }
    let written = bytes.withUnsafeBytes { raw -> Bool in
      var offset = 0
      while offset < raw.count {
        let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          return false
        }
        offset += n
      }
      return true
    }
    let writeErrno = errno
    let closed = close(fd) == 0
    guard written && closed else {
      if !written { errno = writeErrno }
      throw fail()
    }
    guard rename(temporary, path) == 0 else { throw fail() }
  }
}
