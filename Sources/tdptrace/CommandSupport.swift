import ArgumentParser
import Render
import StackFold
import TraceParse

/// What the CLI commands share: loading inputs, reporting what was skipped or filtered, writing
/// output and failing with `tdptrace: ...` on stderr and exit status 1.
enum CommandSupport {
  /// The whole text of a small option file (`--nameattr`, `palette.map`); a failure names the
  /// file and the option it is for.
  static func readTextFile(_ path: String, what: String) throws -> String {
    var reader: LineReader
    do { reader = try LineReader.open(path: path) } catch { throw failure("\(what): \(error)") }
    var text = ""
    do {
      while let line = try reader.nextLine(source: path) {
        text += line.string
        text += "\n"
      }
    } catch { throw failure("\(what): \(error)") }
    return text
  }

  /// Prints `tdptrace: message` on stderr.
  static func warn(_ message: String) {
    var text = "tdptrace: " + message
    if !text.hasSuffix("\n") { text += "\n" }
    OutputWriter.writeStandardError(text)
  }

  /// Prints the error and returns the exit code to throw: 1 for bad input and I/O.
  static func failure(_ message: String) -> ExitCode {
    warn(message)
    return ExitCode.failure
  }

  /// Loads every input into one profile, telling stderr what `--lenient` skipped.
  /// `threadLabels`: keep perf pid/tid/cpu labels, which `--pid`/`--tid` filters need.
  static func load(_ input: InputOptions, threadLabels: Bool = false, defaultWeight: WeightChoice = .samples)
    throws -> Profile
  {
    let profile: Profile
    var loader = input.loader(defaultWeight: defaultWeight)
    loader.threadLabels = threadLabels
    let loaded: Profile
    do { loaded = try loader.load(paths: input.files) } catch { throw failure(error.description) }
    do {
      profile = try input.intervals.range(0).apply(
        to: loaded, source: input.displayNames.joined(separator: ", "))
    } catch { throw failure(error.description) }
    if profile.skipped.records > 0 {
      var message = "skipped \(profile.skipped.records) bad record\(profile.skipped.records == 1 ? "" : "s")"
      message += " (weight \(profile.weightScale.format(profile.skipped.weight))) under --lenient"
      if let first = profile.skipped.examples.first { message += "; first: \(first)" }
      warn(message)
    }
    return profile
  }

  /// Applies the filters, telling stderr what each removed when `announce` is set (fold, whose
  /// stdout has no room for it).
  static func filter(_ profile: Profile, with filter: StackFilter, announce: Bool) throws -> FilterResult {
    let result: FilterResult
    do { result = try filter.apply(to: profile) } catch { throw failure(error.description) }
    if announce {
      for removal in result.removals where removal.samples > 0 || removal.values > 0 {
        var message =
          "\(removal.filter) filtered out \(removal.samples) stacks (weight \(profile.weightScale.format(removal.weight)))"
        if removal.values > 0 { message += " and \(removal.values) map values" }
        warn(message)
      }
    }
    return result
  }

  /// Tells stderr which frames have an offset no function has (fold and diff, whose stdout has
  /// no room for it; the report lists them itself).
  static func announceSuspects(_ profile: Profile, sizes: [String: UInt64] = [:], name: String? = nil) {
    let suspects = SuspectFrames(profile: profile, sizes: sizes).entries
    guard !suspects.isEmpty else { return }
    let shown = suspects.prefix(3).map { "\($0.frame) (weight \($0.weight))" }.joined(separator: ", ")
    let more = suspects.count > 3 ? ", [\(suspects.count - 3) more]" : ""
    warn(
      (name.map { $0 + ": " } ?? "")
        + "\(suspects.count) suspect frame\(suspects.count == 1 ? "" : "s") (an offset no function has, not real callers): \(shown)\(more)"
    )
  }

  /// Writes all of `bytes` to `destination` (stdout by default) through the one output writer.
  static func writeOutput(_ bytes: [UInt8], to destination: OutputDestination = .stdout) throws {
    do { try OutputWriter.write(bytes, to: destination) } catch { throw failure(error.description) }
  }

  /// Runs a report request on `profile`: its outputs, files first, with its notes told on stderr.
  static func outputs(of request: ReportRequest, on profile: Profile, exportName: String = "tdptrace") throws
    -> [RenderedOutput]
  {
    let result: ReportRequest.Result
    do { result = try request.run(on: profile, exportName: exportName) } catch let code as ExitCode {
      // Already reported; describing it again would print `tdptrace: ExitCode(rawValue: 1)`.
      throw code
    } catch {
      throw failure("\(error)")
    }
    for note in result.notes { warn(note) }
    return result.outputs
  }

  /// Writes every output, in order.
  static func write(_ outputs: [RenderedOutput]) throws {
    for output in outputs { try writeOutput(output.bytes, to: output.destination) }
  }
}

/// A command whose work ends in outputs: `run()` computes them and writes them, and the golden
/// tests call `outputs()` in-process.
protocol ProducesOutputs: ParsableCommand {
  func outputs() throws -> [RenderedOutput]
}

extension ProducesOutputs {
  func run() throws { try CommandSupport.write(outputs()) }
}
