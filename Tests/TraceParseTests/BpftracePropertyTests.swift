import Foundation
import TestSupport
import Testing

@testable import TraceParse

/// Weight in == weight out: for every fixture, and for seeded random bpftrace files (text and
/// JSON) mixing every key shape, stack mode and noise, the parsed samples are exactly the
/// generated ones, aggregated.
@Suite struct BpftracePropertyTests {
  /// Independent oracle for a text fixture: the values of `]: N` lines that close a multi-line
  /// entry (those keyed by a stack) plus one per stack-valued entry.
  static func oracleWeight(_ text: String) -> UInt64 {
    var sum: UInt64 = 0
    for line in text.split(separator: "\n", omittingEmptySubsequences: false)
    where line.hasPrefix("]: ") || (line.hasPrefix(", ") && line.contains("]: ")) {
      if let value = line.split(separator: " ").last.flatMap({ UInt64($0) }) { sum += value }
    }
    return sum
  }

  static let oracleFixtures = [
    "bpftrace/bpftrace-tracepoint-sys_enter_getpid-kstack.txt",
    "bpftrace/bpftrace-kvm-mmu-tracepoints-kstack.txt",
    "bpftrace/libbpf-loader-tp_btf-kvm-kstack.txt", "bpftrace/qemu-tdp-bpftrace-kprobe-kstack.txt",
    "bpftrace/shape-named-maps.txt", "bpftrace/shape-tuple-keys.txt", "bpftrace/shape-kstack-ustack.txt",
    "bpftrace/shape-indent8.txt", "bpftrace/shape-perf-mode.txt", "bpftrace/shape-raw-mode.txt",
    "bpftrace/shape-unknown.txt", "bpftrace/shape-noise.txt", "bpftrace/shape-inlined.txt",
    "bpftrace/shape-hist-old.txt", "bpftrace/shape-hist-new.txt", "seed/tdp_mmu-notes.txt",
    "seed/tdp_mmu-notes-zap_all.txt",
  ]

  @Test(arguments: oracleFixtures)
  func fixtureWeightsIn(_ relative: String) throws {
    let text = try String(contentsOfFile: BpftraceTestSupport.fixture(relative), encoding: .utf8)
    let profile = try BpftraceTestSupport.parseFile(relative, parser: BpftraceTextParser())
    #expect(profile.totalWeight == Self.oracleWeight(text))
    #expect(profile.skipped.records == 0)
  }

  struct Generated {
    var text = ""
    var json = ""
    /// `labels | frames root first` -> summed weight.
    var expected: [String: UInt64] = [:]
    var total: UInt64 = 0
  }

