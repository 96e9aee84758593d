import CZlib

/// gzip through zlib (Foundation has no compression on Linux). The header carries no name and
/// mtime 0, so the same input always gives the same bytes.
public enum Gzip {
  public struct Failure: Error, CustomStringConvertible {
    public var code: Int32
    public var operation: String
    public var description: String { "zlib \(operation) failed (\(code))" }
  }

  /// 15 bits of window, +16 for a gzip wrapper instead of zlib's.
  private static let gzipWindowBits: Int32 = 15 + 16

  public static func compress(_ input: [UInt8], level: Int32 = Z_DEFAULT_COMPRESSION) throws(Failure)
    -> [UInt8]
  {
    var stream = z_stream()
    var rc = deflateInit2_(
      &stream, level, Z_DEFLATED, gzipWindowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
      Int32(MemoryLayout<z_stream>.size))
    guard rc == Z_OK else { throw Failure(code: rc, operation: "deflateInit2") }
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 32)
    var input = input
    rc = input.withUnsafeMutableBufferPointer { inBuf in
      output.withUnsafeMutableBufferPointer { outBuf in
        stream.next_in = inBuf.baseAddress
        stream.avail_in = uInt(inBuf.count)
        stream.next_out = outBuf.baseAddress
        stream.avail_out = uInt(outBuf.count)
        return deflate(&stream, Z_FINISH)
      }
    }
    guard rc == Z_STREAM_END else { throw Failure(code: rc, operation: "deflate") }
    output.removeSubrange(Int(stream.total_out)...)
    return output
  }

  /// Reads a whole gzip member back (tests, and checking what was written).
  public static func decompress(_ input: [UInt8]) throws(Failure) -> [UInt8] {
    var stream = z_stream()
    var rc = inflateInit2_(&stream, gzipWindowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    guard rc == Z_OK else { throw Failure(code: rc, operation: "inflateInit2") }
    defer { inflateEnd(&stream) }
    var input = input
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    rc = input.withUnsafeMutableBufferPointer { inBuf in
      stream.next_in = inBuf.baseAddress
      stream.avail_in = uInt(inBuf.count)
      while true {
        let produced: (Int32, Int) = chunk.withUnsafeMutableBufferPointer { outBuf in
          stream.next_out = outBuf.baseAddress
          stream.avail_out = uInt(outBuf.count)
          let rc = inflate(&stream, Z_NO_FLUSH)
          return (rc, outBuf.count - Int(stream.avail_out))
        }
        output += chunk[..<produced.1]
        if produced.0 != Z_OK { return produced.0 }
      }
    }
    guard rc == Z_STREAM_END else { throw Failure(code: rc, operation: "inflate") }
    return output
  }
}
