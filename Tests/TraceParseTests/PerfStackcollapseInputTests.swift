import Testing
import TraceParse

/// perf script shapes that FlameGraph's stackcollapse-perf.pl reads and its test suite holds:
/// frames that are not indented, samples without a period, event modifiers, and
/// perf-map-agent's `A->B->C` inline chains.
@Suite struct PerfStackcollapseInputTests {
  typealias S = PerfTestSupport

  /// test/perf-java-stacks-02.txt: frames at the start of the line, as some tools write them.
  @Test func unindentedFramesBelongToTheirSample() throws {
    let text = """
      java 19983 cycles:
      ffffffff8103d0ca native_write_msr_safe ([kernel.kallsyms])
      7f72432b4e9a start_thread (/lib/x86_64-linux-gnu/libpthread-2.15.so)

      dd 29776 666709.771979:   10101010 cpu-clock:
      ffffffff8103d0ca native_write_msr_safe ([kernel.kallsyms])

      """
    #expect(FormatDetector.detect(Array(text.utf8), inputEnded: true) == .perfScript)
    let profile = try S.parse(text, weight: .period)
    #expect(
      S.describe(profile) == [
        "event=cycles,comm=java: start_thread[user /lib/x86_64-linux-gnu/libpthread-2.15.so];"
          + "native_write_msr_safe[kernel [kernel.kallsyms]] 1",
        // `dd` is hex, but the line parses as a header, so it starts a sample.
        "event=cpu-clock,comm=dd: native_write_msr_safe[kernel [kernel.kallsyms]] 10101010",
      ])
  }

  /// An unindented frame line is still refused outside a sample, with its place.
  @Test func unindentedFrameBeforeAnyHeaderIsAnError() throws {
    let error = try #require(S.error("ffffffff8103d0ca native_write_msr_safe ([kernel.kallsyms])\n\n"))
    #expect(error.position.line == 1)
  }

  /// `--weight period` on a capture mixing samples with and without a period: 1 for those
  /// without, as perl's `$period = 1` fallback.
  @Test func missingPeriodWeighsOne() throws {
    let text =
      "a 1 1.5: cycles:\n\tffffffff81000130 f ([kernel.kallsyms])\n\n"
      + "a 1 1.6: 40 cycles:\n\tffffffff81000130 f ([kernel.kallsyms])\n\n"
      + "a 1 cpu-clock:\n\tffffffff81000130 f ([kernel.kallsyms])\n\n"
    let profile = try S.parse(text, weight: .period)
    #expect(
      S.describe(profile) == [
        "event=cycles,comm=a: f[kernel [kernel.kallsyms]] 41",
        "event=cpu-clock,comm=a: f[kernel [kernel.kallsyms]] 1",
      ])
  }

  /// `cycles:u`, `cycles:ppp` and `cycles` are one event (one source), tracepoints keep their
  /// colon.
  @Test func eventModifiersAreOneEvent() throws {
    let text =
      "a 1 1.5: cycles:u:\n\tffffffff81000130 f ([kernel.kallsyms])\n\n"
      + "a 1 1.6: cycles:ppp:\n\tffffffff81000130 f ([kernel.kallsyms])\n\n"
      + "a 1 1.7: cycles:\n\tffffffff81000130 f ([kernel.kallsyms])\n\n"
      + "a 1 1.8: sched:sched_switch: prev_comm=a\n\tffffffff81000130 f ([kernel.kallsyms])\n\n"
    let profile = try S.parse(text)
    #expect(Set(profile.labelSets.compactMap(\.event)) == ["cycles", "sched:sched_switch"])
    #expect(profile.samples.count == 2)
    #expect(PerfEventName.withoutModifiers("cpu-clock:pppH") == "cpu-clock")
    #expect(PerfEventName.withoutModifiers("kvmmmu:kvm_mmu_get_page") == "kvmmmu:kvm_mmu_get_page")
    #expect(PerfEventName.withoutModifiers(":u") == ":u")
    #expect(PerfEventName.withoutModifiers("cycles:") == "cycles:")
  }

  /// perf-map-agent writes a JIT frame with its inlined callees as `A->B->C`: the parser keeps
  /// the frame whole (it is one address); folding splits it (PerfCollapseNamingTests).
  @Test func inlineChainIsOneFrame() throws {
    let text = "java 1 1.5: cycles:\n\t7f722d142778 LA;::a->LB;::b (/tmp/perf-19982.map)\n\n"
    let profile = try S.parse(text)
    #expect(S.describe(profile) == ["event=cycles,comm=java: LA;::a->LB;::b[jit /tmp/perf-19982.map] 1"])
  }
}
