import StackFold
import Testing
import TraceParse

@Suite struct StackRootsTests {
  static let labels = Labels([
    .init("event", "cycles"), .init("comm", "V8 WorkerThread"), .init("pid", "24636"), .init("tid", "25607"),
    .init("cpu", "3"),
  ])

  /// stackcollapse-perf.pl's `--pid` and `--tid` spellings, spaces to `_`.
  @Test func commPidTidIsOneFrameAsPerlWritesIt() {
    #expect(StackRoots(["comm"]).frames(Self.labels) == ["V8_WorkerThread"])
    #expect(StackRoots(["comm", "pid"]).frames(Self.labels) == ["V8_WorkerThread-24636"])
    #expect(StackRoots(["comm", "pid", "tid"]).frames(Self.labels) == ["V8_WorkerThread-24636/25607"])
    // perf printed only the tid: perl writes `?` for the pid.
    let noPid = Labels([.init("comm", "func_ab"), .init("tid", "15294")])
    #expect(StackRoots(["comm", "pid", "tid"]).frames(noPid) == ["func_ab-?/15294"])
  }

  @Test func otherLabelsAreFramesOfTheirOwn() {
    #expect(StackRoots(["event", "cpu", "comm"]).frames(Self.labels) == ["cycles", "3", "V8_WorkerThread"])
    #expect(StackRoots(["tid", "comm"]).frames(Self.labels) == ["25607", "V8_WorkerThread"])
    #expect(StackRoots(["probe"]).frames(Self.labels) == ["?"])
    #expect(StackRoots.empty.frames(Self.labels) == [])
    #expect(StackRoots(["comm", "pid"]).needsThreadLabels)
    #expect(!StackRoots(["comm", "event"]).needsThreadLabels)
  }

  /// Through `Folder`: perf samples default to the comm root, with the event before it when
  /// the profile mixes events; explicit roots replace both.
  @Test func folderDefaultsAndOverrides() throws {
    var builder = ProfileBuilder()
    let f = builder.intern(Frame(symbol: "f", module: "[kernel.kallsyms]", kind: .kernel))
    for event in ["cycles", "instructions"] {
      let labels = builder.intern(Labels([.init("event", event), .init("comm", "a b")]))
      try builder.add(stack: [f], labels: labels, weight: 2)
    }
    let profile = builder.build()
    #expect(try Folder.fold(profile).map(\.text) == ["cycles;a_b;f 2", "instructions;a_b;f 2"])
    #expect(try Folder.fold(profile, options: FoldOptions(roots: .empty)).map(\.text) == ["f 4"])
    #expect(
      try Folder.fold(profile, options: FoldOptions(annotations: .kernel, roots: StackRoots(["comm"]))).map(
        \.text)
        == ["a_b;f_[k] 4"])
  }
}
