import StackFold
import Testing
import TraceParse

/// `PerfCollapseNaming` rule by rule, against what stackcollapse-perf.pl writes for the same
/// frame (the whole files are FlameGraphConformanceTests' business).
@Suite struct PerfCollapseNamingTests {
  static func frame(_ symbol: String, _ module: String?, address: UInt64 = 0x7f00, kind: FrameKind = .user)
    -> Frame
  {
    Frame(symbol: symbol, module: module, address: address, kind: kind)
  }

  static func names(
    _ frame: Frame, java: Bool = false, _ annotations: FrameAnnotations = [], addresses: Bool = false
  ) -> [String] {
    PerfCollapseNaming.names(frame, java: java, annotations: annotations, addresses: addresses)
  }

  @Test func unknownSymbolsTakeTheirDSOBasename() {
    #expect(Self.names(Self.frame("[unknown]", "/usr/lib/libc.so.6")) == ["[libc.so.6]"])
    #expect(Self.names(Self.frame("[unknown]", nil)) == ["[unknown]"])
    #expect(
      Self.names(Self.frame("[unknown]", "/usr/lib/libc.so.6"), addresses: true) == ["[libc.so.6 <7f00>]"])
    #expect(Self.names(Self.frame("[unknown]", nil), addresses: true) == ["[unknown <7f00>]"])
  }

  @Test func tidiesLikePerl() {
    #expect(
      Self.names(Self.frame("JavaCalls::call_helper(JavaValue*, methodHandle*)", "/x/libjvm.so")) == [
        "JavaCalls::call_helper"
      ])
    #expect(Self.names(Self.frame("net/http.(*Client).Do", "/bin/app")) == ["net/http.(*Client).Do"])
    #expect(
      Self.names(Self.frame("ns::(anonymous namespace)::f(int)", "/bin/app")) == [
        "ns::(anonymous namespace)::f"
      ])
    #expect(Self.names(Self.frame("RegExp:[&<>\"']", "/tmp/perf-1.map")) == ["RegExp:[&<>]"])
    #expect(Self.names(Self.frame("a;b", "/bin/app")) == ["a:b"])
    // perl skips a symbol that starts with `(`.
    #expect(Self.names(Self.frame("(deleted)", "/bin/app")) == [])
  }

  @Test func javaLPrefixGoesOnlyUnderJavaComms() {
    let f = Self.frame("Ljava/io/PrintStream;::print", "/tmp/perf-19982.map")
    #expect(Self.names(f, java: true) == ["java/io/PrintStream:::print"])
    #expect(Self.names(f, java: false) == ["Ljava/io/PrintStream:::print"])
    #expect(Self.names(Self.frame("LBusy;::main", "/tmp/perf-1.map"), java: true) == ["LBusy:::main"])
  }

  /// perl marks the inner elements of a chain `_[i]` with or without its options; the first
  /// element is annotated as any frame.
  @Test func inlineChainsSplitWithInnerFramesMarked() {
    let f = Self.frame("A->B->C", "/tmp/perf-42.map", kind: .jit)
    #expect(Self.names(f) == ["A", "B_[i]", "C_[i]"])
    #expect(Self.names(f, .all) == ["A_[j]", "B_[i]", "C_[i]"])
    #expect(Self.names(Self.frame("A->B_[i]", "/x")) == ["A", "B_[i]"])
  }

  /// perl reads the DSO text: `[vdso]` is `_[k]`, a `.ko` path is not; `_[i]` for perf's
  /// `(inlined)` frames only when asked (perl has no rule for them).
  @Test func annotationsFollowPerlsDSORules() {
    #expect(Self.names(Self.frame("f", "[kernel.kallsyms]", kind: .kernel), .kernel) == ["f_[k]"])
    #expect(Self.names(Self.frame("f", "[vdso]"), .kernel) == ["f_[k]"])
    #expect(Self.names(Self.frame("f", "/lib/modules/6.1/kvm.ko", kind: .module), .kernel) == ["f"])
    #expect(Self.names(Self.frame("f", "/boot/vmlinux", kind: .kernel), .kernel) == ["f_[k]"])
    #expect(Self.names(Self.frame("f", "/tmp/perf-9.map", kind: .jit), .jit) == ["f_[j]"])
    #expect(Self.names(Self.frame("f", "/tmp/perf-9.map", kind: .jit), .kernel) == ["f"])
    #expect(Self.names(Self.frame("f", nil, kind: .inlined)) == ["f"])
    #expect(Self.names(Self.frame("f", nil, kind: .inlined), .all) == ["f_[i]"])
    #expect(Self.names(Self.frame("f", nil, kind: .inlined), .kernel) == ["f"])
  }
}
