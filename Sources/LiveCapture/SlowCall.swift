import CTDPTraceBPF

/// One call slower than `--slower-than`, from the ring buffer (`struct slow_event`).
public struct SlowCall: Sendable, Equatable {
  /// CLOCK_MONOTONIC nanoseconds at exit.
  public var timestamp: UInt64
  public var duration: UInt64
  public var pid: UInt32
  public var tid: UInt32
  public var comm: String
  public var probe: UInt32
  public var stackid: Int32
  /// The entry stack, innermost first (filled in when the capture is read).
  public var addresses: [UInt64] = []

  public init(
    timestamp: UInt64, duration: UInt64, pid: UInt32, tid: UInt32, comm: String, probe: UInt32,
    stackid: Int32 = -1, addresses: [UInt64] = []
  ) {
    self.timestamp = timestamp
    self.duration = duration
    self.pid = pid
    self.tid = tid
    self.comm = comm
    self.probe = probe
    self.stackid = stackid
    self.addresses = addresses
  }

  init(_ event: slow_event) {
    var event = event
    let comm = withUnsafeBytes(of: &event.comm) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    self.init(
      timestamp: event.timestamp, duration: event.duration, pid: event.tgid, tid: event.tid, comm: comm,
      probe: event.probe, stackid: event.stackid)
  }
}