  static func generate(seed: UInt64, entries: Int) -> Generated {
    var rng = SplitMix64(seed: seed)
    func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
    let symbols = [
      "kvm_tdp_mmu_map", "direct_page_fault", "kvm_mmu_page_fault", "vmx_handle_exit",
      "__handle_changed_spte",
      "tdp_mmu_init_sp", "get_task_policy.part.33", "__pvm_handle_exit.isra.0", "kthread", "ret_from_fork",
    ]
    var g = Generated()
    g.text = pick(["", "Attaching 3 probes...\n\n\n"])
    for n in 0..<entries {
      // Noise and non-stack entries between stack entries.
      switch rng.next() % 6 {
      case 0: g.text += "printf line \(n): gfn=0x\(String(rng.next() % 4096, radix: 16))\n"
      case 1: g.text += "\n"
      case 2: g.text += "@count_\(n % 3)[tracepoint:kvm:kvm_exit]: \(rng.next() % 1000)\n"
      case 3: g.text += "@h:\n[0]                    1 |@@@@|\n[1]                    0 |    |\n\n"
      default: break
      }
      let map = pick(["@", "@faults", "@zaps"])
      let mode = rng.next() % 4  // 0: 4 spaces, 1: 8 spaces, 2: perf, 3: raw
      var frames: [String] = []  // leaf first
      var lines: [String] = []
      for i in 0..<Int(rng.next() % 7) {
        let symbol = pick(symbols)
        let offset = rng.next() % 3000
        let address = 0xffff_ffff_c000_0000 + (rng.next() % 0x100_0000)
        switch mode {
        case 0: lines.append("    \(symbol)+\(offset)"); frames.append("\(symbol)+\(offset)")
        case 1: lines.append("        \(symbol)+\(offset)"); frames.append("\(symbol)+\(offset)")
        case 2:
          lines.append("\t\(String(address, radix: 16)) \(symbol)+\(offset)");
          frames.append("\(symbol)+\(offset)")
        default:
          lines.append(i % 2 == 0 ? String(address, radix: 16) : "\t" + String(address, radix: 16))
          frames.append(String(address, radix: 16))
        }
      }
      var members: [(text: String, isStack: Bool)] = []
      let stackPosition = Int(rng.next() % 3)
      let scalars = Int(rng.next() % 3)
      let scalarPool = [
        "tracepoint:kvmmmu:kvm_mmu_get_page", "kprobe:kvm_tdp_mmu_map", "qemu-kvm", "CPU 0/KVM", "4242", "7",
      ]
      for i in 0...scalars {
        if i == min(stackPosition, scalars) { members.append(("", true)) }
        if i < scalars { members.append((pick(scalarPool), false)) }
      }
      let weight = rng.next() % 1_000_000
      // Text: members joined with ", ", the stack as "\n" + lines + "\n".
      var key = ""
      var jsonKey = ""
      for (i, member) in members.enumerated() {
        if i > 0 { key += ", "; jsonKey += "," }
        if member.isStack {
          key += "\n" + lines.map { $0 + "\n" }.joined()
          jsonKey += "\n" + lines.map { $0 + "\n" }.joined()
        } else {
          key += member.text
          jsonKey += member.text
        }
      }
      g.text += "\(map)[\(key)]: \(weight)\n"
      let escaped = jsonKey.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
        of: "\"", with: "\\\""
      )
      .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t")
      g.json += "{\"type\": \"map\", \"data\": {\"\(map)\": {\"\(escaped)\": \(weight)}}}\n"
      // Expected labels: map, first probe-like member as probe, others key<position>.
      var labels = ["map=\(map)"]
      var sawProbe = false
      for (position, member) in members.enumerated() where !member.isStack {
        if !sawProbe && BpftraceMapKey.isProbe(member.text) {
          sawProbe = true
          labels.append("probe=\(member.text)")
        } else {
          labels.append("key\(position)=\(member.text)")
        }
      }
      let id = labels.joined(separator: " ") + " | " + frames.reversed().joined(separator: ";")
      g.expected[id, default: 0] += weight
      g.total += weight
    }
    g.text += pick(["", "\n", "^C\n"])
    return g
  }

  static func observed(_ profile: Profile) -> [String: UInt64] {
    var out: [String: UInt64] = [:]
    for sample in profile.samples {
      let labels = profile.labels(of: sample).entries.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
      let frames = profile.frames(of: sample).map { $0.name(keepOffset: true) }.joined(separator: ";")
      out[labels + " | " + frames, default: 0] += sample.weight
    }
    return out
  }

  @Test(arguments: 1...40)
  func generatedTextAndJSON(_ seed: Int) throws {
    let g = Self.generate(seed: UInt64(seed), entries: 60)
    let text = try BpftraceTestSupport.parse(g.text)
    #expect(text.totalWeight == g.total)
    #expect(Self.observed(text) == g.expected)
    #expect(text.skipped.records == 0)
    let json = try BpftraceTestSupport.parse(g.json, parser: BpftraceJSONParser())
    #expect(json.totalWeight == g.total)
    #expect(Self.observed(json) == g.expected)
  }
}

/// Splitting a bpftrace file across cores (`ParallelLoader`) gives exactly the serial result.
@Suite struct BpftraceParallelTests {
  func compare(_ text: String, format: InputFormat, parser: any TraceParser, seed: Int) throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tdptrace-bpftrace-parallel-\(getpid())-\(seed)-\(format.rawValue).txt"
    ).path
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let serial = try BpftraceTestSupport.parse(text, parser: parser, name: path)
    let parallel = try #require(
      try ParallelLoader.load(
        path: path, size: Int64(text.utf8.count), format: format, options: ParseOptions(sourceName: path),
        parts: 4))
    #expect(BpftraceTestSupport.dump(parallel) == BpftraceTestSupport.dump(serial))
  }

  @Test(arguments: 1...5)
  func splitMatchesSerial(_ seed: Int) throws {
    let g = BpftracePropertyTests.generate(seed: UInt64(seed) + 100, entries: 400)
    try compare(g.text, format: .bpftrace, parser: BpftraceTextParser(), seed: seed)
    try compare(g.json, format: .bpftraceJSON, parser: BpftraceJSONParser(), seed: seed)
  }
}
