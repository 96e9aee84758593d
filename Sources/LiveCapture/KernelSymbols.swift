import Foundation

/// `/proc/kallsyms` (modules included) as a sorted table, for `func+off` names the way bpftrace
/// prints them (decimal offsets).
///
/// The text is kept as bytes and names are made into strings only when asked for: the file has
/// well over 100,000 lines and is read twice per capture.
public struct KernelSymbols: Sendable {
  public struct Symbol: Sendable, Hashable {
    public var address: UInt64
    public var name: String
    /// `nil` for vmlinux, else the module in brackets (`kvm`; `bpf` for BPF programs).
    public var module: String?
    public var type: Character
  }

  private struct Entry: Sendable {
    var address: UInt64
    var nameStart: Int32
    var nameLength: Int32
    var moduleStart: Int32
    var moduleLength: Int32
    var type: UInt8
  }

  private let bytes: [UInt8]
  /// Sorted by address.
  private let entries: [Entry]

  /// Parses kallsyms text. Lines that do not look like `ADDR TYPE NAME [MODULE]` are ignored:
  /// the file is the kernel's, not user input.
  public init(text: String) { self.init(bytes: Array(text.utf8)) }

  public init(bytes: [UInt8]) {
    self.bytes = bytes
    var list: [Entry] = []
    list.reserveCapacity(bytes.count / 40)
    bytes.withUnsafeBufferPointer { b in
      let n = b.count
      var i = 0
      while i < n {
        var lineEnd = i
        while lineEnd < n && b[lineEnd] != 0x0A { lineEnd += 1 }
        defer { i = lineEnd + 1 }
        // address
        var address: UInt64 = 0
        var j = i
        var digits = 0
        while j < lineEnd, let v = Self.hexValue(b[j]) {
          address = address &* 16 &+ UInt64(v)
          j += 1
          digits += 1
        }
        guard digits > 0, j + 2 < lineEnd, b[j] == 0x20 else { continue }
        let type = b[j + 1]
        guard b[j + 2] == 0x20 else { continue }
        let nameStart = j + 3
        var k = nameStart
        while k < lineEnd && b[k] != 0x20 && b[k] != 0x09 { k += 1 }
        guard k > nameStart else { continue }
        var moduleStart = 0
        var moduleLength = 0
        var m = k
        while m < lineEnd && (b[m] == 0x20 || b[m] == 0x09) { m += 1 }
        if m < lineEnd && b[m] == 0x5B {  // "[module]"
          var e = m + 1
          while e < lineEnd && b[e] != 0x5D { e += 1 }
          if e < lineEnd {
            moduleStart = m + 1
            moduleLength = e - m - 1
          }
        }
        list.append(
          Entry(
            address: address, nameStart: Int32(nameStart), nameLength: Int32(k - nameStart),
            moduleStart: Int32(moduleStart), moduleLength: Int32(moduleLength), type: type))
      }
    }
    list.sort { $0.address < $1.address }
    entries = list
  }

  private static func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: return c - 0x30
    case 0x61...0x66: return c - 0x61 + 10
    case 0x41...0x46: return c - 0x41 + 10
    default: return nil
    }
  }

  /// Reads `/proc/kallsyms` (or another path, for tests); returns the table and the raw text.
  public static func load(path: String = "/proc/kallsyms") throws(LiveCaptureError) -> (KernelSymbols, String)
  {
    // procfs files report size 0, so read until EOF rather than by size.
    guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.readToEnd() else {
      throw .io("cannot read \(path)")
    }
    try? handle.close()
    let symbols = KernelSymbols(bytes: Array(data))
    return (symbols, String(decoding: data, as: UTF8.self))
  }

  public var count: Int { entries.count }

  private func string(_ start: Int32, _ length: Int32) -> String {
    String(decoding: bytes[Int(start)..<Int(start + length)], as: UTF8.self)
  }

  private func symbol(_ e: Entry) -> Symbol {
    Symbol(
      address: e.address, name: string(e.nameStart, e.nameLength),
      module: e.moduleLength > 0 ? string(e.moduleStart, e.moduleLength) : nil,
      type: Character(Unicode.Scalar(e.type)))
  }

  /// True when every address reads as zero (kptr_restrict hides them from this user).
  public var addressesHidden: Bool { !entries.isEmpty && entries.allSatisfy { $0.address == 0 } }

  /// The text symbol (`t`/`T`) named `name`, if the kernel has one (a function inlined everywhere,
  /// renamed, or not built has none).
  public func function(named name: String) -> Symbol? { first(named: name, types: [0x74, 0x54]) }

  /// The data symbol (`d`/`D`, `b`/`B`) named `name`: kallsyms lists them only with
  /// `CONFIG_KALLSYMS_ALL`.
  public func data(named name: String) -> Symbol? { first(named: name, types: [0x64, 0x44, 0x62, 0x42]) }

  private func first(named name: String, types: [UInt8]) -> Symbol? {
    let wanted = Array(name.utf8)
    return bytes.withUnsafeBufferPointer { b in
      for e in entries where Int(e.nameLength) == wanted.count && types.contains(e.type) {
        var same = true
        for (offset, c) in wanted.enumerated() where b[Int(e.nameStart) + offset] != c {
          same = false
          break
        }
        if same { return symbol(e) }
      }
      return nil
    }
  }

  /// The symbol containing `address` and the offset into it.
  public func lookup(_ address: UInt64) -> (symbol: Symbol, offset: UInt64)? {
    var low = 0
    var high = entries.count
    while low < high {
      let mid = (low + high) / 2
      if entries[mid].address <= address { low = mid + 1 } else { high = mid }
    }
    guard low > 0 else { return nil }
    let e = entries[low - 1]
    guard e.address != 0 else { return nil }
    return (symbol(e), address - e.address)
  }

  /// `func+off` with a decimal offset, as bpftrace's `kstack` prints; the address in hex when no
  /// symbol contains it.
  public func name(of address: UInt64) -> String {
    guard let (symbol, offset) = lookup(address) else { return "0x" + String(address, radix: 16) }
    return "\(symbol.name)+\(offset)"
  }
}
