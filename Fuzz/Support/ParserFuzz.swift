// Compiled into one module with Sources/TraceParse by scripts/fuzz.sh, so it uses the parsers
// directly (no import).

/// What every parser target checks on one input: parsing (strict and `--lenient`, counting
/// samples and weighing periods) never crashes, and a profile that comes out is consistent:
/// its samples' weights add up, without overflow, to the total the builder counted as it
/// added them, and every frame and label id points into the profile.
enum ParserFuzz {
  static func run(_ parser: any TraceParser, _ data: UnsafePointer<UInt8>?, _ size: Int) {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = FormatDetector.detect(bytes, inputEnded: true)
    _ = FormatDetector.detect(bytes, inputEnded: false)
    for lenient in [false, true] {
      for weight in [SampleWeight.samples, .period] {
        // A small line cap, so the cap's error path is reached too.
        var reader = LineReader(bytes: bytes, name: "fuzz", maxLineLength: 4096)
        var builder = ProfileBuilder()
        let options = ParseOptions(sourceName: "fuzz", lenient: lenient, weight: weight, threadLabels: true)
        do throws(ParseError) {
          try parser.parse(&reader, into: &builder, options: options)
        } catch {
          _ = error.description
          continue
        }
        check(builder)
      }
    }
  }

  static func check(_ builder: ProfileBuilder) {
    let profile = builder.build()
    var sum: UInt64 = 0
    for sample in profile.samples {
      let (next, overflow) = sum.addingReportingOverflow(sample.weight)
      precondition(!overflow, "the samples' weights overflow UInt64")
      sum = next
      precondition(Int(sample.labels) < profile.labelSets.count, "label id out of range")
      for frame in sample.stack { precondition(Int(frame) < profile.frames.count, "frame id out of range") }
    }
    precondition(
      sum == builder.totalWeight, "samples sum to \(sum), the builder counted \(builder.totalWeight)")
    precondition(profile.totalWeight == sum)
  }
}
