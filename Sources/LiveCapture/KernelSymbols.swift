import Foundation

/// `/proc/kallsyms` (modules included) as a sorted table, for `func+off` names the way bpftrace
/// prints them (decimal offsets).
public struct KernelSymbols: Sendable {
  public struct Symbol: Sendable, Hashable {
    public var address: UInt64
    public var name: String
    /// `nil` for vmlinux, else the module in brackets (`kvm`, `bpf` for BPF programs).
    public var module: String?
    public var type: Character
  }

  /// Sorted by address.
  public private(set) var symbols: [Symbol]
  private var byName: [String: Int] = [:]

  /// Parses kallsyms text. Lines that do not look like `ADDR TYPE NAME [MODULE]` are ignored:
  /// the file is the kernel's, not user input.
  public init(text: String) {
    var list: [Symbol] = []
    list.reserveCapacity(200_000)
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
      let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
      guard fields.count >= 3, let address = UInt64(fields[0], radix: 16), let type = fields[1].first else {
        continue
      }
      var module: String? = nil
      var name = String(fields[2])
      if fields.count == 4 {
        let rest = fields[3].trimmingCharacters(in: .whitespaces)
        if rest.hasPrefix("[") && rest.hasSuffix("]") { module = String(rest.dropFirst().dropLast()) }
      }
      if let tab = name.firstIndex(of: "\t") {  // "name\t[module]" on some kernels
        let rest = name[name.index(after: tab)...]
        if rest.hasPrefix("[") && rest.hasSuffix("]") { module = String(rest.dropFirst().dropLast()) }
        name = String(name[..<tab])
      }
      list.append(Symbol(address: address, name: name, module: module, type: type))
    }
    list.sort { $0.address < $1.address }
    symbols = list
    for (i, symbol) in list.enumerated() where symbol.type == "t" || symbol.type == "T" {
      if byName[symbol.name] == nil { byName[symbol.name] = i }
    }
  }

  /// Reads `/proc/kallsyms` (or another path, for tests).
  public static func load(path: String = "/proc/kallsyms") throws(LiveCaptureError) -> (KernelSymbols, String) {
    // procfs files report size 0, so read until EOF rather than by size.
    guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.readToEnd() else {
      throw .io("cannot read \(path)")
    }
    try? handle.close()
    let text = String(decoding: data, as: UTF8.self)
    return (KernelSymbols(text: text), text)
  }

  /// True when every address reads as zero (kptr_restrict hides them from this user).
  public var addressesHidden: Bool { !symbols.isEmpty && symbols.allSatisfy { $0.address == 0 } }

  /// The text symbol named `name`, if the kernel has one (a function that was inlined everywhere
  /// or renamed has none).
  public func function(named name: String) -> Symbol? { byName[name].map { symbols[$0] } }

  /// The symbol containing `address` and the offset into it.
  public func lookup(_ address: UInt64) -> (symbol: Symbol, offset: UInt64)? {
    var low = 0
    var high = symbols.count
    while low < high {
      let mid = (low + high) / 2
      if symbols[mid].address <= address { low = mid + 1 } else { high = mid }
    }
    guard low > 0 else { return nil }
    let symbol = symbols[low - 1]
    guard symbol.address != 0 else { return nil }
    return (symbol, address - symbol.address)
  }

  /// `func+off` with a decimal offset, as bpftrace's `kstack` prints; the address in hex when no
  /// symbol contains it.
  public func name(of address: UInt64) -> String {
    guard let (symbol, offset) = lookup(address) else { return "0x" + String(address, radix: 16) }
    return "\(symbol.name)+\(offset)"
  }
}
