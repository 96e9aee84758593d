import StackFold
import Testing
import TraceParse

@Suite struct FolderTests {
  @Test func seedFoldsToSortedLinesWithoutOffsets() throws {
    let lines = try Folder.fold(SeedProfile.make())
    let text = String(decoding: Folder.render(lines), as: UTF8.self)
    let fault =
      "entry_SYSCALL_64_after_hwframe;do_syscall_64;__x64_sys_ioctl;kvm_vcpu_ioctl;kvm_arch_vcpu_ioctl_run;"
      + "vmx_handle_exit;kvm_mmu_page_fault;direct_page_fault;kvm_tdp_mmu_map"
    let expected = """
      entry_SYSCALL_64_after_hwframe;do_syscall_64;__x64_sys_ioctl;kvm_vcpu_ioctl;kvm_arch_vcpu_ioctl_run;\
      kvm_mmu_load;kvm_tdp_mmu_get_vcpu_root_hpa;tdp_mmu_init_sp 54
      \(fault) 465
      \(fault);__handle_changed_spte 447750
      \(fault);tdp_mmu_init_sp 2192
      ret_from_fork;kthread;worker_thread;process_one_work;tdp_mmu_zap_root_work;__tdp_mmu_zap_root;\
      __handle_changed_spte;__handle_changed_spte;__handle_changed_spte 614912

      """
    #expect(text == expected)
    #expect(lines.reduce(0) { $0 + $1.weight } == SeedProfile.total)
  }

  @Test func keepOffsetsKeepsTheInputBase() throws {
    let profile = try SeedProfile.profile([
      ("a+10;b+0x1f", 3, SeedProfile.labels(("map", "@")))
    ])
    let lines = try Folder.fold(profile, options: FoldOptions(naming: FrameNaming(keepOffsets: true)))
    #expect(lines == [FoldedLine(stack: "a+10;b+0x1f", weight: 3)])
  }

  @Test func strippingOffsetsMergesStacks() throws {
    let at = SeedProfile.labels(("map", "@"))
    let profile = try SeedProfile.profile([("a+1;b+2", 3, at), ("a+1;b+7", 4, at), ("a+9;b+2", 5, at)])
    #expect(profile.samples.count == 3)
    #expect(try Folder.fold(profile) == [FoldedLine(stack: "a;b", weight: 12)])
    #expect(
      try Folder.fold(profile, options: FoldOptions(naming: FrameNaming(keepOffsets: true))).count == 3)
  }

  @Test func mergedWeightOverflowIsAnError() throws {
    let at = SeedProfile.labels(("map", "@"))
    // The builder refuses a total past UInt64, so no profile reaches folding with one.
    #expect(throws: AggregationError.self) {
      try SeedProfile.profile([("a+1", UInt64.max, at), ("a+2", 1, at)])
    }
  }

  @Test func severalSourcesGetARootFrameEach() throws {
    let profile = try SeedProfile.profile([
      ("a;b", 2, SeedProfile.labels(("map", "@x"), ("probe", "kprobe:b"))),
      ("a;b", 3, SeedProfile.labels(("map", "@x"), ("probe", "kprobe:c"))),
      ("a;c", 4, SeedProfile.labels(("map", "@y"))),
    ])
    let text = String(decoding: Folder.render(try Folder.fold(profile)), as: UTF8.self)
    #expect(text == "@y;a;c 4\nkprobe:b;a;b 2\nkprobe:c;a;b 3\n")
  }

  @Test func emptyStacksAreKept() throws {
    let one = try SeedProfile.profile([
      ("", 7, SeedProfile.labels(("map", "@"))), ("a", 1, SeedProfile.labels(("map", "@"))),
    ])
    #expect(
      try Folder.fold(one) == [FoldedLine(stack: "[no stack]", weight: 7), FoldedLine(stack: "a", weight: 1)])
    let two = try SeedProfile.profile([
      ("", 7, SeedProfile.labels(("map", "@a"))), ("b", 1, SeedProfile.labels(("map", "@b"))),
    ])
    #expect(
      try Folder.fold(two) == [FoldedLine(stack: "@a", weight: 7), FoldedLine(stack: "@b;b", weight: 1)])
  }

  @Test func namesCannotSplitALine() throws {
    var builder = ProfileBuilder()
    try builder.add(
      frames: [Frame(symbol: "a;b"), Frame(symbol: "x\ny"), Frame(symbol: "")], labels: Labels(), weight: 1)
    #expect(try Folder.fold(builder.build()) == [FoldedLine(stack: "a:b;x y;[unknown]", weight: 1)])
  }

  @Test func annotationsFollowFrameKinds() throws {
    var builder = ProfileBuilder()
    try builder.add(
      frames: [
        Frame(symbol: "main", kind: .user), Frame(symbol: "entry", kind: .kernel),
        Frame(symbol: "kvm_x", kind: .module),
        Frame(symbol: "inl", kind: .inlined), Frame(symbol: "jitted", kind: .jit), Frame(symbol: "what"),
      ], labels: Labels(), weight: 2)
    let lines = try Folder.fold(builder.build(), options: FoldOptions(annotations: .all))
    #expect(lines == [FoldedLine(stack: "main;entry_[k];kvm_x_[k];inl_[i];jitted_[j];what", weight: 2)])
  }

  @Test func zeroWeightStacksStay() throws {
    let profile = try SeedProfile.profile([("a", 0, Labels())])
    #expect(try Folder.fold(profile) == [FoldedLine(stack: "a", weight: 0)])
  }

  @Test func linesSortByBytes() throws {
    let profile = try SeedProfile.profile([
      ("b", 1, Labels()), ("B", 1, Labels()), ("é", 1, Labels()), ("a;z", 1, Labels()),
    ])
    #expect(try Folder.fold(profile).map(\.stack) == ["B", "a;z", "b", "é"])
  }
}
