import Foundation
import TraceParse

/// `record --interval`: the capture as bpftrace prints `interval:s:1 { time(); print(@);
/// clear(@); }`, one block per interval, each a `time()` header and the stacks counted since
/// the block before (docs/intervals.md). After `Attaching N probes...` comes
/// `IntervalMode.deltaDeclaration`, so readers take the blocks as deltas without guessing.
///
/// The kernel's maps are never cleared: each block is the difference of two reads
/// (`RawCapture.since`), so no event between a read and a clear is lost, and the blocks sum
/// to the final read exactly.
public struct IntervalCaptureWriter: Sendable {
  public var writer: CaptureWriter
  /// Header times with milliseconds, for intervals that are not whole seconds (two blocks in
  /// one second would otherwise print the same header).
  public var milliseconds: Bool
  private var previous: RawCapture?

  public init(writer: CaptureWriter = CaptureWriter(), interval: Double) {
    self.writer = writer
    milliseconds = interval.rounded() != interval
  }

  /// The lines before the first block.
  public func header(_ capture: RawCapture) -> String {
    CaptureWriter.preamble(capture) + IntervalMode.deltaDeclaration + "\n"
  }

  /// The block ending at `time`: `capture` is a read of the running totals since attach; the
  /// block holds what it counted after the previous read.
  public mutating func block(_ capture: RawCapture, symbols: KernelSymbols, time: Date) -> String {
    let delta = previous.map { capture.since($0) } ?? capture
    previous = capture
    return timeHeader(time) + writer.body(delta, symbols: symbols)
  }

  /// The block's header line.
  func timeHeader(_ time: Date) -> String { Self.clock(time, milliseconds: milliseconds) + "\n" }

  /// bpftrace's `time()` format, `%H:%M:%S` in local time, with `.mmm` when `milliseconds`
  /// (`top` prints its refreshes the same way).
  public static func clock(_ time: Date, milliseconds: Bool = false) -> String {
    var seconds = time_t(time.timeIntervalSince1970.rounded(.down))
    var parts = tm()
    localtime_r(&seconds, &parts)
    var text = String(format: "%02d:%02d:%02d", parts.tm_hour, parts.tm_min, parts.tm_sec)
    if milliseconds {
      let ms = Int((time.timeIntervalSince1970 - Double(seconds)) * 1000) % 1000
      text += String(format: ".%03d", ms)
    }
    return text
  }
}
