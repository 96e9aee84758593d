import ArgumentParser
import Render

/// `report` options for latency by origin path (`--latency`, docs/latency.md).
struct LatencyOptions: ParsableArguments {
  @Flag(
    help: ArgumentHelp(
      "Show latency by origin path instead of the report: for each hist()/lhist() map and probe, calls, total time, mean, p50/p90/p99/max with their bucket bounds, by the path that reached the probe; lost events; the slowest calls. With --json, as JSON; with --html, a chart per probe."
    ))
  var latency = false

  @Option(help: ArgumentHelp("Slowest calls the latency report lists (default 10).", valueName: "n"))
  var slowest: Int?

  func validate() throws {
    if let slowest, slowest < 0 { throw ValidationError("--slowest must be 0 or more.") }
  }

  /// Sets the request's latency fields.
  func apply(to request: inout ReportRequest) {
    request.latency = latency
    request.slowest = slowest ?? 10
    if latency { request.given.insert(.latency) }
    if slowest != nil { request.given.insert(.slowest) }
  }
}
