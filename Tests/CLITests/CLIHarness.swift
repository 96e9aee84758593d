import Foundation
import TestSupport
import Testing

/// Runs the built `tdptrace` binary for end-to-end tests. Shared by every CLI test file.
///
/// Golden files live under `fixtures/expected/` and are compared with
/// `TDPFixture.expectGolden`; `UPDATE_GOLDEN=1 swift test --filter CLITests` rewrites them from
/// the current outputs (review the diff before committing).
enum CLIHarness {
  /// What one run produced.
  struct Result: Sendable {
    var status: Int32
    var stdout: [UInt8]
    var stderr: String
    /// stdout as text.
    var out: String { String(decoding: stdout, as: UTF8.self) }
    /// Whether the process ended by a signal (a crash) rather than exiting.
    var crashed: Bool
  }

  /// The repository root (two levels above this file's directory).
  static let root = TDPFixture.root

  /// `tdptrace` next to the test bundle (`.build/debug/`), or `swift build`'s default place.
  static let binary: URL = {
    let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates = [
      bundleDir.appendingPathComponent("tdptrace"),
      bundleDir.deletingLastPathComponent().appendingPathComponent("tdptrace"),
      root.appendingPathComponent(".build/debug/tdptrace"),
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
  }()

  /// An absolute path for a repository-relative one.
  static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

  /// A fresh temporary file holding `bytes`; removed by the caller or left in /tmp.
  static func temporaryFile(_ bytes: [UInt8], suffix: String = ".txt") throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tdptrace-test-\(UUID().uuidString)\(suffix)")
    try Data(bytes).write(to: url)
    return url.path
  }

  /// Runs `tdptrace args...` in the repository root (so relative fixture paths print the same
  /// everywhere), feeding `stdin` if given (else /dev/null). A run longer than `timeout` seconds
  /// is killed and reported as a failure: a hang is a bug.
  /// `environment` is added to this process's environment.
  static func run(
    _ args: [String], stdin: [UInt8]? = nil, timeout: Double = 120, environment: [String: String] = [:],
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> Result {
    let fm = FileManager.default
    let tmp = fm.temporaryDirectory
    let id = UUID().uuidString
    let outURL = tmp.appendingPathComponent("tdptrace-out-\(id)")
    let errURL = tmp.appendingPathComponent("tdptrace-err-\(id)")
    fm.createFile(atPath: outURL.path, contents: nil)
    fm.createFile(atPath: errURL.path, contents: nil)
    defer {
      try? fm.removeItem(at: outURL)
      try? fm.removeItem(at: errURL)
    }
    let process = Process()
    process.executableURL = binary
    process.arguments = args
    if !environment.isEmpty {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    process.currentDirectoryURL = root
    let outHandle = try FileHandle(forWritingTo: outURL)
    let errHandle = try FileHandle(forWritingTo: errURL)
    process.standardOutput = outHandle
    process.standardError = errHandle
    var inPath: String?
    if let stdin {
      inPath = try temporaryFile(stdin)
      process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath!))
    } else {
      process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
    }
    defer { if let inPath { try? fm.removeItem(atPath: inPath) } }
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning {
      if Date() > deadline {
        process.terminate()
        process.waitUntilExit()
        Issue.record(
          "tdptrace \(args.joined(separator: " ")) did not finish in \(timeout) s",
          sourceLocation: sourceLocation)
        break
      }
      usleep(5_000)
    }
    process.waitUntilExit()
    try outHandle.close()
    try errHandle.close()
    return Result(
      status: process.terminationStatus, stdout: Array(try Data(contentsOf: outURL)),
      stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self),
      crashed: process.terminationReason == .uncaughtSignal)
  }

}
