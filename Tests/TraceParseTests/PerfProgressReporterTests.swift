import Testing
import TraceParse

@Suite struct PerfProgressReporterTests {
  @Test func lineShowsBytesRateAndTimeLeft() {
    let line = ProgressReporter.line(
      label: "big.txt", done: 1_000_000_000, total: 5_000_000_000, seconds: 2, width: 10)
    #expect(line == "big.txt [==>       ] 1.0/5.0 GB  500 MB/s  8s left")
  }

  @Test func nothingForSmallInputsOrUnknownSizes() {
    #expect(ProgressReporter.make(total: 1_000, label: "small") == nil)
    #expect(ProgressReporter.make(total: nil, label: "<stdin>") == nil)
  }
}
