import StackFold
import TraceParse

// tdptrace-bench: generates large inputs from a seed and times tdptrace's read-and-fold path
// in process (wall time, MB/s, samples/s, peak RSS). Driven by scripts/bench.sh.
#if canImport(Glibc)
  import Glibc
#endif

func fail(_ message: String) -> Never {
  let text = "tdptrace-bench: \(message)\n"
  _ = text.withCString { write(2, $0, strlen($0)) }
  exit(1)
}

func now() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// User plus system CPU seconds of this process (all threads).
func cpuSeconds() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
    + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func peakRSSMegabytes() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return Double(usage.ru_maxrss) / 1024  // KiB on Linux
}

/// Buffered writer to a file descriptor.
struct Output {
  let fd: Int32
  var buffer: [UInt8] = []

  init(path: String) {
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    if fd < 0 { fail("cannot write \(path)") }
    buffer.reserveCapacity(1 << 20)
  }

  var written = 0

  mutating func write(_ s: String) {
    buffer.append(contentsOf: s.utf8)
    if buffer.count >= 1 << 20 { flush() }
  }

  mutating func flush() {
    buffer.withUnsafeBytes { p in
      var off = 0
      while off < p.count {
        let n = Glibc.write(fd, p.baseAddress! + off, p.count - off)
        if n <= 0 { fail("write failed") }
        off += n
      }
    }
    written += buffer.count
    buffer.removeAll(keepingCapacity: true)
  }

  mutating func close() {
    flush()
    _ = Glibc.close(fd)
  }
}

func readFile(_ path: String) -> String {
  guard let f = fopen(path, "r") else { fail("cannot read \(path)") }
  defer { fclose(f) }
  var bytes: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 1 << 16)
  while true {
    let n = fread(&chunk, 1, chunk.count, f)
    if n <= 0 { break }
    bytes += chunk[0..<n]
  }
  return String(decoding: bytes, as: UTF8.self)
}

/// Repeats the seed's samples, with increasing timestamps, until `megabytes` are written.
/// Every 8th round renames the comm of one sample in 16 to `comm-<round % 16>` so the number
/// of unique stacks grows a little, as it does in a real fleet capture.
func generatePerf(seed: String, out path: String, megabytes: Int) {
  let blocks = seed.split(separator: "\n\n", omittingEmptySubsequences: true).filter { !$0.hasPrefix("#") }
  var out = Output(path: path)
  var time = 1000.0
  var round = 0
  while out.written + out.buffer.count < megabytes * 1_000_000 {
    for (i, block) in blocks.enumerated() {
      guard let nl = block.firstIndex(of: "\n") else { continue }
      let header = block[..<nl]
      // Replace the time token (`256.564001:`) and keep everything else.
      var tokens = header.split(separator: " ", omittingEmptySubsequences: false)
      if let t = tokens.firstIndex(where: {
        $0.hasSuffix(":") && $0.contains(".") && $0.first?.isNumber == true
      }) {
        time += 0.000_313
        let micros = Int((time * 1e6).rounded())
        tokens[t] = Substring("\(micros / 1_000_000).\(String(micros % 1_000_000).leftPadded(6)):")
      }
      if round % 8 == 7 && i % 16 == 0 { tokens[0] = Substring(String(tokens[0]) + "-\(round % 16)") }
      out.write(tokens.joined(separator: " "))
      out.write(String(block[nl...]))
      out.write("\n\n")
    }
    round += 1
  }
  out.close()
}

