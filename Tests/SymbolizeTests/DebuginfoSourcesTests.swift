import Foundation
import StackFold
import Symbolize
import Testing
import TraceParse

/// `--debuginfo DIR`: finding vmlinux and modules the way a `-dbg` package lays them out.
@Suite struct DebuginfoSourcesTests {
  @Test func findsModulesUnderAnExtractedDbgPackage() throws {
    let ko = try Fixtures.kvmModule.get()
    let root = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let release = "6.1.0-50-amd64"
    let moduleDir = root + "/usr/lib/debug/lib/modules/\(release)/kernel/arch/x86/kvm"
    try FileManager.default.createDirectory(atPath: moduleDir, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(atPath: moduleDir + "/kvm.ko", withDestinationPath: ko)
    // Another release's copy, and a module frames must name before it is opened.
    let otherDir = root + "/usr/lib/debug/lib/modules/5.10.0-1-amd64/kernel/arch/x86/kvm"
    try FileManager.default.createDirectory(atPath: otherDir, withIntermediateDirectories: true)
    try Data("old".utf8).write(to: URL(fileURLWithPath: otherDir + "/kvm.ko"))
    try Data("x".utf8).write(to: URL(fileURLWithPath: moduleDir + "/kvm-amd.ko"))
    try Data("x".utf8).write(to: URL(fileURLWithPath: moduleDir + "/irqbypass.ko"))

    let sources = DebuginfoSources(directories: [root, root + "/missing"], release: release)
    let plan = sources.plan()
    #expect(plan.objects.map(\.name) == ["kvm", "kvm_amd"])
    #expect(plan.objects.first?.path == moduleDir + "/kvm.ko")
    #expect(plan.lazyModules == ["irqbypass": moduleDir + "/irqbypass.ko"])
    #expect(plan.warnings == [DebuginfoError(path: root + "/missing", reason: .missing)])

    let symbolizer = DwarfSymbolizer(sources: sources)
    // The missing directory, and the fake kvm-amd.ko, each give one warning.
    #expect(symbolizer.warnings.count == 2)
    let chain = try symbolizer.scopes(symbol: "kvm_tdp_mmu_zap_all", offset: 59, isReturnAddress: true).get()
    #expect(chain.object.name == "kvm")
    #expect(chain.scopes.map(\.function) == ["kvm_tdp_mmu_zap_all", "tdp_mmu_zap_root"])
    // A perf frame naming a module opens it on first use.
    let lazy = symbolizer.scopes(
      symbol: "irq_bypass_register_consumer", offset: 1, module: "[irqbypass]", isReturnAddress: true)
    guard case .failure = lazy else {
      Issue.record("a fake module resolved")
      return
    }
    #expect(symbolizer.warnings.count == 3)
  }

  @Test func moduleNamesFromPerfAndFiles() {
    #expect(DwarfSymbolizer.normalizedModuleName("[kvm]") == "kvm")
    #expect(DwarfSymbolizer.normalizedModuleName("[kvm_amd]") == "kvm_amd")
    #expect(DwarfSymbolizer.normalizedModuleName("[kernel.kallsyms]") == "vmlinux")
    #expect(DwarfSymbolizer.normalizedModuleName("vmlinux-6.1.0-50-amd64") == "vmlinux")
    #expect(DwarfSymbolizer.normalizedModuleName("kvm-amd.ko.xz") == "kvm_amd")
    #expect(DwarfSymbolizer.normalizedModuleName("/usr/lib/debug/.../kvm.ko") == "kvm")
    #expect(DwarfSymbolizer.normalizedModuleName("/usr/bin/qemu-system-x86_64") == "qemu-system-x86_64")
  }
}
