import ArgumentParser
import LiveCapture

/// What `record` and `top` count and how much room the kernel's maps get: the in-kernel
/// `--pid`/`--comm` filters and the map sizes.
struct CaptureLimitOptions: ParsableArguments {
  @Option(name: .long, help: "Count only this process id (thread group), filtered in the kernel.")
  var pid: UInt32?

  @Option(name: .long, help: "Count only threads with this command name (comm, 15 bytes max), in the kernel.")
  var comm: String?

  @Option(name: .long, help: "Stack-trace map entries (distinct stacks kept).")
  var stackEntries: UInt32 = CaptureLimits().stackEntries

  @Option(
    name: .long,
    help:
      "Fallback stacks hash entries: distinct stacks kept by content when their stack-map bucket is taken by another stack."
  )
  var fallbackEntries: UInt32 = CaptureLimits().fallbackEntries

  @Option(name: .long, help: "Counts hash entries (distinct probe and stack pairs).")
  var countEntries: UInt32 = CaptureLimits().countEntries

  func validate() throws {
    if let comm, comm.isEmpty || comm.utf8.count > CaptureLimits.maxCommBytes {
      throw ValidationError(
        "--comm must be 1 to \(CaptureLimits.maxCommBytes) bytes (the kernel's comm length)")
    }
    if stackEntries == 0 || countEntries == 0 || fallbackEntries == 0 {
      throw ValidationError("map sizes must be positive")
    }
  }

  /// The limits these flags ask for; the rest at their defaults.
  var limits: CaptureLimits {
    var limits = CaptureLimits()
    limits.stackEntries = stackEntries
    limits.fallbackEntries = fallbackEntries
    limits.countEntries = countEntries
    limits.pid = pid
    limits.comm = comm
    return limits
  }
}