/// Writes the seed's unique stacks as bpftrace `@[kstack] = count()` dumps (0.17 text format,
/// 4-space indent, decimal offsets), repeated as interval `print(@)` dumps until `megabytes`.
/// A bpftrace file of `print(@)` intervals of the seed's stacks. With `unique`, every entry
/// also gets two frames that make its stack one never seen before (a single huge print of
/// distinct stacks, the worst case for the entry cache and for memory).
func generateBpftrace(seed: String, out path: String, megabytes: Int, unique: Bool = false) {
  var reader = LineReader(string: seed, name: "seed")
  var builder = ProfileBuilder()
  do {
    try PerfScriptParser().parse(&reader, into: &builder, options: ParseOptions(sourceName: "seed"))
  } catch {
    fail("seed: \(error)")
  }
  let profile = builder.build()
  var entries: [String] = []
  for sample in profile.samples where !sample.stack.isEmpty {
    var text = "@[\n"
    for frame in profile.frames(of: sample).reversed() {
      let off = frame.offset?.value ?? 0
      text += "    \(frame.symbol)+\(off)\n"
    }
    entries.append(text)
  }
  var out = Output(path: path)
  out.write("Attaching 2 probes...\n")
  var round = 0
  while out.written + out.buffer.count < megabytes * 1_000_000 {
    out.write("\n\n")
    for (i, entry) in entries.enumerated() {
      if unique {
        let n = round * entries.count + i
        out.write("@[\n    leaf_\(n % 577)+1\n    mid_\(n / 577)+2\n")
        out.write(String(entry.dropFirst(3)))
      } else {
        out.write(entry)
      }
      out.write("]: \((i * 7 + round) % 97 + 1)\n")
    }
    round += 1
  }
  out.close()
}

extension String {
  func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// Loads `path`, then does what the given mode needs after parsing, and prints one result line.
func run(path: String, format: InputFormat, mode: String, parallel: Bool) {
  var st = stat()
  guard stat(path, &st) == 0 else { fail("cannot stat \(path)") }
  let bytes = Double(st.st_size)
  let start = now()
  let cpuStart = cpuSeconds()
  var loader = ProfileLoader(format: format)
  loader.parallel = parallel
  loader.showProgress = false
  let profile: Profile
  do { profile = try loader.load(path: path) } catch { fail("\(error)") }
  var outputLines = 0
  switch mode {
  case "parse":
    break
  case "fold":
    // What `tdptrace fold` does after loading: name frames, re-aggregate, sort, print.
    do {
      let lines = try Folder.fold(profile)
      var out = Output(path: "/dev/null")
      out.buffer = Folder.render(lines)
      out.close()
      outputLines = lines.count
    } catch { fail("\(error)") }
  case "report", "flame":
    // Reports and flame graphs are built from the call tree.
    let tree = CallTree(profile: profile)
    outputLines = tree.nodes.count
  default:
    fail("unknown mode \(mode)")
  }
  let seconds = now() - start
  let cpu = cpuSeconds() - cpuStart
  let weight = profile.totalWeight
  print(
    "mode=\(mode) format=\(format.rawValue) parallel=\(parallel) bytes=\(Int(bytes)) seconds=\(fmt(seconds, 3)) "
      + "MBps=\(fmt(bytes / 1e6 / seconds, 1)) cpuSeconds=\(fmt(cpu, 3)) MBperCPUs=\(fmt(bytes / 1e6 / cpu, 1)) samples=\(weight) samplesPerSec=\(fmt(Double(weight) / seconds, 0)) "
      + "unique=\(profile.samples.count) frames=\(profile.frames.count) out=\(outputLines) "
      + "peakRSSMB=\(fmt(peakRSSMegabytes(), 1))")
}

func fmt(_ v: Double, _ digits: Int) -> String {
  var p = 1.0
  for _ in 0..<digits { p *= 10 }
  let r = (v * p).rounded() / p
  return digits == 0 ? String(Int(r)) : String(r)
}

let args = Array(CommandLine.arguments.dropFirst())
switch args.first {
case "gen-perf" where args.count == 4:
  generatePerf(seed: readFile(args[1]), out: args[2], megabytes: Int(args[3]) ?? 200)
case "gen-bpftrace" where args.count == 4 || (args.count == 5 && args[4] == "unique"):
  generateBpftrace(
    seed: readFile(args[1]), out: args[2], megabytes: Int(args[3]) ?? 50, unique: args.count == 5)
case "run" where args.count >= 4:
  guard let format = InputFormat(rawValue: args[2]) else { fail("unknown format \(args[2])") }
  run(path: args[1], format: format, mode: args[3], parallel: !args.contains("--serial"))
default:
  fail(
    """
    usage: tdptrace-bench gen-perf SEED OUT MB | gen-bpftrace SEED OUT MB [unique]
           tdptrace-bench run FILE FORMAT parse|fold|report|flame [--serial]
    """)
}
