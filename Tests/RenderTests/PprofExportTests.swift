import Foundation
import Render
import SwiftProtobuf
import TestSupport
import Testing
import TraceParse

@Suite struct PprofExportTests {
  /// Decodes a rendered pprof file back to (stack leaf first, labels, value) triples.
  static func decode(_ bytes: [UInt8]) throws -> (
    Perftools_Profiles_Profile, [(stack: [String], labels: [String], value: Int64)]
  ) {
    let message = try Perftools_Profiles_Profile(serializedBytes: try Gzip.decompress(bytes))
    let strings = message.stringTable
    let functions = Dictionary(uniqueKeysWithValues: message.function.map { ($0.id, strings[Int($0.name)]) })
    let locations = Dictionary(uniqueKeysWithValues: message.location.map { ($0.id, $0) })
    let samples = message.sample.map { sample in
      let stack = sample.locationID.flatMap { id in locations[id]!.line.map { functions[$0.functionID]! } }
      let labels = sample.label.map { strings[Int($0.key)] + "=" + strings[Int($0.str)] }
      return (stack, labels, sample.value[0])
    }
    return (message, samples)
  }

  /// The same triples straight from the model.
  static func expected(_ profile: Profile) -> [(stack: [String], labels: [String], value: Int64)] {
    profile.samples.map { sample in
      (
        profile.frames(of: sample).reversed().map(\.symbol),
        profile.labels(of: sample).entries.map { $0.name + "=" + $0.value }, Int64(sample.weight)
      )
    }
  }

