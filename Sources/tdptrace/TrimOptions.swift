import ArgumentParser
import StackFold
import TraceParse

/// `--keep-bpf-frames`, shared by fold, report and diff: by default the tracer's own frames are
/// trimmed from the leaf end of every stack before anything else sees the profile
/// (`BPFFrameTrim`), so fold, report, diff and every graph and export agree.
struct TrimOptions: ParsableArguments {
  @Flag(
    help:
      "Keep the BPF program, trampoline and other tracing frames bpftrace records above the probed function.")
  var keepBpfFrames = false

  /// The profile with tracing frames trimmed, and what was trimmed (nil with
  /// `--keep-bpf-frames`). `announce` tells stderr (fold and diff, whose stdout has no room for
  /// it); `name` prefixes the message when there are several inputs.
  func apply(to profile: Profile, announce: Bool, name: String? = nil) throws -> (
    Profile, BPFFrameTrim.Summary?
  ) {
    guard !keepBpfFrames else { return (profile, nil) }
    let result: BPFFrameTrim.Result
    do { result = try BPFFrameTrim().apply(to: profile) } catch {
      throw CommandSupport.failure(error.description)
    }
    if announce {
      let prefix = name.map { $0 + ": " } ?? ""
      if let line = result.summary.line() {
        CommandSupport.warn(prefix + line + " (--keep-bpf-frames keeps them)")
      }
      if result.summary.probeNotOnStack > 0 {
        CommandSupport.warn(
          prefix
            + "\(result.summary.probeNotOnStack) stacks (weight \(result.summary.probeNotOnStackWeight)) do not hold their probed function; left as recorded"
        )
      }
    }
    return (result.profile, result.summary)
  }
}
