import Foundation
import TestSupport
import Testing

/// Paths, external tools and the compiled fixtures shared by the symbolizer tests.
enum Fixtures {
  static let repoRoot = TDPFixture.root.path

  static func path(_ relative: String) -> String { repoRoot + "/fixtures/" + relative }

  /// A fresh private directory under the system temp directory.
  static func temporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tdptrace-symbolize-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.path
  }

  struct Output {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// Runs `arguments[0]` (searched on PATH) with stdin from `input`; output goes through
  /// files so large outputs cannot block on a full pipe.
  static func run(_ arguments: [String], input: String = "") throws -> Output {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let inPath = dir + "/in"
    let outPath = dir + "/out"
    let errPath = dir + "/err"
    try Data(input.utf8).write(to: URL(fileURLWithPath: inPath))
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.standardInput = FileHandle(forReadingAtPath: inPath)
    process.standardOutput = FileHandle(forWritingAtPath: outPath)
    process.standardError = FileHandle(forWritingAtPath: errPath)
    try process.run()
    process.waitUntilExit()
    return Output(
      status: process.terminationStatus,
      stdout: try String(contentsOfFile: outPath, encoding: .utf8),
      stderr: try String(contentsOfFile: errPath, encoding: .utf8))
  }

  /// `fixtures/inline/nested.c` built with `gcc -O2 -g`, once per test process.
  static let nestedBinary: Result<String, FixtureError> = {
    do {
      let dir = try temporaryDirectory()
      let exe = dir + "/nested"
      let out = try run(["gcc", "-O2", "-g", "-o", exe, path("inline/nested.c")])
      guard out.status == 0 else { return .failure(FixtureError("gcc failed: \(out.stderr)")) }
      return .success(exe)
    } catch {
      return .failure(FixtureError("\(error)"))
    }
  }()

  /// The same program without any debug information (no -g, stripped).
  static let strippedBinary: Result<String, FixtureError> = {
    do {
      let dir = try temporaryDirectory()
      let exe = dir + "/nested-stripped"
      let out = try run(["gcc", "-O2", "-s", "-o", exe, path("inline/nested.c")])
      guard out.status == 0 else { return .failure(FixtureError("gcc failed: \(out.stderr)")) }
      return .success(exe)
    } catch {
      return .failure(FixtureError("\(error)"))
    }
  }()

  /// Debian's kvm.ko (6.1.0-50-amd64) with DWARF, decompressed with `xz -dc` once per process.
  static let kvmModule: Result<String, FixtureError> = {
    do {
      let dir = try temporaryDirectory()
      let ko = dir + "/kvm.ko"
      let out = try run(
        ["sh", "-c", "xz -dc \"$0\" > \"$1\"", path("debuginfo/kvm-6.1.0-50-amd64.ko.xz"), ko])
      guard out.status == 0 else { return .failure(FixtureError("xz failed: \(out.stderr)")) }
      return .success(ko)
    } catch {
      return .failure(FixtureError("\(error)"))
    }
  }()

  struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
  }

  // MARK: Reference tools

  /// One level of an `addr2line -f -i` answer.
  struct Level: Hashable, CustomStringConvertible {
    var function: String
    var file: String
    var line: Int?
    var description: String { "\(function) \(file):\(line.map(String.init) ?? "?")" }
  }

  /// `addr2line -f -i -a` on `addresses` (hex, relative to `section` when given); each answer
  /// innermost first, as addr2line prints it.
  static func addr2line(object: String, addresses: [UInt64], section: String? = nil) throws -> [[Level]] {
    var arguments = ["addr2line", "-f", "-i", "-a", "-e", object]
    if let section { arguments += ["-j", section] }
    let input = addresses.map { "0x" + String($0, radix: 16) }.joined(separator: "\n") + "\n"
    let out = try run(arguments, input: input)
    #expect(out.status == 0, "addr2line: \(out.stderr)")
    var answers: [[Level]] = []
    let lines = out.stdout.split(separator: "\n", omittingEmptySubsequences: false)
    var index = 0
    while index < lines.count {
      let line = lines[index]
      if line.hasPrefix("0x") {
        answers.append([])
        index += 1
        continue
      }
      guard index + 1 < lines.count, !answers.isEmpty else { break }
      let function = String(line)
      var location = lines[index + 1]
      if let paren = location.range(of: " (discriminator") { location = location[..<paren.lowerBound] }
      let colon = location.lastIndex(of: ":") ?? location.endIndex
      let file = String(location[..<colon])
      let number = colon < location.endIndex ? Int(location[location.index(after: colon)...]) : nil
      answers[answers.count - 1].append(
        Level(function: function, file: file, line: number == 0 ? nil : number))
      index += 2
    }
    return answers
  }

  /// An ELF function symbol as `readelf -sW` prints it: value, size and section name.
  struct ELFSymbol: Hashable {
    var value: UInt64
    var size: UInt64
    var section: String
  }

  /// Function symbols by name (names that occur more than once are left out).
  static func functionSymbols(object: String) throws -> [String: ELFSymbol] {
    let sections = try run(["readelf", "-SW", object]).stdout
    var sectionNames: [Int: String] = [:]
    for line in sections.split(separator: "\n") {
      guard let open = line.firstIndex(of: "["), let close = line.firstIndex(of: "]") else { continue }
      guard let number = Int(line[line.index(after: open)..<close].trimmingCharacters(in: .whitespaces))
      else {
        continue
      }
      let rest = line[line.index(after: close)...].split(separator: " ")
      if let name = rest.first { sectionNames[number] = String(name) }
    }
    var symbols: [String: ELFSymbol] = [:]
    var duplicates: Set<String> = []
    for line in try run(["readelf", "-sW", object]).stdout.split(separator: "\n") {
      let fields = line.split(separator: " ")
      guard fields.count >= 8, fields[3] == "FUNC", let ndx = Int(fields[6]),
        let value = UInt64(fields[1], radix: 16), let size = UInt64(fields[2])
      else { continue }
      let name = String(fields[7])
      if symbols[name] != nil { duplicates.insert(name) }
      symbols[name] = ELFSymbol(value: value, size: size, section: sectionNames[ndx] ?? "?")
    }
    for name in duplicates { symbols[name] = nil }
    return symbols
  }

  /// Last path component, so `/abs/dir/nested.c` and `nested.c` compare equal.
  static func basename(_ path: String?) -> String? {
    guard let path else { return nil }
    return path.split(separator: "/").last.map(String.init) ?? path
  }
}
