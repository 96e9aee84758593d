/// Finding line starts in a window of a file, for `TraceParser.recordStart`.
enum LineStarts {
  /// The first index `i` at or after `from` (at least 1) with a newline at `i - 1` and
  /// `isRecord(i)`, where `i < window.count`; nil if there is none.
  @inline(__always)
  static func first(
    in window: UnsafeBufferPointer<UInt8>, from: Int, where isRecord: (Int) -> Bool
  ) -> Int? {
    var i = max(from, 1)
    while i < window.count {
      if window[i - 1] == 0x0A, isRecord(i) { return i }
      i += 1
    }
    return nil
  }
}
