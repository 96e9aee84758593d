import Foundation
import TestSupport
import Testing

/// fold, report and diff on the bpftrace 0.17 `kfunc:` capture derived from the guest's fentry
/// capture with the two frames on top (fixtures/qemu-tdp/bpftrace-kfunc-derived.txt):
/// the BPF frames above the probed function are trimmed by default and said so, and kept with
/// `--keep-bpf-frames`, where the report marks the absurd offset as a suspect frame. Its fold and
/// report goldens are GoldenCLITests'.
@Suite struct BPFFramesCLITests {
  static let kfunc = "fixtures/qemu-tdp/bpftrace-kfunc-derived.txt"
  static let bogus = ["mpls_gso_exit", "vring_alloc_queue_split.cold"]

  @Test func foldTrimsAndSaysSoOnStderr() throws {
    let result = try CLIHarness.run(["fold", Self.kfunc])
    #expect(result.status == 0, "\(result.stderr)")
    for line in result.out.split(separator: "\n") {
      let frames = line.split(separator: " ")[0].split(separator: ";")
      // Every root is the probe, `kfunc:kvm:FUNC`, and every leaf its function.
      #expect(
        frames.first.map { String($0.split(separator: ":").last!) } == frames.last.map(String.init), "\(line)"
      )
    }
    #expect(
      result.stderr.contains(
        "tdptrace: 24 stacks (weight 372) trimmed of 48 tracing frames: mpls_gso_exit (24 stacks, weight 372), "
          + "vring_alloc_queue_split.cold (24 stacks, weight 372) (--keep-bpf-frames keeps them)"),
      "\(result.stderr)")
    #expect(!result.stderr.contains("suspect"), "\(result.stderr)")
    #expect(FoldReportCLITests.foldedSum(result.out) == 372)
  }

  @Test func keepBpfFramesKeepsThemAndNamesTheSuspectFrame() throws {
    let result = try CLIHarness.run(["fold", "--keep-bpf-frames", Self.kfunc])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(
      result.out.split(separator: "\n").allSatisfy {
        $0.contains(";vring_alloc_queue_split.cold;mpls_gso_exit ")
      })
    #expect(FoldReportCLITests.foldedSum(result.out) == 372)
    #expect(!result.stderr.contains("trimmed"), "\(result.stderr)")
    #expect(
      result.stderr.contains(
        "1 suspect frame (an offset no function has, not real callers): mpls_gso_exit+429794123 (weight 372)"),
      "\(result.stderr)")
  }

  @Test func reportSaysWhatWasTrimmed() throws {
    let text = try CLIHarness.run(["report", Self.kfunc])
    #expect(text.status == 0, "\(text.stderr)")
    #expect(
      text.out.contains(
        "tracing frames trimmed (--keep-bpf-frames keeps them): 24 stacks, weight 372, 48 frames"))
    for name in Self.bogus { #expect(!text.out.contains("  \(name)\n"), "\(name) still in the tables") }
    let json = try CLIHarness.run(["report", "--json", Self.kfunc])
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any])
    let trim = try #require(object["bpfFrames"] as? [String: Any])
    #expect((trim["stacks"] as? NSNumber)?.intValue == 24)
    #expect((trim["weight"] as? NSNumber)?.intValue == 372)
    let dropped = try #require(trim["dropped"] as? [[String: Any]])
    #expect(dropped.compactMap { $0["name"] as? String } == Self.bogus)
    #expect((object["totalWeight"] as? NSNumber)?.intValue == 372)
  }

  @Test func keptFramesAreSuspectInTheReport() throws {
    let text = try CLIHarness.run(["report", "--keep-bpf-frames", Self.kfunc])
    #expect(text.status == 0, "\(text.stderr)")
    #expect(!text.out.contains("tracing frames trimmed"))
    #expect(
      text.out.contains(
        "suspect frames (an offset no function has; not real callers): 1\n  mpls_gso_exit+429794123: 24 stacks, weight 372, offset beyond 1 MB\n"
      ), "\(text.out)")
    let json = try CLIHarness.run(["report", "--keep-bpf-frames", "--json", Self.kfunc])
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any])
    #expect(object["bpfFrames"] is NSNull)
    let suspects = try #require(object["suspectFrames"] as? [[String: Any]])
    #expect(suspects.compactMap { $0["frame"] as? String } == ["mpls_gso_exit+429794123"])
  }

  @Test func graphsExportsAndTheHTMLSummarySeeTrimmedStacks() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tdptrace-kfunc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let svg = dir.appendingPathComponent("k.svg").path
    let html = dir.appendingPathComponent("k.html").path
    let result = try CLIHarness.run(["report", "--svg", svg, "--html", html, Self.kfunc])
    #expect(result.status == 0, "\(result.stderr)")
    let svgText = try String(contentsOfFile: svg, encoding: .utf8)
    let htmlText = try String(contentsOfFile: html, encoding: .utf8)
    for name in Self.bogus { #expect(!svgText.contains(name)) }
    #expect(htmlText.contains("<th>Tracing frames trimmed</th><td>24 stacks (weight 372): mpls_gso_exit"))
    let kept = try CLIHarness.run(["report", "--keep-bpf-frames", "--svg", svg, "--html", html, Self.kfunc])
    #expect(kept.status == 0, "\(kept.stderr)")
    #expect(try String(contentsOfFile: svg, encoding: .utf8).contains("mpls_gso_exit"))
    #expect(
      try String(contentsOfFile: html, encoding: .utf8).contains("<th>Suspect frames (not real callers)</th>")
    )
  }

  @Test func diffTrimsBothSides() throws {
    // The kfunc capture trimmed is tdptrace's own fentry capture with the probes spelled
    // kfunc:kvm:FUNC; each side says what it trimmed.
    let result = try CLIHarness.run(["diff", "fixtures/qemu-tdp/tdptrace-fentry.txt", Self.kfunc])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(
      result.stderr.contains("tdptrace: \(Self.kfunc): 24 stacks (weight 372) trimmed"), "\(result.stderr)")
    #expect(!result.out.contains("mpls_gso_exit"))
    let kept = try CLIHarness.run([
      "diff", "--keep-bpf-frames", "fixtures/qemu-tdp/tdptrace-fentry.txt", Self.kfunc,
    ])
    #expect(kept.status == 0, "\(kept.stderr)")
    #expect(kept.out.contains("mpls_gso_exit"))
  }
}
