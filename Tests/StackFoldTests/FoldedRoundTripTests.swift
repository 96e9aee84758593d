import Foundation
import StackFold
import TestSupport
import Testing
import TraceParse

/// Folding, reading the folded text back with `FoldedParser`, and folding again gives the
/// same bytes, with and without annotations and offsets.
@Suite struct FoldedRoundTripTests {
  static let fixtures = TDPFixture.url("fixtures").path + "/"

  static func reparse(_ bytes: [UInt8]) throws -> Profile {
    var reader = LineReader(bytes: bytes, name: "folded")
    var builder = ProfileBuilder()
    try FoldedParser().parse(&reader, into: &builder, options: ParseOptions(sourceName: "folded"))
    return builder.build()
  }

  /// Raw names: perl's tidying can leave a trailing space (`[unknown] (/memfd:x (deleted))`
  /// becomes `[unknown] `), which the folded parser, splitting at the last blank, drops.
  @Test(arguments: [
    FoldOptions(stackcollapseNames: false), FoldOptions(annotations: .all, stackcollapseNames: false),
    FoldOptions(naming: FrameNaming(keepOffsets: true), annotations: .all, stackcollapseNames: false),
  ])
  func perfCaptureFoldsBackToTheSameBytes(options: FoldOptions) throws {
    let profile = try ProfileLoader(format: .perfScript).load(
      path: Self.fixtures + "perf/perf-script-sample.txt")
    let first = Folder.render(try Folder.fold(profile, options: options))
    let again = Folder.render(try Folder.fold(try Self.reparse(first), options: options))
    #expect(again == first)
    #expect(try Self.reparse(first).totalWeight == 3257)
  }

  @Test(arguments: [
    (InputFormat.perfScript, "perf/perf-script-sample.txt"),
    // Unindented frames: a split must not start a part at a frame line.
    (InputFormat.perfScript, "flamegraph/perf-java-stacks-02.txt"),
    (InputFormat.bpftrace, "bpftrace/qemu-tdp-bpftrace-kprobe-kstack.txt"),
    (InputFormat.bpftrace, "bpftrace/shape-hist-old.txt"),
    (InputFormat.folded, "folded/annotated.folded"),
  ])
  func parallelAndSerialLoadsAgree(format: InputFormat, fixture: String) throws {
    // Copies of the fixture, split into 3 parts at record boundaries.
    let text = try String(contentsOfFile: Self.fixtures + fixture, encoding: .utf8)
    let copies = 4
    let path =
      NSTemporaryDirectory() + "tdptrace-parallel-\(getpid())-\(UUID().uuidString)-\(format.rawValue).txt"
    try String(repeating: text, count: copies).write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let size = Int64(text.utf8.count * copies)
    let options = ParseOptions(sourceName: path)
    let parallel = try #require(
      try ParallelLoader.load(path: path, size: size, format: format, options: options, parts: 3))
    var serialLoader = ProfileLoader(format: format)
    serialLoader.parallel = false
    let serial = try serialLoader.load(path: path)
    #expect(Folder.render(try Folder.fold(parallel)) == Folder.render(try Folder.fold(serial)))
    #expect(parallel.totalWeight == serial.totalWeight)
    #expect(parallel.samples.count == serial.samples.count)
    #expect(parallel.values.count == serial.values.count)
    #expect(serial.totalWeight > 0 || !serial.values.isEmpty)
  }

  @Test func parallelErrorsNameWholeFileLines() throws {
    let good = "a 1 [000] 1.5: 1 cycles:\n\tffffffff81000130 f+0x1 ([kernel.kallsyms])\n\n"
    let path = NSTemporaryDirectory() + "tdptrace-parallel-bad-\(getpid())-\(UUID().uuidString).txt"
    // 3 lines per sample; the bad header is on line 3 * 2000 + 1.
    try (String(repeating: good, count: 2000) + "bad\n" + String(repeating: good, count: 10))
      .write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let size = Int64(good.utf8.count * 2010 + 4)
    #expect {
      _ = try ParallelLoader.load(
        path: path, size: size, format: .perfScript, options: ParseOptions(sourceName: path), parts: 2)
    } throws: { error in
      guard case .parse(let e) = error as? LoadError else { return false }
      return e.position.line == 6001
    }
  }
}
