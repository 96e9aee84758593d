import Foundation
import TestSupport

/// Runs the built `tdptrace` and helper programs for the record tests. Every wait has a deadline;
/// a process that outlives it is killed and the test fails instead of hanging.
enum RecordSupport {
  static let repo = TDPFixture.root

  /// `.build/<config>/tdptrace`, next to the test bundle.
  static var binary: String {
    var dir = Bundle.main.bundleURL
    for _ in 0..<4 {
      let candidate = dir.appendingPathComponent("tdptrace").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      dir = dir.deletingLastPathComponent()
    }
    return repo.appendingPathComponent(".build/debug/tdptrace").path
  }

  static var isRoot: Bool { geteuid() == 0 }
  static var hasKVM: Bool { access("/dev/kvm", R_OK | W_OK) == 0 }
  static func onPath(_ tool: String) -> Bool {
    (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains {
      FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)")
    }
  }

  static func tempDir() throws -> String {
    let dir = NSTemporaryDirectory() + "tdptrace-record-\(getpid())-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }

  /// tracepoint: probes via perf and bpftrace need tracefs; mount it when missing (root only).
  static func ensureTracefs() {
    if FileManager.default.fileExists(atPath: "/sys/kernel/tracing/events") { return }
    _ = try? run("/bin/mount", ["-t", "tracefs", "nodev", "/sys/kernel/tracing"], timeout: 10)
  }

  /// Builds Tests/guest/kvmloop.c with gcc into `dir`.
  /// Builds the guest program as `dir/name`; its comm is `name`, so a test that filters on it
  /// does not count guests that other tests run at the same time.
  static func buildGuest(in dir: String, name: String = "kvmloop") throws -> String {
    let out = dir + "/" + name
    let r = try run(
      "/usr/bin/gcc", ["-O2", "-Wall", "-o", out, repo.appendingPathComponent("Tests/guest/kvmloop.c").path],
      timeout: 120)
    guard r.status == 0 else { throw Failure("gcc kvmloop.c failed: \(r.stderr)") }
    return out
  }

  struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
  }

  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool
  }

  /// A started process with its output going to files (no pipe can fill up and block it).
  final class Background {
    let process = Process()
    let outPath: String
    let errPath: String

    /// Set when started with `stdin: true`: write to it to feed the process.
    let input: Pipe?

    init(_ executable: String, _ arguments: [String], dir: String, name: String, stdin: Bool = false) throws {
      outPath = "\(dir)/\(name).out"
      errPath = "\(dir)/\(name).err"
      FileManager.default.createFile(atPath: outPath, contents: nil)
      FileManager.default.createFile(atPath: errPath, contents: nil)
      process.executableURL = URL(fileURLWithPath: executable)
      process.arguments = arguments
      process.standardOutput = FileHandle(forWritingAtPath: outPath)
      process.standardError = FileHandle(forWritingAtPath: errPath)
      input = stdin ? Pipe() : nil
      if let input { process.standardInput = input }
      try process.run()
    }

    var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

    /// Waits until `condition` holds or the process exits or the deadline passes.
    func wait(for condition: () -> Bool, timeout: Double) -> Bool {
      let deadline = Date().addingTimeInterval(timeout)
      while Date() < deadline {
        if condition() { return true }
        if !process.isRunning { return condition() }
        usleep(100_000)
      }
      return false
    }

    func signal(_ sig: Int32) { if process.isRunning { kill(process.processIdentifier, sig) } }

    /// Waits for exit; kills with SIGKILL after `timeout` seconds and returns nil then.
    func waitExit(timeout: Double) -> Int32? {
      let deadline = Date().addingTimeInterval(timeout)
      while process.isRunning && Date() < deadline { usleep(50_000) }
      if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return nil
      }
      return process.terminationStatus
    }
  }

  /// Runs to completion with a deadline.
  static func run(_ executable: String, _ arguments: [String], timeout: Double) throws -> Result {
    let dir = NSTemporaryDirectory()
    let b = try Background(
      executable, arguments, dir: dir, name: "run-\(getpid())-\(UUID().uuidString.prefix(8))")
    defer {
      try? FileManager.default.removeItem(atPath: b.outPath)
      try? FileManager.default.removeItem(atPath: b.errPath)
    }
    let status = b.waitExit(timeout: timeout)
    return Result(status: status ?? -1, stdout: b.stdout, stderr: b.stderr, timedOut: status == nil)
  }

  /// `tdptrace ARGS`.
  static func tdptrace(_ arguments: [String], timeout: Double = 120) throws -> Result {
    try run(binary, arguments, timeout: timeout)
  }

  /// Total count per probe and per (probe, stack) in bpftrace `@[probe, kstack]` text.
  static func parseStacks(_ text: String) -> (byProbe: [String: UInt64], byStack: [String: UInt64]) {
    var byProbe: [String: UInt64] = [:]
    var byStack: [String: UInt64] = [:]
    var current: [String]? = nil
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("@[") && line.hasSuffix(", ") {
        current = [String(line.dropFirst(2).dropLast(2))]
      } else if line.hasPrefix("]: "), let stack = current {
        let count = UInt64(line.dropFirst(3)) ?? 0
        byProbe[stack[0], default: 0] += count
        byStack[stack.joined(separator: ";"), default: 0] += count
        current = nil
      } else if current != nil {
        current!.append(line.trimmingCharacters(in: .whitespaces))
      }
    }
    return (byProbe, byStack)
  }

  /// Ids of loaded BPF programs whose name starts with `tdp_` (tdptrace's).
  static func tdptracePrograms() throws -> Set<String> {
    let r = try run("/usr/sbin/bpftool", ["prog", "list"], timeout: 30)
    var ids: Set<String> = []
    for line in r.stdout.split(separator: "\n") where line.contains(" name tdp_") {
      if let id = line.split(separator: ":").first { ids.insert(String(id)) }
    }
    return ids
  }
}
