import StackFold
import TDPTable
import Testing
import TraceParse

@testable import LiveCapture

/// Every probe `record` can attach, under every spelling it writes, recorded as one sample and
/// read back by `report --tdp`: the report must file it under the group it was recorded for.
/// Record and report read one table, so this fails only if a spelling or a lookup disagrees.
@Suite struct PresetRoundTripTests {
  /// One outcome per (preset probe, attach method that names it differently).
  static func outcomes(_ table: ProbeTable) -> [AttachOutcome] {
    var outcomes: [AttachOutcome] = []
    for group in table.recordedGroups {
      for function in group.recordedFunctions {
        for method in [AttachMethod.kprobe, .fentry] {
          outcomes.append(AttachOutcome(group: group.name, spec: .function(function), method: method))
        }
      }
      for tracepoint in group.recordedTracepoints {
        outcomes.append(
          AttachOutcome(
            group: group.name, spec: .tracepoint(tracepoint.system, tracepoint.event), method: .tpBTF))
      }
    }
    return outcomes
  }

  @Test(arguments: ProbeTable.all)
  func everyRecordedProbeIsReportedInItsGroup(table: ProbeTable) throws {
    let outcomes = Self.outcomes(table)
    // A kallsyms with every function of the table, and a caller below each probe.
    var names = Array(Set(table.groups.flatMap(\.functionNames))).sorted()
    names.append("kvm_vcpu_ioctl")
    let base: UInt64 = 0xffff_ffff_c010_0000
    let kallsyms = names.enumerated().map { i, name in
      String(base + UInt64(i) * 0x1000, radix: 16) + " t \(name)\t[kvm]"
    }.joined(separator: "\n")
    let symbols = KernelSymbols(text: kallsyms)
    let caller = base + UInt64(names.count - 1) * 0x1000 + 40
    let entries = outcomes.enumerated().map { i, outcome -> RawCapture.Entry in
      var stack = [caller]
      if case .function(let name) = outcome.spec.target, let index = names.firstIndex(of: name) {
        stack.insert(base + UInt64(index) * 0x1000 + 5, at: 0)
      }
      return RawCapture.Entry(probe: UInt32(i), addresses: stack, count: 1)
    }
    let text = CaptureWriter().render(RawCapture(probes: outcomes, entries: entries), symbols: symbols)
    var reader = LineReader(string: text)
    var builder = ProfileBuilder()
    try ProfileLoader.parser(for: .bpftrace).parse(
      &reader, into: &builder, options: ParseOptions(sourceName: "t"))
    let summary = TDPSummary(profile: builder.build(), table: table)

    var reported: [String: [String]] = [:]
    for group in summary.groups {
      for probe in group.probes { reported[probe.probe, default: []].append(group.group) }
    }
    #expect(summary.elsewhere.isEmpty, "not in any group: \(summary.elsewhere.map(\.probe))")
    for outcome in outcomes {
      #expect(reported[outcome.name] == [outcome.group!], "\(outcome.name) recorded under \(outcome.group!)")
    }
    #expect(summary.totalWeight == UInt64(outcomes.count))
  }

  /// The table is the one place: functions never repeat across a table's groups, and an entry
  /// lists each name once.
  @Test(arguments: ProbeTable.all)
  func functionNamesAreUniqueInATable(table: ProbeTable) {
    let names = table.groups.flatMap(\.functionNames)
    #expect(Set(names).count == names.count)
    let tracepoints = table.groups.flatMap(\.tracepoints).map(\.name)
    #expect(Set(tracepoints).count == tracepoints.count)
  }
}
