import Foundation
import TestSupport
import Testing
import TraceParse

@testable import LiveCapture

/// `record --interval`: blocks are differences of reads, they sum to the final read, and the
/// declaration line makes readers take them as deltas even when every stack rises in every
/// block (where `--intervals auto` would otherwise read running totals).
@Suite struct IntervalCaptureWriterTests {
  /// Three reads of one session: every stack grows in every read, so the deltas look like
  /// running totals; a drop counter appears in the second.
  static func reads() -> [RawCapture] {
    let full = CaptureWriterTests.capture()
    var reads: [RawCapture] = []
    for (step, fraction) in [(0, 0.25), (1, 0.5), (2, 1.0)] {
      var read = full
      read.entries = full.entries.map { entry in
        var e = entry
        e.count = UInt64(Double(entry.count) * fraction)
        return e
      }
      read.drops = step == 0 ? [:] : full.drops
      reads.append(read)
    }
    return reads
  }

  static func text() throws -> String {
    let symbols = try CaptureWriterTests.symbols()
    var writer = IntervalCaptureWriter(interval: 1)
    var text = writer.header(CaptureWriterTests.capture())
    for (i, read) in reads().enumerated() {
      text += writer.block(
        read, symbols: symbols, time: Date(timeIntervalSince1970: 1_700_000_000 + Double(i)))
    }
    return text
  }

  @Test func blocksAreDifferencesThatSumToTheFinalRead() throws {
    let reads = Self.reads()
    let second = reads[2].since(reads[1])
    #expect(second.totalCount == reads[2].totalCount - reads[1].totalCount)
    #expect(second.totalDrops == 0)
    #expect(reads[1].since(reads[0]).totalDrops == reads[1].totalDrops)
    // A counter that fell (the kernel reset it) counts whole, never wraps.
    #expect(reads[0].since(reads[2]).totalCount == reads[0].totalCount)
  }

  @Test func readBackAsDeclaredDeltas() throws {
    let text = try Self.text()
    #expect(text.hasPrefix("Attaching 3 probes...\n" + IntervalMode.deltaDeclaration + "\n"))
    #expect(text.split(separator: "\n").filter { IntervalTracker.isTimeHeader(String($0)) }.count == 3)
    let path = NSTemporaryDirectory() + "tdptrace-interval-\(getpid()).txt"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    defer { unlink(path) }
    let profile = try ProfileLoader().load(paths: [path])
    #expect(profile.intervals.count == 3)
    #expect(profile.intervalMode == .delta)
    #expect(!profile.notes.contains { $0.contains("running totals") }, "\(profile.notes)")
    // Every count once: the blocks sum to the last read (bar the BPF frames merged away).
    let final = Self.reads()[2]
    #expect(profile.totalWeight == final.totalCount)
    // The same blocks without the declaration would be misread as running totals.
    let undeclared = text.replacingOccurrences(of: IntervalMode.deltaDeclaration + "\n", with: "")
    try undeclared.write(toFile: path, atomically: true, encoding: .utf8)
    let guessed = try ProfileLoader().load(paths: [path])
    #expect(guessed.intervalMode == .cumulative)
    #expect(guessed.totalWeight != final.totalCount)
  }
}

extension IntervalTracker {
  static func isTimeHeader(_ text: String) -> Bool {
    var bytes = Array(text.utf8)
    return bytes.withUnsafeMutableBufferPointer { isTimeHeader(UnsafeBufferPointer($0)) }
  }
}
