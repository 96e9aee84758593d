/// Finds where one block of an interval capture ends and the next begins, while a bpftrace
/// parser streams. The rule (docs/intervals.md):
///
/// 1. A `time()` header outside entries (`07:59:41`: digits and `:-./ T`, with a `:`) starts a
///    block, unless it is the first line of the block (then it dates it). Two headers in a row
///    make an empty block: an interval in which a cleared map had no events.
/// 2. Once a header was seen (or with `--intervals delta|cumulative` given), a map printed
///    again starts a block: bpftrace prints a map's entries in one run, so an entry of map M
///    after M's run ended (another map's entry or printed text came between) is a new
///    `print(M)`. This makes bpftrace's exit print after the last interval a block of its own.
///    JSON prints a whole map in each message, so there every message ends its run. Two blank
///    lines in a row end a run too: bpftrace prints them before its exit print, and only one
///    between the entries of a `hist()` map.
/// 3. `Attaching N probes...` begins another bpftrace run (captures concatenated by a test
///    bed): maps may be printed again without a block boundary.
///
/// Without headers and without `--intervals`, a map printed again is summed as before, and
/// `reprints` counts it so the reader can say so. Nothing is labelled until a second block is
/// found: a capture of one block reads as before.
package struct IntervalTracker: Sendable {
  /// Bumped at each new block, so parsers drop what they cached for the block before
  /// (label sets, entries served by sample index).
  package private(set) var generation = 0
  /// The current block's index.
  package private(set) var current = 0
  /// Blocks found so far; empty until the second block begins.
  package private(set) var marks: [IntervalMark] = []
  private var firstTime: String?
  private var firstLine: Int?
  private var entries = 0
  /// Whether the current block has its header.
  private var dated = false
  private var runMap: [UInt8]?
  private var printed: Set<[UInt8]> = []
  /// The first entry's map and the last one's, for `ParallelLoader` to tell a split inside a
  /// run from a split where a new print begins.
  package private(set) var firstMap: [UInt8]?
  package private(set) var lastMap: [UInt8]?
  package private(set) var maps: Set<[UInt8]> = []

  /// Whether a map printed again starts a block without any header (`--intervals` given).
  package var splitsReprints = false
  private var headerSeen = false
  /// Maps printed again that started no block (no header, no `--intervals`).
  package private(set) var reprints = 0

  package init() {}

  package var isActive: Bool { !marks.isEmpty }

  /// A `time()` header at `line`. Returns whether a block began.
  package mutating func timeHeader(_ text: String, line: Int) -> Bool {
    runMap = nil
    headerSeen = true
    if entries == 0 && !dated {
      dated = true
      if marks.isEmpty {
        firstTime = text
        firstLine = line
      } else {
        marks[marks.count - 1].time = text
        marks[marks.count - 1].line = line
      }
      return false
    }
    begin(time: text, line: line)
    dated = true
    return true
  }

  /// An entry of map `map` (its name's bytes, `@` included) starting at `line`. Returns
  /// whether a block began.
  @inline(__always)
  package mutating func entry(_ map: UnsafeBufferPointer<UInt8>, line: Int) -> Bool {
    if let runMap, runMap.elementsEqual(map) { return false }
    let name = Array(map)
    var began = false
    if printed.contains(name) {
      if headerSeen || splitsReprints {
        begin(time: nil, line: line)
        began = true
      } else {
        reprints += 1
        printed.removeAll(keepingCapacity: true)
      }
    }
    if firstLine == nil { firstLine = line }
    if firstMap == nil { firstMap = name }
    printed.insert(name)
    maps.insert(name)
    runMap = name
    lastMap = name
    entries += 1
    return began
  }

  /// Text that is not an entry, a header or blank (printf output): it ends the current run.
  package mutating func text() { runMap = nil }

  /// Blank lines outside entries, `count` in a row. Two end the current run: bpftrace puts
  /// one between the entries of a `hist()` map and two before the maps it prints at exit,
  /// so a single-map script's exit print is a print of its own.
  package mutating func blank(_ count: Int) { if count >= 2 { runMap = nil } }

  /// `Attaching N probes...`: another bpftrace run begins; its maps are new.
  package mutating func newRun() {
    runMap = nil
    printed.removeAll(keepingCapacity: true)
  }

  private mutating func begin(time: String?, line: Int) {
    if marks.isEmpty { marks.append(IntervalMark(index: 0, time: firstTime, line: firstLine ?? line)) }
    current += 1
    generation += 1
    marks.append(IntervalMark(index: current, time: time, line: line))
    printed.removeAll(keepingCapacity: true)
    runMap = nil
    entries = 0
    dated = false
  }

  /// Whether `line`, outside any entry, is a `time()` header.
  package static func isTimeHeader(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
    guard line.count >= 4, line.count <= 64 else { return false }
    var digits = 0
    var colon = false
    for b in line {
      switch b {
      case 0x30...0x39: digits += 1
      case 0x3A: colon = true
      case 0x2D, 0x2E, 0x2F, 0x20, 0x54: break  // - . / space T
      default: return false
      }
    }
    return colon && digits >= 4
  }

  /// Whether the part of a file this tracker read may hold interval blocks that the parts of
  /// a split file cannot number: it has a header or blocks, or maps printed again are blocks
  /// (`splitsReprints`) and it begins with a map `previous` printed but did not end with.
  package func needsSerialRead(after previous: IntervalTracker?) -> Bool {
    if headerSeen || isActive { return true }
    guard splitsReprints, let previous, let firstMap else { return false }
    return firstMap != previous.lastMap && previous.maps.contains(firstMap)
  }
}
