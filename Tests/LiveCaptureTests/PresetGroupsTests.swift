import StackFold
import Testing

@testable import LiveCapture

/// The recording preset and the report's TDP groups (`StackFold.TDPGroup`) name functions in two
/// tables: what `record` attaches to is a focused subset of what `report --tdp` classifies. This
/// keeps the two from drifting apart: every function the preset records must be reported under
/// the group of the same name.
@Suite struct PresetGroupsTests {
  @Test func everyRecordedFunctionIsReportedInItsGroup() {
    for group in Preset.tdpMMU.groups {
      for function in group.functions {
        #expect(
          TDPGroup.named(group.name)?.functions.contains(function) == true,
          "\(function) is recorded under \(group.name) but not reported there")
      }
    }
  }

  @Test func everyGroupOfThePresetIsAReportGroup() {
    #expect(Preset.tdpMMU.groups.map(\.name).allSatisfy { TDPGroup.named($0) != nil })
  }
}
