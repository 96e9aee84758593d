import Foundation
import Render
import Testing

/// Every kind of output target, with what must happen to it: files are replaced atomically,
/// devices, FIFOs and symlinks are written through, and failures name the path and the reason.
@Suite struct OutputWriterTests {
  static func scratch() throws -> String {
    let dir = NSTemporaryDirectory() + "tdptrace-out-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
    return dir
  }

  static func kind(_ path: String) -> mode_t {
    var st = stat()
    return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : 0
  }

  @Test func regularFileIsReplacedKeepingItsMode() throws {
    let dir = try Self.scratch()
    let path = dir + "/out.svg"
    try Data("old".utf8).write(to: URL(fileURLWithPath: path))
    chmod(path, 0o640)
    try OutputWriter.write(Array("new".utf8), to: path)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
    var st = stat()
    stat(path, &st)
    #expect(st.st_mode & 0o777 == 0o640)
    // No temporary file is left beside it.
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.svg"])
  }

  @Test func missingFileIsCreated() throws {
    let path = try Self.scratch() + "/new.html"
    try OutputWriter.write(Array("x".utf8), to: path)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "x")
  }

  @Test func missingDirectoryNamesThePath() throws {
    let path = try Self.scratch() + "/no/such/out.svg"
    #expect(throws: OutputError(.file(path), "No such file or directory")) {
      try OutputWriter.write([1], to: path)
    }
  }

  @Test func directoryIsRefused() throws {
    let dir = try Self.scratch()
    #expect(throws: OutputError(.file(dir), "is a directory")) { try OutputWriter.write([1], to: dir) }
  }

  @Test func symlinkIsWrittenThroughToItsTarget() throws {
    let dir = try Self.scratch()
    try Data("old".utf8).write(to: URL(fileURLWithPath: dir + "/target.svg"))
    symlink("target.svg", dir + "/link.svg")
    try OutputWriter.write(Array("new".utf8), to: dir + "/link.svg")
    #expect(Self.kind(dir + "/link.svg") == S_IFLNK)
    #expect(try String(contentsOfFile: dir + "/target.svg", encoding: .utf8) == "new")
    // A dangling link creates the file it names.
    symlink("made.svg", dir + "/dangling.svg")
    try OutputWriter.write(Array("made".utf8), to: dir + "/dangling.svg")
    #expect(Self.kind(dir + "/dangling.svg") == S_IFLNK)
    #expect(try String(contentsOfFile: dir + "/made.svg", encoding: .utf8) == "made")
  }

  @Test func devNullStaysADevice() throws {
    try OutputWriter.write(Array("discarded".utf8), to: "/dev/null")
    #expect(Self.kind("/dev/null") == S_IFCHR)
  }

  @Test func devFullReportsNoSpace() throws {
    #expect(throws: OutputError(.file("/dev/full"), "No space left on device")) {
      try OutputWriter.write([1, 2, 3], to: "/dev/full")
    }
    #expect(Self.kind("/dev/full") == S_IFCHR)
  }

  @Test func fifoIsWrittenThrough() throws {
    let path = try Self.scratch() + "/pipe"
    #expect(mkfifo(path, 0o600) == 0)
    let reader = Thread {
      let fd = open(path, O_RDONLY)
      var buffer = [UInt8](repeating: 0, count: 64)
      let n = read(fd, &buffer, 64)
      close(fd)
      let text = String(decoding: buffer.prefix(max(0, n)), as: UTF8.self)
      try? Data(text.utf8).write(to: URL(fileURLWithPath: path + ".seen"))
    }
    reader.start()
    try OutputWriter.write(Array("through".utf8), to: path)
    for _ in 0..<200 where !FileManager.default.fileExists(atPath: path + ".seen") { usleep(10_000) }
    #expect(Self.kind(path) == S_IFIFO)
    #expect(try String(contentsOfFile: path + ".seen", encoding: .utf8) == "through")
  }

  @Test func readOnlyDirectory() throws {
    let dir = try Self.scratch()
    chmod(dir, 0o555)
    defer { chmod(dir, 0o755) }
    if geteuid() == 0 {
      // Root is not bound by the mode bits: the file is written.
      try OutputWriter.write([1], to: dir + "/out")
      #expect(Self.kind(dir + "/out") == S_IFREG)
    } else {
      #expect(throws: OutputError(.file(dir + "/out"), "Permission denied")) {
        try OutputWriter.write([1], to: dir + "/out")
      }
    }
  }

  @Test func checkWritableChangesNothing() throws {
    let dir = try Self.scratch()
    try Data("keep".utf8).write(to: URL(fileURLWithPath: dir + "/capture.txt"))
    try OutputWriter.checkWritable(.file(dir + "/capture.txt"))
    try OutputWriter.checkWritable(.file("/dev/null"))
    #expect(try String(contentsOfFile: dir + "/capture.txt", encoding: .utf8) == "keep")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["capture.txt"])
    #expect(throws: OutputError.self) { try OutputWriter.checkWritable(.file(dir + "/no/such")) }
  }

  @Test func dashIsStdout() {
    #expect(OutputDestination("-") == .stdout)
    #expect(OutputDestination("./-") == .file("./-"))
  }
}
