import Foundation
import StackFold
import Symbolize
import Testing
import TraceParse

/// Debuginfo that cannot be used gives one clear warning per file; frames stay as they were
/// and no count is lost.
@Suite struct BadDebuginfoTests {
  let capture: Profile

  init() throws {
    capture = try ProfileLoader(format: .bpftrace).load(
      path: Fixtures.path("bpftrace/qemu-tdp-bpftrace-kprobe-kstack.txt"))
  }

  /// Expands the capture with only `path` as kvm's debuginfo; returns the single warning.
  private func expandWith(_ path: String) throws -> DebuginfoError {
    var symbolizer = DwarfSymbolizer(objects: [("kvm", path)])
    #expect(symbolizer.warnings.count == 1)
    let (expanded, report) = InlineExpander().expand(capture, with: &symbolizer)
    #expect(report.inlinedFrames == 0)
    #expect(expanded.totalWeight == capture.totalWeight)
    #expect(expanded.samples.count == capture.samples.count)
    for (before, after) in zip(capture.samples, expanded.samples) {
      #expect(expanded.frames(of: after) == capture.frames(of: before))
      #expect(after.weight == before.weight)
    }
    #expect(!expanded.notes.isEmpty)
    return try #require(symbolizer.warnings.first)
  }

  @Test func missingFile() throws {
    let warning = try expandWith("/nonexistent/kvm.ko")
    #expect(warning.reason == .missing)
    #expect(warning.description == "/nonexistent/kvm.ko: no such file")
  }

  @Test func notELF() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/kvm.ko"
    try Data("this is not an ELF file\n".utf8).write(to: URL(fileURLWithPath: path))
    #expect(try expandWith(path).reason == .notELF)
    let empty = dir + "/empty.ko"
    _ = FileManager.default.createFile(atPath: empty, contents: Data())
    #expect(try expandWith(empty).reason == .notELF)
  }

  @Test func directoryInsteadOfFile() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    guard case .unreadable = try expandWith(dir).reason else {
      Issue.record("expected unreadable")
      return
    }
  }

  @Test func elfWithoutDWARF() throws {
    let stripped = try Fixtures.strippedBinary.get()
    let warning = try expandWith(stripped)
    #expect(warning.reason == .noDWARF)
    #expect(warning.description.contains("no DWARF"))
    // Its own frames are counted against it, with the reason.
    let symbolizer = DwarfSymbolizer(objects: [("nested", stripped)])
    let frame = Frame(symbol: "main", offset: FrameOffset(4, base: .decimal), module: stripped, kind: .user)
    let result = symbolizer.resolve(frame, isReturnAddress: true)
    guard case .unresolved(let object, _) = result else {
      Issue.record("a stripped object resolved a frame")
      return
    }
    #expect(object == "nested-stripped" || object == stripped)
  }

  @Test func truncatedFile() throws {
    let ko = try Fixtures.kvmModule.get()
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let data = try Data(contentsOf: URL(fileURLWithPath: ko))

    // Cut short: the section headers at the end are gone.
    let short = dir + "/short.ko"
    try data.prefix(4_000_000).write(to: URL(fileURLWithPath: short))
    let warning = try expandWith(short)
    #expect(warning.description.contains("truncated"))

    // Cut in the middle of the DWARF, with the section header table put back after it.
    var bytes = [UInt8](data)
    func read(_ offset: Int, _ width: Int) -> Int {
      (0..<width).reversed().reduce(0) { $0 << 8 | Int(bytes[offset + $1]) }
    }
    let headers = read(0x28, 8)
    let table = Array(bytes[headers..<(headers + read(0x3c, 2) * read(0x3a, 2))])
    bytes = Array(bytes.prefix(9_000_000))
    let newOffset = bytes.count
    for i in 0..<8 { bytes[0x28 + i] = UInt8((newOffset >> (8 * i)) & 0xff) }
    bytes += table
    let cut = dir + "/cut.ko"
    try Data(bytes).write(to: URL(fileURLWithPath: cut))
    let cutWarning = try expandWith(cut)
    #expect(cutWarning.description.contains("truncated"))
  }
}
