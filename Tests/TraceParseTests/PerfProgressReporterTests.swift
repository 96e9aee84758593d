import Testing
import TraceParse

@Suite struct PerfProgressReporterTests {
  @Test func lineShowsBytesRateAndTimeLeft() {
    let line = ProgressReporter.line(
      label: "big.txt", done: 1_000_000_000, total: 5_000_000_000, seconds: 2, width: 10)
    #expect(line == "big.txt [==>       ] 1000/5000 MB  500 MB/s  8s left")
    let huge = ProgressReporter.line(
      label: "huge.txt", done: 12_340_000_000, total: 50_000_000_000, seconds: 10, width: 4)
    #expect(huge == "huge.txt [>   ] 12.3/50.0 GB  1234 MB/s  31s left")
  }

  @Test func nothingForSmallInputsOrUnknownSizes() {
    #expect(ProgressReporter.make(total: 1_000, label: "small") == nil)
    #expect(ProgressReporter.make(total: nil, label: "<stdin>") == nil)
  }
}
