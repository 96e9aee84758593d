import Foundation
import Testing

@testable import TraceParse

/// The line length cap and its `TDPTRACE_MAX_LINE` sizes.
@Suite struct LineReaderLimitTests {
  @Test func sizesParse() {
    #expect(LineReader.parseSize("4096") == 4096)
    #expect(LineReader.parseSize("64K") == 64 << 10)
    #expect(LineReader.parseSize("16M") == 16 << 20)
    #expect(LineReader.parseSize("1g") == 1 << 30)
    #expect(LineReader.parseSize("0") == nil)
    #expect(LineReader.parseSize("lots") == nil)
    #expect(LineReader.defaultMaxLineLength == 16 << 20 || getenv(LineReader.maxLineVariable) != nil)
  }
}

extension LineReaderLimitTests {
  /// A reader capped at 1 KiB refuses a longer line from a file, with its line number.
  @Test func cappedReaderRefusesALongerLine() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("tdptrace-\(UUID().uuidString)")
      .path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try Data(("short 1\n" + String(repeating: "x", count: 5000) + " 1\n").utf8).write(
      to: URL(fileURLWithPath: path))
    var reader = try LineReader.open(path: path, maxLineLength: 1024)
    #expect(try reader.nextLine(source: path)?.count == 7)
    do {
      _ = try reader.nextLine(source: path)
      Issue.record("read")
    } catch {
      #expect(error.position.line == 2)
      #expect(error.description.contains("TDPTRACE_MAX_LINE"))
    }
  }
}
