// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "tdptrace",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "tdptrace", targets: ["tdptrace"]),
    .library(name: "TraceParse", targets: ["TraceParse"]),
    .library(name: "StackFold", targets: ["StackFold"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
  ],
  targets: [
    // Bytes -> one sample model (Profile). No dependencies beyond Foundation.
    .target(name: "TraceParse"),
    // What tdptrace knows about KVM's MMU: probe groups, tracepoints and path rules, read by
    // record, probes and report alike.
    .target(name: "TDPTable", dependencies: ["TraceParse", "CTDPTraceBPF"]),
    // Folding, call trees, filters, inline expansion and path classification on the model.
    .target(name: "StackFold", dependencies: ["TraceParse", "TDPTable"]),
    // DWARF symbolization through elfutils' libdw.
    .systemLibrary(name: "CLibdw", pkgConfig: "libdw", providers: [.apt(["libdw-dev"])]),
    .target(name: "Symbolize", dependencies: ["TraceParse", "StackFold", "CLibdw"]),
    // zlib, for the gzip that pprof files are wrapped in.
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    // Renderers: text, JSON, SVG, HTML, pprof, speedscope.
    .target(
      name: "Render",
      dependencies: [
        "TraceParse", "TDPTable", "StackFold", "CZlib",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ]),
    // Live capture around libbpf; the BPF C program lives beside it.
    .systemLibrary(name: "CLibbpf", pkgConfig: "libbpf", providers: [.apt(["libbpf-dev"])]),
    // The BPF program's kernel/user contract: its header, bpf/tdptrace.h, imported into Swift.
    .systemLibrary(name: "CTDPTraceBPF", path: "Sources/CTDPTraceBPF"),
    .target(
      name: "LiveCapture", dependencies: ["TraceParse", "TDPTable", "CLibbpf", "CTDPTraceBPF"],
      exclude: ["bpf"], resources: []),
    .executableTarget(
      name: "tdptrace",
      dependencies: [
        "TraceParse", "TDPTable", "StackFold", "Symbolize", "Render", "LiveCapture",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    // Generates large inputs and times the read-and-fold path (scripts/bench.sh).
    .executableTarget(name: "tdptrace-bench", dependencies: ["TraceParse", "StackFold"]),
    // Fixture access shared by the test targets.
    .target(name: "TestSupport", dependencies: ["TraceParse"], path: "Tests/TestSupport"),
    .testTarget(name: "TraceParseTests", dependencies: ["TraceParse", "TestSupport"]),
    .testTarget(name: "StackFoldTests", dependencies: ["TraceParse", "TDPTable", "StackFold", "TestSupport"]),
    .testTarget(
      name: "SymbolizeTests", dependencies: ["TraceParse", "StackFold", "Symbolize", "TestSupport"]),
    .testTarget(
      name: "RenderTests",
      dependencies: [
        "TraceParse", "TDPTable", "StackFold", "Render", "TestSupport",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ]),
    .testTarget(
      name: "LiveCaptureTests",
      dependencies: ["TraceParse", "TDPTable", "StackFold", "LiveCapture", "TestSupport"]),
    .testTarget(name: "CLITests", dependencies: ["TraceParse", "TDPTable", "Render", "TestSupport", "tdptrace"]),
  ]
)
