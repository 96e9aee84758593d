import Foundation
import TDPTable
import TestSupport

/// One kernel generation of the QEMU test bed as `scripts/vm/kernels.txt` describes it (the
/// shell checks read the same file), and the folder of one guest run's captures on it.
struct GuestKernel: Sendable, CustomStringConvertible {
  /// A path the workload (`Tests/guest/zap-driver.c`) must drive: probe function, the origin
  /// the table's rules must give it, and a frame that must be on such a stack.
  struct Path: Sendable, CustomStringConvertible {
    var function: String
    var origin: PathOrigin
    var through: String?
    var description: String {
      "\(function) from \(origin.rawValue)" + (through.map { " through \($0)" } ?? "")
    }
  }

  /// `6.1`, `6.12`: the first field of kernels.txt.
  var generation: String
  var folder: URL
  var inlined: [String] = []
  var paths: [Path] = []
  /// Function and the reason `probes --attach fentry` gives for refusing it.
  var fentryRefused: [(function: String, reason: String)] = []
  /// Functions fentry takes on this kernel that another generation refuses.
  var fentryOK: [String] = []
  /// Whether that bpftrace's kfunc stacks carry BPF frames above the probed function.
  var kfuncBPFFrames = false
  /// `spte-bypass`: a function under which SPTEs change, and whether those changes bypass
  /// `(__)handle_changed_spte` on this kernel (from 6.4).
  var spteBypass: (function: String, bypasses: Bool)?

  var description: String { "\(generation) (\(folder.lastPathComponent))" }

  /// The capture folders to check: `TDPTRACE_GUEST_CAPTURES` (one guest run's output folder,
  /// or several separated by `:`), else every committed one (`TDPFixture.guestCaptureFolders`).
  static let folders: [URL] = {
    if let given = ProcessInfo.processInfo.environment["TDPTRACE_GUEST_CAPTURES"], !given.isEmpty {
      return given.split(separator: ":").map { URL(fileURLWithPath: String($0)) }
    }
    return TDPFixture.guestCaptureFolders.map(TDPFixture.url)
  }()

  /// Whether the folders came from a guest run rather than the committed fixtures.
  static var given: Bool {
    !(ProcessInfo.processInfo.environment["TDPTRACE_GUEST_CAPTURES"] ?? "").isEmpty
  }

  static let all: [GuestKernel] = folders.map { folder in
    do { return try GuestKernel(folder: folder) } catch {
      return GuestKernel(generation: "unknown: \(error)", folder: folder)
    }
  }

  struct Unknown: Error, CustomStringConvertible {
    var description: String
  }

  init(generation: String, folder: URL) {
    self.generation = generation
    self.folder = folder
  }

  /// Reads the folder's setup.txt for the kernel, and kernels.txt for that generation's facts.
  init(folder: URL) throws {
    let setup = try String(contentsOf: folder.appendingPathComponent("setup.txt"), encoding: .utf8)
    let kernel =
      setup.split(separator: "\n").first { $0.hasPrefix("kernel: ") }.map { String($0.dropFirst(8)) } ?? ""
    let facts = try String(contentsOf: TDPFixture.url("scripts/vm/kernels.txt"), encoding: .utf8)
      .split(separator: "\n").filter { !$0.hasPrefix("#") }
      .map { $0.split(separator: " ").map(String.init) }.filter { $0.count >= 3 }
    guard
      let generation = facts.first(where: { $0[1] == "kernel" && kernel.hasPrefix($0[2]) })?[0]
    else { throw Unknown(description: "kernel '\(kernel)' is in no generation of scripts/vm/kernels.txt") }
    self.init(generation: generation, folder: folder)
    for fact in facts where fact[0] == generation {
      let values = Array(fact.dropFirst(2))
      switch fact[1] {
      case "inlined": inlined += values
      case "fentry":
        fentryRefused += values.map {
          let parts = $0.split(separator: ":", maxSplits: 1).map(String.init)
          return (parts[0], parts.count > 1 ? parts[1] : "")
        }
      case "path" where values.count >= 2:
        guard let origin = PathOrigin(rawValue: values[1]) else {
          throw Unknown(description: "kernels.txt: unknown origin '\(values[1])'")
        }
        paths.append(Path(function: values[0], origin: origin, through: values.count > 2 ? values[2] : nil))
      case "fentry-ok": fentryOK += values
      case "kfunc-bpf": kfuncBPFFrames = values.first == "yes"
      case "spte-bypass" where values.count == 2: spteBypass = (values[0], values[1] == "yes")
      default: break
      }
    }
  }

  func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

  func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: url(name).path) }

  func text(_ name: String) throws -> String { try String(contentsOf: url(name), encoding: .utf8) }
}
