import ArgumentParser
import Foundation
import StackFold
import Symbolize
import TraceParse

/// Debuginfo options shared by `fold`, `report`, `record` and `symbolize`: where DWARF comes
/// from, and whether and how frames are expanded into their inline chains.
struct SymbolOptions: ParsableArguments {
  @Option(name: .customLong("vmlinux"), help: ArgumentHelp("vmlinux with DWARF.", valueName: "path"))
  var vmlinux: String?

  @Option(
    name: .customLong("module"),
    help: ArgumentHelp(
      "A kernel module or user object with DWARF, as NAME=PATH (kvm=/usr/lib/debug/.../kvm.ko). Repeatable.",
      valueName: "name=path"))
  var modules: [String] = []

  @Option(
    name: .customLong("debuginfo"),
    help: ArgumentHelp(
      "Search DIR for vmlinux and modules (/usr/lib/debug, or an extracted -dbg package). Repeatable.",
      valueName: "dir"))
  var debuginfo: [String] = []

  @Option(
    name: .customLong("kernel-release"),
    help: ArgumentHelp(
      "Kernel release to prefer under --debuginfo (default: uname -r).", valueName: "release"))
  var kernelRelease: String?

  @Flag(name: .customLong("no-inline"), help: "Do not expand inlined frames.")
  var noInline = false

  @Flag(name: .customLong("srcline"), help: "Add file:line to expanded frames.")
  var srcline = false

  func validate() throws {
    for module in modules where Self.parseModule(module) == nil {
      throw ValidationError("--module expects NAME=PATH, got '\(module)'")
    }
  }

  static func parseModule(_ text: String) -> DebuginfoSources.Module? {
    guard let equals = text.firstIndex(of: "="), equals != text.startIndex else { return nil }
    let path = String(text[text.index(after: equals)...])
    guard !path.isEmpty else { return nil }
    return DebuginfoSources.Module(name: String(text[..<equals]), path: path)
  }

  var sources: DebuginfoSources {
    DebuginfoSources(
      vmlinux: vmlinux, modules: modules.compactMap(Self.parseModule), directories: debuginfo,
      release: kernelRelease)
  }

  /// Whether any debuginfo was given (without it, profiles pass through unchanged).
  var isActive: Bool { !sources.isEmpty && !noInline }

  /// A symbolizer for these options; debuginfo problems are its `warnings`.
  func makeSymbolizer() -> DwarfSymbolizer {
    DwarfSymbolizer(sources: sources, srcline: srcline)
  }

  /// Expands `profile`'s frames into inline chains when debuginfo was given and `--no-inline`
  /// was not. Debuginfo warnings and the per-object count of frames left unexpanded go to
  /// standard error and are also added to the profile's notes.
  func apply(to profile: Profile) -> Profile { expand(profile).profile }

  /// `apply`, also returning the sizes debuginfo gives for the symbols of frames with an
  /// offset (for `SuspectFrames`; empty without debuginfo). One symbolizer serves both.
  func expand(_ profile: Profile) -> (profile: Profile, sizes: [String: UInt64]) {
    guard !sources.isEmpty else { return (profile, [:]) }
    let symbolizer = makeSymbolizer()
    var sizes: [String: UInt64] = [:]
    for frame in profile.frames where frame.offset != nil && sizes[frame.symbol] == nil {
      if let size = symbolizer.symbolSize(frame.symbol, module: frame.module) { sizes[frame.symbol] = size }
    }
    return (noInline ? profile : inline(profile, with: symbolizer), sizes)
  }

  private func inline(_ profile: Profile, with symbolizer: DwarfSymbolizer) -> Profile {
    var symbolizer = symbolizer
    var (expanded, report) = InlineExpander().expand(profile, with: &symbolizer)
    let warnings = symbolizer.warnings.map { "warning: debuginfo: \($0)" }
    expanded.notes += warnings
    for line in warnings + report.unresolved.map({ "note: " + $0.message }) {
      FileHandle.standardError.write(Data((line + "\n").utf8))
    }
    return expanded
  }
}
