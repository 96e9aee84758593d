import ArgumentParser
import Foundation
import Render
import StackFold
import Symbolize
import TraceParse

/// `tdptrace symbolize SPEC...`: prints the inline chain of single frames, so a user can check
/// what `fold --debuginfo` will do with one of them.
struct SymbolizeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "symbolize",
    abstract: "Print the inline chain (outermost first) of frames such as direct_page_fault+862.",
    discussion: """
      Each SPEC is FUNC+OFFSET (decimal, or hex with 0x, as bpftrace and perf print them), optionally prefixed by the object as OBJECT:FUNC+OFFSET (kvm:kvm_mmu_load+1566), or a raw address 0xADDR in the first object given (executables and shared libraries only). Without SPECs, they are read from standard input, whitespace separated.

      A frame below the top of a stack is a return address, so by default ADDRESS-1 is looked up, as perf and pprof do; --exact looks up the address itself (the top frame of a probe stack, or addresses from objdump).

      Exit status 1 when any SPEC could not be resolved.

      Examples:
        tdptrace symbolize --module kvm=kvm.ko __handle_changed_spte+1549
        tdptrace symbolize --debuginfo /usr/lib/debug --srcline direct_page_fault+862
        tdptrace symbolize -e ./a.out --exact --format addr2line 0x1149 0x1150
      """)

  @OptionGroup var symbols: SymbolOptions

  @Option(
    name: [.customShort("e"), .customLong("exe")],
    help: ArgumentHelp("A user executable or library with DWARF (named by its file name).", valueName: "path")
  )
  var executables: [String] = []

  @Flag(name: .customLong("exact"), help: "Look up each address itself, not ADDRESS-1.")
  var exact = false

  enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    /// Like `addr2line -f -i`: innermost first, a name line then a `file:line` line per level.
    case addr2line
  }

  @Option(help: "Output format: text (outermost first) or addr2line (innermost first, as addr2line -f -i).")
  var format: OutputFormat = .text

  @Argument(help: "Frames: FUNC+OFFSET, OBJECT:FUNC+OFFSET or 0xADDRESS.")
  var specs: [String] = []

  func run() throws {
    var sources = symbols.sources
    for path in executables {
      sources.modules.append(
        DebuginfoSources.Module(name: DwarfSymbolizer.normalizedModuleName(path), path: path))
    }
    if sources.isEmpty {
      throw ValidationError("give debuginfo: --vmlinux, --module NAME=PATH, --debuginfo DIR or -e PATH")
    }
    let symbolizer = DwarfSymbolizer(sources: sources, srcline: true)
    for warning in symbolizer.warnings {
      FileHandle.standardError.write(Data("warning: debuginfo: \(warning)\n".utf8))
    }

    var output = StandardOutput()
    var failures = 0
    // Each unique SPEC is resolved and rendered once, into one arena; repeats copy its bytes
    // from there (one buffer, not an array per SPEC to allocate and free). Keyed by String:
    // hashing an ArraySlice<UInt8> feeds the hasher a byte at a time.
    var rendered: [String: RenderedSpec] = [:]
    var text = OutputBuffer()
    let isReturnAddress = !exact
    let format = self.format
    let noInline = symbols.noInline
    let srcline = symbols.srcline
    func render(_ spec: Substring, into entry: inout RenderedSpec) {
      if entry.range == nil {
        let start = text.bytes.count
        switch Self.lookUp(spec, in: symbolizer, isReturnAddress: isReturnAddress) {
        case .success(let scopes):
          Self.write(
            spec: spec, scopes: noInline ? Array(scopes.prefix(1)) : scopes, format: format, srcline: srcline,
            to: &text)
        case .failure(let why):
          entry.failed = true
          switch format {
          case .text: text.append("\(spec): not resolved (\(why.object): \(why.reason))\n")
          case .addr2line: text.append("??\n??:0\n")
          }
        }
        entry.range = start..<text.bytes.count
      }
      if let range = entry.range { output.append(bytes: text.bytes[range]) }
      if entry.failed { failures += 1 }
    }
    func handle(_ word: UnsafeBufferPointer<UInt8>) {
      let key = String(decoding: word, as: UTF8.self)
      // Found or inserted with one hash of the key (the default subscript's in-place access).
      render(key[...], into: &rendered[key, default: RenderedSpec()])
    }
    if specs.isEmpty {
      Self.forEachWord(ofFileDescriptor: 0, handle)
    } else {
      for var spec in specs { spec.withUTF8(handle) }
    }
    do { try output.finish() } catch { throw CommandSupport.failure(error.description) }
    // The process ends after this command: libdw's DWARF state and the unit indexes are left
    // to the exit rather than freed piece by piece (dwfl_end alone was 2% of a run over
    // unique SPECs). One symbolizer per run, so nothing accumulates.
    _ = Unmanaged.passRetained(symbolizer)
    if failures > 0 { throw ExitCode(1) }
  }

  /// Calls `body` with each whitespace-separated word read from `fd`, in chunks: a symbolize
  /// run over standard input may see hundreds of thousands of addresses. Words are lent as
  /// buffer pointers, valid during the call: a slice of the chunk would retain and release
  /// the chunk's storage for every word.
  private static func forEachWord(
    ofFileDescriptor fd: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> Void
  ) {
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    var pending: [UInt8] = []
    func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d }
    while true {
      let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      if count <= 0 { break }
      buffer.withUnsafeBufferPointer { chunk in
        var start = 0
        for index in 0..<count where isSpace(chunk[index]) {
          if !pending.isEmpty {
            pending.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[start..<index]))
            pending.withUnsafeBufferPointer(body)
            pending.removeAll(keepingCapacity: true)
          } else if start < index {
            body(UnsafeBufferPointer(rebasing: chunk[start..<index]))
          }
          start = index + 1
        }
        pending.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[start..<count]))
      }
    }
    if !pending.isEmpty { pending.withUnsafeBufferPointer(body) }
  }

  private static func write(
    spec: Substring, scopes: [InlineScope], format: OutputFormat, srcline: Bool, to output: inout OutputBuffer
  ) {
    switch format {
    case .text:
      output.append(spec)
      output.append("\n")
      for scope in scopes {
        output.append("  ")
        output.append(scope.function)
        if scope.isInlined { output.append(" (inlined)") }
        if srcline, let line = scope.srcline {
          output.append(" at ")
          output.append(line)
        }
        output.append("\n")
      }
    case .addr2line:
      for scope in scopes.reversed() {
        output.append(scope.function)
        output.append("\n")
        output.append(scope.file ?? "??")
        output.append(":")
        output.append(scope.line.map(String.init) ?? "?")
        output.append("\n")
      }
    }
  }

  /// Parses one SPEC (`SymbolSpec`) and resolves it.
  static func lookUp(_ spec: Substring, in symbolizer: DwarfSymbolizer, isReturnAddress: Bool)
    -> Result<[InlineScope], DwarfSymbolizer.Unresolved>
  {
    switch SymbolSpec.parse(spec) {
    case .failure(let failure): return .failure(.init(object: "[input]", reason: failure.reason))
    case .success(.address(let address)):
      return symbolizer.scopes(fileAddress: address, isReturnAddress: isReturnAddress)
    case .success(.symbol(let module, let name, let offset)):
      return symbolizer.scopes(symbol: name, offset: offset, module: module, isReturnAddress: isReturnAddress)
        .map(\.scopes)
    }
  }
}

/// Where a SPEC's rendered bytes are in the `OutputBuffer`; `range` is nil until it is rendered.
struct RenderedSpec {
  var range: Range<Int>?
  var failed = false
}

/// The rendered bytes of every unique spec, kept to be copied for its repeats.
struct OutputBuffer {
  private(set) var bytes: [UInt8] = []

  mutating func append<S: StringProtocol>(_ text: S) { bytes.append(contentsOf: text.utf8) }
}
