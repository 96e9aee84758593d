import Foundation
import TestSupport

/// Running `tdptrace` and the tools the inline-expansion CLI tests compare against, plus the
/// debuginfo fixtures they need (decompressed or compiled once per test process).
enum SymbolizeCLI {
  static let root = TDPFixture.root.path

  struct Output {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  static func run(_ arguments: [String], input: String = "") throws -> Output {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tdptrace-symcli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let paths = ["in", "out", "err"].map { dir.appendingPathComponent($0).path }
    try Data(input.utf8).write(to: URL(fileURLWithPath: paths[0]))
    for path in paths.dropFirst() { FileManager.default.createFile(atPath: path, contents: nil) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.standardInput = FileHandle(forReadingAtPath: paths[0])
    process.standardOutput = FileHandle(forWritingAtPath: paths[1])
    process.standardError = FileHandle(forWritingAtPath: paths[2])
    try process.run()
    process.waitUntilExit()
    return Output(
      status: process.terminationStatus, stdout: try String(contentsOfFile: paths[1], encoding: .utf8),
      stderr: try String(contentsOfFile: paths[2], encoding: .utf8))
  }

  static func tdptrace(_ arguments: [String], input: String = "") throws -> Output {
    try run([root + "/.build/debug/tdptrace"] + arguments, input: input)
  }

  static let scratch: String = {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tdptrace-symcli-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.path
  }()

  /// kvm.ko decompressed from `fixtures/debuginfo/` with `xz -dc`, once per process.
  static let kvm: String? = {
    let ko = scratch + "/kvm.ko"
    let out = try? run([
      "sh", "-c", "xz -dc \"$0\" > \"$1\"", root + "/fixtures/debuginfo/kvm-6.1.0-50-amd64.ko.xz", ko,
    ])
    return out?.status == 0 ? ko : nil
  }()

  static let nested: String? = {
    let exe = scratch + "/nested"
    let out = try? run(["gcc", "-O2", "-g", "-o", exe, root + "/fixtures/inline/nested.c"])
    return out?.status == 0 ? exe : nil
  }()
}

extension SymbolizeCLI {
  /// `addr2line -f -i` function names at `address` of `object`, outermost first.
  static func addr2lineChain(object: String, address: UInt64) throws -> [String] {
    let out = try run(["addr2line", "-f", "-i", "-e", object, "0x" + String(address, radix: 16)])
    let lines = out.stdout.split(separator: "\n").map(String.init)
    return stride(from: 0, to: lines.count, by: 2).map { lines[$0] }.reversed()
  }

  /// Function symbols of `object` (`nm`), name to address.
  static func functionAddresses(object: String) throws -> [String: UInt64] {
    var table: [String: UInt64] = [:]
    for line in try run(["nm", object]).stdout.split(separator: "\n") {
      let fields = line.split(separator: " ")
      guard fields.count == 3, fields[1] == "T" || fields[1] == "t", let value = UInt64(fields[0], radix: 16)
      else { continue }
      table[String(fields[2])] = value
    }
    return table
  }
}
