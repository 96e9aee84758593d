import Foundation
import Render
import TestSupport
import Testing
import TraceParse

/// Reads the export with the real `go tool pprof` when Go is installed (Debian `golang-go`);
/// skipped otherwise, since the decode round trip in `PprofExportTests` covers the content.
@Suite struct PprofGoToolTests {
  static let go: String? = ["/usr/bin/go", "/usr/local/go/bin/go", "/usr/lib/go/bin/go"].first {
    FileManager.default.isExecutableFile(atPath: $0)
  }

  static func pprof(_ arguments: [String]) throws -> (Int32, String) {
    var environment = ProcessInfo.processInfo.environment
    environment["HOME"] = environment["HOME"] ?? NSTemporaryDirectory()
    environment["PPROF_TMPDIR"] = NSTemporaryDirectory()
    return try TDPFixture.run(go!, ["tool", "pprof"] + arguments, environment: environment)
  }

  @Test(.enabled(if: go != nil)) func goToolPprofReadsSeedExport() throws {
    let profile = try TDPFixture.load("fixtures/seed/tdp_mmu-notes.txt")
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tdptrace-go-\(getpid())-\(UUID().uuidString).pb.gz")
    try Data(try PprofExport().render(profile)).write(to: path)
    defer { try? FileManager.default.removeItem(at: path) }

    let (status, top) = try Self.pprof(["-top", "-nodefraction=0", "-nodecount=1000", path.path])
    #expect(status == 0, "\(top)")
    #expect(top.contains("of 1065373 total"), "\(top)")
    // Flat weight per leaf function: the seed's two spte-change stacks, init_sp's two, the map's one.
    #expect(top.contains("1062662"), "\(top)")
    #expect(top.contains("2246"), "\(top)")

    // Every stack with its exact count.
    let (tracesStatus, traces) = try Self.pprof(["-traces", path.path])
    #expect(tracesStatus == 0)
    for count in ["614912", "447750", "2192", "465", "54"] {
      #expect(traces.contains(count), "\(count) missing from:\n\(traces)")
    }

    let (rawStatus, raw) = try Self.pprof(["-raw", path.path])
    #expect(rawStatus == 0)
    #expect(raw.contains("samples/count"), "\(raw)")
    #expect(raw.contains("tdp_mmu_zap_root_work"))
  }
}
