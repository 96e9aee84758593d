import CLibdw

/// A compilation unit's line table (libdw's, sorted by address) with every 16th row's address
/// copied into one dense array. `dwarf_getsrc_die` binary-searches libdw's rows of about 40
/// bytes each, and over a large unit nearly every step of it is a cache miss: a microsecond
/// per address on kvm.ko's x86.c. Here the search runs over the small sampled array, then
/// scans one block of 16 neighbouring rows.
///
/// The row found is the one `dwarf_getsrc_die` returns: the last row whose address is at or
/// below the address, or none when that row ends a sequence (a gap between sequences) or
/// no row is that low.
struct LineTableIndex {
  private static let blockSize = 16

  private let lines: OpaquePointer?
  private let count: Int
  /// The address of rows 0, 16, 32, ...
  private let blockStarts: [UInt64]

  init(cu: UnsafeMutablePointer<Dwarf_Die>) {
    var lines: OpaquePointer?
    var count = 0
    if dwarf_getsrclines(cu, &lines, &count) != 0 {
      lines = nil
      count = 0
    }
    self.lines = lines
    self.count = count
    var starts: [UInt64] = []
    starts.reserveCapacity((count + Self.blockSize - 1) / Self.blockSize)
    for row in stride(from: 0, to: count, by: Self.blockSize) {
      starts.append(Self.address(lines, row))
    }
    blockStarts = starts
  }

  private static func address(_ lines: OpaquePointer?, _ row: Int) -> UInt64 {
    var address: Dwarf_Addr = 0
    _ = dwarf_lineaddr(dwarf_onesrcline(lines, row), &address)
    return address
  }

  /// The row for `pc` (a unit-relative address, as the unit's DIEs give them), or nil.
  func row(at pc: UInt64) -> OpaquePointer? {
    guard let lines, count > 0 else { return nil }
    // The last block starting at or below pc; rows of later blocks all start above it.
    var lo = 0
    var hi = blockStarts.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if blockStarts[mid] <= pc { lo = mid + 1 } else { hi = mid }
    }
    var row = max(lo - 1, 0) * Self.blockSize
    let end = min(row + Self.blockSize, count)
    while row + 1 < end && Self.address(lines, row + 1) <= pc { row += 1 }
    guard let line = dwarf_onesrcline(lines, row), Self.address(lines, row) <= pc else { return nil }
    var endsSequence = false
    guard dwarf_lineendsequence(line, &endsSequence) == 0, !endsSequence else { return nil }
    return line
  }
}
