import Foundation

/// The terminal while `top` draws on it: keys read one at a time without echo, the screen
/// switched to the alternate buffer and the cursor hidden; `restore()` undoes all of it. Signals
/// still come from the keyboard (ISIG stays on), so Ctrl-C reaches the recorder's wait.
final class TerminalSession {
  private var saved = termios()
  private var active = false

  /// Whether both stdin and stdout are terminals.
  static var isInteractive: Bool { isatty(0) == 1 && isatty(1) == 1 }

  /// Enters the view; nil when stdin is not a terminal or cannot be set.
  init?() {
    guard tcgetattr(0, &saved) == 0 else { return nil }
    var raw = saved
    raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
    // VMIN 0 / VTIME 0: a read returns at once, with or without a key.
    withUnsafeMutableBytes(of: &raw.c_cc) { cc in
      cc[Int(VMIN)] = 0
      cc[Int(VTIME)] = 0
    }
    guard tcsetattr(0, TCSANOW, &raw) == 0 else { return nil }
    active = true
    Self.write("\u{1B}[?1049h\u{1B}[?25l")
  }

  deinit { restore() }

  /// Leaves the alternate screen, shows the cursor and gives the terminal its modes back.
  func restore() {
    guard active else { return }
    active = false
    Self.write("\u{1B}[?25h\u{1B}[?1049l")
    tcsetattr(0, TCSANOW, &saved)
  }

  /// Draws `text` from the top-left corner, clearing what the last screen left.
  func draw(_ text: String) {
    Self.write("\u{1B}[H\u{1B}[2J" + text)
  }

  /// Whether `q` (or `Q`) was typed since the last call.
  func quitTyped() -> Bool {
    var byte: UInt8 = 0
    while read(0, &byte, 1) == 1 {
      if byte == UInt8(ascii: "q") || byte == UInt8(ascii: "Q") { return true }
    }
    return false
  }

  /// Columns and lines of the terminal (80×24 when it does not say).
  static var size: (width: Int, height: Int) {
    var w = winsize()
    guard ioctl(1, UInt(TIOCGWINSZ), &w) == 0, w.ws_col > 0, w.ws_row > 0 else { return (80, 24) }
    return (Int(w.ws_col), Int(w.ws_row))
  }

  private static func write(_ text: String) {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
      let n = bytes[offset...].withUnsafeBytes { Glibc.write(1, $0.baseAddress, $0.count) }
      if n <= 0 {
        if n < 0 && errno == EINTR { continue }
        return
      }
      offset += n
    }
  }
}