  @Test(arguments: [
    "fixtures/seed/tdp_mmu-notes.txt", "fixtures/bpftrace/qemu-tdp-bpftrace-kprobe-kstack.txt",
    "fixtures/bpftrace/libbpf-loader-tp_btf-kvm-kstack.txt",
  ])
  func everySampleAndCountRoundTrips(input: String) throws {
    let profile = try TDPFixture.load(input)
    let bytes = try PprofExport().render(profile)
    let (message, samples) = try Self.decode(bytes)
    #expect(message.stringTable.first == "")
    #expect(
      message.sampleType.map { message.stringTable[Int($0.type)] + "/" + message.stringTable[Int($0.unit)] }
        == ["samples/count"])
    let expected = Self.expected(profile)
    #expect(samples.count == expected.count)
    for (a, e) in zip(samples, expected) {
      #expect(a.stack == e.stack)
      #expect(a.labels == e.labels)
      #expect(a.value == e.value)
    }
    #expect(samples.reduce(0) { $0 + $1.value } == Int64(profile.totalWeight))
    // Ids are nonzero and unique, as pprof requires.
    #expect(Set(message.location.map(\.id)).count == message.location.count)
    #expect(!message.location.contains { $0.id == 0 })
    #expect(!message.function.contains { $0.id == 0 })
  }

  @Test func seedMatchesGoldenTextFormat() throws {
    let profile = try TDPFixture.load("fixtures/seed/tdp_mmu-notes.txt")
    let message = try PprofExport().message(for: profile)
    #expect(
      try TDPFixture.golden(
        "fixtures/expected/exports/seed.pprof.txt", Array(message.textFormatString().utf8)))
  }

  @Test func gzipIsValidForGzipTool() throws {
    let profile = try TDPFixture.load("fixtures/seed/tdp_mmu-notes.txt")
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tdptrace-pprof-\(getpid())-\(UUID().uuidString).pb.gz")
    try Data(try PprofExport().render(profile)).write(to: path)
    defer { try? FileManager.default.removeItem(at: path) }
    let gzip = Process()
    gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
    gzip.arguments = ["-t", path.path]
    try gzip.run()
    gzip.waitUntilExit()
    #expect(gzip.terminationStatus == 0)
  }

  @Test func inlinedFramesShareTheirCallersLocation() throws {
    var builder = ProfileBuilder()
    let frames = [
      Frame(
        symbol: "kvm_mmu_page_fault", module: "kvm", address: 0xffff_ffff_c000_1000, kind: .module,
        srcline: "mmu.c:5800"),
      Frame(
        symbol: "kvm_tdp_page_fault", module: "kvm", address: 0xffff_ffff_c000_2000, kind: .module,
        srcline: "mmu.c:4600"),
      Frame(
        symbol: "kvm_tdp_mmu_page_fault", module: "kvm", kind: .inlined,
        srcline: "mmu.c:4500 (discriminator 2)"),
      Frame(
        symbol: "kvm_tdp_mmu_map", module: "kvm", address: 0xffff_ffff_c000_3000, kind: .module,
        srcline: "tdp_mmu.c:1200"),
    ]
    try builder.add(frames: frames, labels: Labels([.init("probe", "kprobe:kvm_tdp_mmu_map")]), weight: 9)
    let message = try PprofExport().message(for: builder.build())
    let s = message.stringTable
    #expect(message.location.count == 3)
    let sample = message.sample[0]
    #expect(sample.locationID.count == 3)
    let middle = message.location.first { $0.id == sample.locationID[1] }!
    let names = middle.line.map { line in s[Int(message.function.first { $0.id == line.functionID }!.name)] }
    // pprof: inlined callee first, the caller it was inlined into last.
    #expect(names == ["kvm_tdp_mmu_page_fault", "kvm_tdp_page_fault"])
    #expect(middle.line.map(\.line) == [4500, 4600])
    #expect(middle.address == 0xffff_ffff_c000_2000)
    #expect(message.mapping.count == 1)
    #expect(s[Int(message.mapping[0].filename)] == "kvm")
    #expect(message.mapping[0].hasInlineFrames_p)
    #expect(message.mapping[0].hasLineNumbers_p)
    #expect(message.function.map { s[Int($0.filename)] }.contains("tdp_mmu.c"))
  }

  @Test func hostileNamesRoundTripExactly() throws {
    let profile = try TDPFixture.hostile()
    let (_, samples) = try Self.decode(try PprofExport().render(profile))
    let expected = Self.expected(profile)
    #expect(samples.map(\.stack) == expected.map(\.stack))
    #expect(samples.map(\.labels) == expected.map(\.labels))
  }

  @Test func weightBeyondInt64IsRefusedNotWrapped() throws {
    var builder = ProfileBuilder()
    try builder.add(frames: [Frame(symbol: "f")], labels: Labels(), weight: UInt64(Int64.max) + 1)
    #expect(throws: PprofExport.Failure.self) { try PprofExport().render(builder.build()) }
  }

  @Test func skippedRecordsAndEmptyStacksSurvive() throws {
    var builder = ProfileBuilder()
    try builder.add(frames: [], labels: Labels([.init("comm", "x")]), weight: 4)
    builder.recordSkip(ParseError(SourcePosition(file: "in.txt", line: 3), expected: "a frame"), weight: 2)
    let (message, samples) = try Self.decode(try PprofExport().render(builder.build()))
    #expect(samples.count == 1)
    #expect(samples[0].stack.isEmpty)
    #expect(samples[0].value == 4)
    #expect(
      message.comment.map { message.stringTable[Int($0)] }.contains { $0.contains("skipped 1 bad records") })
  }

  /// Histograms, stats and scalars have no place in pprof's samples; they travel as comments,
  /// and the samples' total is unchanged.
  @Test func mapValuesBecomeComments() throws {
    let profile = try TDPFixture.load("fixtures/bpftrace/shape-hist-new.txt")
    #expect(profile.values.count == 4)
    let (message, samples) = try Self.decode(try PprofExport().render(profile))
    #expect(samples.map(\.value).reduce(0, +) == Int64(profile.totalWeight))
    let comments = message.comment.map { message.stringTable[Int($0)] }.filter {
      $0.hasPrefix("tdptrace: map value")
    }
    #expect(
      comments == [
        "tdptrace: map value @stats: count 3, average 2, total 6",
        "tdptrace: map value @stats_by[kvm_tdp_mmu_map]: count 228, average 1500, total 342000",
        "tdptrace: map value @usecs[direct_page_fault+862;kvm_tdp_mmu_map+5]: hist [64K, 128K) 1; [128K, 256K) 0; [256K, 512K) 1",
        "tdptrace: map value @l: lhist [0, 5) 3; [5, 10) 1",
      ])
  }
}
