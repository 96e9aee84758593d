import ArgumentParser
import StackFold
import TraceParse

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What the CLI commands share: loading inputs, reporting what was skipped or filtered, writing
/// output and failing with `tdptrace: ...` on stderr and exit status 1.
enum CommandSupport {
  /// Prints `tdptrace: message` on stderr.
  static func warn(_ message: String) {
    var text = "tdptrace: " + message
    if !text.hasSuffix("\n") { text += "\n" }
    writeAll(2, Array(text.utf8))
  }

  /// Prints the error and returns the exit code to throw: 1 for bad input and I/O.
  static func failure(_ message: String) -> ExitCode {
    warn(message)
    return ExitCode.failure
  }

  /// Loads every input into one profile, telling stderr what `--lenient` skipped.
  /// `threadLabels`: keep perf pid/tid/cpu labels, which `--pid`/`--tid` filters need.
  static func load(_ input: InputOptions, threadLabels: Bool = false) throws -> Profile {
    let profile: Profile
    var loader = input.loader
    loader.threadLabels = threadLabels
    do {
      profile = try loader.load(paths: input.files)
    } catch {
      throw failure(error.description)
    }
    if profile.skipped.records > 0 {
      var message = "skipped \(profile.skipped.records) bad record\(profile.skipped.records == 1 ? "" : "s")"
      message += " (weight \(profile.skipped.weight)) under --lenient"
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
        var message = "\(removal.filter) filtered out \(removal.samples) stacks (weight \(removal.weight))"
        if removal.values > 0 { message += " and \(removal.values) map values" }
        warn(message)
      }
    }
    return result
  }

  /// Writes all of `bytes` to stdout.
  static func writeOutput(_ bytes: [UInt8]) throws {
    if !writeAll(1, bytes) { throw failure("cannot write output: \(String(cString: strerror(errno)))") }
  }

  @discardableResult
  private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          return false
        }
        offset += n
      }
      return true
    }
  }
}
