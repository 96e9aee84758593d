#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A progress bar on stderr for long reads: bytes read, rate and time left, redrawn at most
/// ten times a second. It draws only when stderr is a terminal and the input is large, so
/// pipes, logs and tests see nothing. Thread-safe: the readers of a parallel load share one.
package final class ProgressReporter: @unchecked Sendable {
  /// Inputs smaller than this finish too fast to need a bar.
  package static let threshold: Int64 = 100_000_000

  private let total: Int64
  private let label: String
  private var done: Int64 = 0
  private var started: Double
  private var lastDraw: Double = 0
  private var drawn = false
  private var lock = pthread_mutex_t()

  /// A reporter for `total` bytes of `label`, or nil when no bar should be shown (stderr is not
  /// a terminal, or the input is below `threshold` or of unknown size).
  package static func make(total: Int64?, label: String, force: Bool = false) -> ProgressReporter? {
    guard let total, total >= threshold || force, force || isatty(2) == 1 else { return nil }
    return ProgressReporter(total: total, label: label)
  }

  init(total: Int64, label: String) {
    self.total = total
    self.label = label
    self.started = Self.now()
    pthread_mutex_init(&lock, nil)
  }

  deinit { pthread_mutex_destroy(&lock) }

  /// Counts `bytes` more as read, and redraws if enough time has passed.
  package func add(_ bytes: Int) {
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    done += Int64(bytes)
    let t = Self.now()
    if t - lastDraw >= 0.1 {
      lastDraw = t
      draw(at: t)
    }
  }

  /// Erases the bar.
  package func finish() {
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    if drawn { write(2, "\r\u{1B}[K", 4) }
    drawn = false
  }

  /// `label [=========>          ] 1200/5000 MB  820 MB/s  4s left` (GB from 10 GB on)
  package static func line(label: String, done: Int64, total: Int64, seconds: Double, width: Int = 30)
    -> String
  {
    let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 0
    let filled = Int(fraction * Double(width))
    let bar =
      String(repeating: "=", count: filled) + (filled < width ? ">" : "")
      + String(repeating: " ", count: max(0, width - filled - 1))
    let rate = seconds > 0 ? Double(done) / seconds : 0
    let left = rate > 0 ? Double(total - done) / rate : 0
    let amount =
      total >= 10_000_000_000
      ? "\(gb(done))/\(gb(total)) GB" : "\(done / 1_000_000)/\(total / 1_000_000) MB"
    return "\(label) [\(bar)] \(amount)  \(Int(rate / 1e6)) MB/s  \(Int(left.rounded(.up)))s left"
  }

  private func draw(at t: Double) {
    var text = "\r" + Self.line(label: label, done: done, total: total, seconds: t - started) + "\u{1B}[K"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    drawn = true
  }

  private static func gb(_ bytes: Int64) -> String {
    let tenths = Int((Double(bytes) / 1e8).rounded())
    return "\(tenths / 10).\(tenths % 10)"
  }

  private static func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }
}
