import CLibdw

#if canImport(Glibc)
  import Glibc
#endif

/// One ELF file with debug information (vmlinux, a kernel module, an executable or library),
/// opened through libdwfl. Addresses are libdwfl's: for relocatable kernel modules libdwfl
/// places each section and applies the relocations itself, so callers never do that
/// arithmetic; they look symbols up by name and add offsets.
public final class DebugObject {
  /// A function symbol from the ELF symbol table, at its libdwfl address.
  public struct Symbol: Hashable, Sendable {
    public var address: UInt64
    public var size: UInt64
  }

  /// What frames name this object by: `vmlinux`, `kvm`, or a DSO's file name.
  public let name: String
  public let path: String
  /// False for an object whose symbols are readable but which has no DWARF (and no separate
  /// debug file was found): its frames are counted as unresolved.
  public private(set) var hasDWARF: Bool

  private let dwfl: OpaquePointer
  private let module: OpaquePointer
  /// The file the DWARF is read from (the object itself unless a separate debug file was
  /// found), for its ELF header and section table.
  private let elf: OpaquePointer?
  /// Every function name with its symbol, or `.ambiguous`: one hash per lookup.
  private var symbols: [String: SymbolLookup]?

  /// Opens `path`. Throws for a missing file, a file that is not ELF, or one libdwfl rejects
  /// (truncated, corrupt); an ELF without DWARF opens with `hasDWARF == false`.
  public init(name: String, path: String) throws(DebuginfoError) {
    self.name = name
    self.path = path
    try Self.checkELFMagic(path)
    guard let dwfl = tdp_dwfl_begin_offline() else {
      throw DebuginfoError(path: path, reason: .unreadable(Self.lastError()))
    }
    dwfl_report_begin(dwfl)
    guard let module = dwfl_report_offline(dwfl, name, path, -1) else {
      let why = Self.lastError()
      dwfl_end(dwfl)
      throw DebuginfoError(path: path, reason: .unreadable(why))
    }
    dwfl_report_end(dwfl, nil, nil)
    // DWARF first, and its ELF handle from libdw rather than from `dwfl_module_getelf`: for a
    // relocatable object (a kernel module) `dwfl_module_getelf` applies every relocation
    // section again, code and data too, erasing each applied entry as it goes, even when
    // `dwfl_module_getdwarf` already relocated the debug sections (libdwfl keeps one flag
    // for each). On kvm.ko that second pass was a fifth of a run over 17k unique addresses.
    // libelf bounds-checks each section it reads, so a truncated file fails here cleanly and
    // `checkSections` then says why.
    DebugRelocation.apply(module: module)
    var bias: Dwarf_Addr = 0
    let dwarf = dwfl_module_getdwarf(module, &bias)
    var elfBias: GElf_Addr = 0
    let elf = dwarf.flatMap { dwarf_getelf($0) } ?? dwfl_module_getelf(module, &elfBias)
    do {
      try Self.checkSections(elf, path: path)
    } catch {
      dwfl_end(dwfl)
      throw error
    }
    self.dwfl = dwfl
    self.module = module
    self.elf = elf
    hasDWARF = dwarf != nil
  }

  deinit { dwfl_end(dwfl) }

  /// True for relocatable objects (kernel modules), whose file addresses are section offsets.
  public private(set) lazy var isRelocatable: Bool = {
    guard let elf else { return false }
    var header = GElf_Ehdr()
    guard gelf_getehdr(elf, &header) != nil else { return false }
    return header.e_type == UInt16(ET_REL)
  }()

  /// libdwfl's address for an ELF virtual address of an executable or shared library
  /// (libdwfl places offline objects above a red zone, so the two differ by the load bias).
  public func address(ofFileAddress fileAddress: UInt64) -> UInt64 { fileAddress &+ loadBias }

  /// The ELF virtual address of a libdwfl address (inverse of `address(ofFileAddress:)`).
  public func fileAddress(of address: UInt64) -> UInt64 { address &- loadBias }

  /// Asked only for executables and libraries, where `dwfl_module_getelf` relocates nothing.
  private lazy var loadBias: UInt64 = {
    var bias: GElf_Addr = 0
    _ = dwfl_module_getelf(module, &bias)
    return bias
  }()

  private static func lastError() -> String {
    guard let message = dwfl_errmsg(-1) else { return "unknown libdwfl error" }
    return String(cString: message)
  }

  /// libelf accepts some non-ELF files as "ELF_K_NONE" and libdwfl then reports a vague error;
  /// checking the magic first gives the user a clear one.
  private static func checkELFMagic(_ path: String) throws(DebuginfoError) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
      let code = errno
      if code == ENOENT { throw DebuginfoError(path: path, reason: .missing) }
      throw DebuginfoError(path: path, reason: .unreadable(String(cString: strerror(code))))
    }
    defer { close(fd) }
    var header = [UInt8](repeating: 0, count: 64)
    let got = header.withUnsafeMutableBytes { read(fd, $0.baseAddress, 64) }
    let magic = Array(header.prefix(4))
    if got < 0 {
      throw DebuginfoError(path: path, reason: .unreadable(String(cString: strerror(errno))))
    }
    // libdwfl decompresses xz, gzip, bzip2 and zstd images itself (`vmlinux.xz`, `kvm.ko.xz`).
    let accepted: [[UInt8]] = [
      [0x7f, 0x45, 0x4c, 0x46], [0xfd, 0x37, 0x7a, 0x58], [0x28, 0xb5, 0x2f, 0xfd],
    ]
    let short: [[UInt8]] = [[0x1f, 0x8b], [0x42, 0x5a]]
    guard got >= 4, accepted.contains(magic) || short.contains(Array(magic.prefix(2))) else {
      throw DebuginfoError(path: path, reason: .notELF)
    }
    guard magic == [0x7f, 0x45, 0x4c, 0x46] else { return }
    // A truncated ELF loses its section headers first (they sit at the end of the file), and
    // libelf then reports "no sections" rather than the truncation.
    var info = stat()
    guard fstat(fd, &info) == 0 else { return }
    let size = UInt64(info.st_size)
    let is64 = header[4] == 2
    let minimum = is64 ? 64 : 52
    guard got >= minimum else {
      throw DebuginfoError(path: path, reason: .unreadable("truncated ELF header (\(size) bytes)"))
    }
    func field(_ offset: Int, _ width: Int) -> UInt64 {
      var value: UInt64 = 0
      let bigEndian = header[5] == 2
      for i in 0..<width {
        let byte = UInt64(header[offset + (bigEndian ? i : width - 1 - i)])
        value = value << 8 | byte
      }
      return value
    }
    let sectionHeaders = is64 ? field(0x28, 8) : field(0x20, 4)
    let entrySize = is64 ? field(0x3a, 2) : field(0x2e, 2)
    let entries = is64 ? field(0x3c, 2) : field(0x30, 2)
    let end = sectionHeaders &+ entrySize &* entries
    if sectionHeaders != 0 && end > size {
      throw DebuginfoError(
        path: path,
        reason: .unreadable("truncated: section headers end at byte \(end) but the file has \(size)"))
    }
  }

  /// Sections whose contents reach past the end of the file (a file cut short, or whose
  /// headers lie), checked once libelf has read the headers.
  private static func checkSections(_ elf: OpaquePointer?, path: String) throws(DebuginfoError) {
    guard let elf else { return }
    var size = 0
    guard let image = elf_rawfile(elf, &size), size > 0 else { return }
    _ = image
    var section = elf_nextscn(elf, nil)
    while let current = section {
      var header = GElf_Shdr()
      if gelf_getshdr(current, &header) != nil, header.sh_type != UInt32(SHT_NOBITS),
        header.sh_offset &+ header.sh_size > UInt64(size)
      {
        throw DebuginfoError(
          path: path,
          reason: .unreadable(
            "truncated: a section ends at byte \(header.sh_offset + header.sh_size) but the file has \(size)")
        )
      }
      section = elf_nextscn(elf, current)
    }
  }

  // MARK: Symbols

  /// The function called `name`, or nil. Names that more than one function symbol carries
  /// (static functions in different files) are refused: guessing would give a wrong chain.
  public func symbol(named name: String) -> SymbolLookup {
    if symbols == nil { loadSymbols() }
    return symbols?[name] ?? .notFound
  }

  public enum SymbolLookup: Hashable, Sendable {
    case found(Symbol)
    case notFound
    case ambiguous
  }

  private func loadSymbols() {
    var table: [String: (symbol: Symbol, type: UInt8)] = [:]
    var ambiguous: Set<String> = []
    let count = dwfl_module_getsymtab(module)
    if count > 0 {
      table.reserveCapacity(Int(count))
      for index in 1..<count {
        var sym = GElf_Sym()
        var address: GElf_Addr = 0
        var shndx: GElf_Word = 0
        guard
          let cName = dwfl_module_getsym_info(module, index, &sym, &address, &shndx, nil, nil)
        else { continue }
        let type = sym.st_info & 0xf
        // Functions, and untyped text labels (kernel entry code is written in assembly).
        guard type == UInt8(STT_FUNC) || type == UInt8(STT_NOTYPE) else { continue }
        guard shndx != UInt32(SHN_UNDEF), shndx != UInt32(SHN_ABS), cName.pointee != 0 else { continue }
        let name = String(cString: cName)
        let symbol = Symbol(address: address, size: sym.st_size)
        if let existing = table[name] {
          if existing.symbol.address == symbol.address { continue }
          if existing.type == UInt8(STT_FUNC) && type != UInt8(STT_FUNC) { continue }
          if existing.type != UInt8(STT_FUNC) && type == UInt8(STT_FUNC) {
            table[name] = (symbol, type)
            continue
          }
          ambiguous.insert(name)
          continue
        }
        table[name] = (symbol, type)
      }
    }
    var lookups: [String: SymbolLookup] = [:]
    lookups.reserveCapacity(table.count)
    for (name, entry) in table {
      lookups[name] = ambiguous.contains(name) ? .ambiguous : .found(entry.symbol)
    }
    symbols = lookups
  }

  // MARK: DWARF

  /// The chain at `address` (a libdwfl address), outermost first, or nil when no compilation
  /// unit covers it. Mirrors `eu-addr2line -i`: the innermost scope DIE from `dwarf_getscopes`,
  /// then its physical parents from `dwarf_getscopes_die`, so each inlined instance leads to
  /// the function it was inlined into rather than to its abstract definition.
  ///
  /// Not cached here: both callers already keep what they resolved (`DwarfSymbolizer.resolve`
  /// by frame, `symbolize` by SPEC), and on unique addresses a third cache by address only
  /// cost its inserts and memory.
  public func scopes(at address: UInt64) -> [InlineScope]? {
    guard hasDWARF else { return nil }
    var bias: Dwarf_Addr = 0
    guard let cu = dwfl_module_addrdie(module, address, &bias) else { return nil }
    let pc = address &- bias
    let index = unitIndex(cu)
    if let innermost = index.innermost(at: pc) {
      var (file, line) = sourceLine(index.lines.row(at: pc))
      var chain: [InlineScope] = []
      chain.reserveCapacity(Int(index.nodes[innermost].depth) + 1)
      var current: Int? = innermost
      while let at = current {
        let node = index.nodes[at]
        chain.append(
          InlineScope(function: index.function(at), isInlined: node.isInlined, file: file, line: line))
        guard node.isInlined else { break }
        file = node.callFile >= 0 ? index.fileName(node.callFile) : nil
        line = node.callLine >= 0 ? Int(node.callLine) : nil
        current = node.parent >= 0 ? Int(node.parent) : nil
      }
      chain.reverse()
      return chain
    }
    return scopesFromDIEWalk(cu: cu, pc: pc)
  }

  private var unitIndexes: [Dwarf_Off: InlineTreeIndex] = [:]

  /// The unit's index, built on the first address the unit covers.
  private func unitIndex(_ cu: UnsafeMutablePointer<Dwarf_Die>) -> InlineTreeIndex {
    let unit = dwarf_dieoffset(cu)
    if let known = unitIndexes[unit] { return known }
    let index = InlineTreeIndex(cu: cu)
    unitIndexes[unit] = index
    return index
  }

  /// Line-table file names by libdw's string: a unit names few files, and making a Swift string
  /// for each address was a measurable part of a lookup.
  private var lineFileNames: [UnsafePointer<CChar>: String] = [:]

  /// The file and line of a line-table row: where the innermost scope's code is.
  private func sourceLine(_ row: OpaquePointer?) -> (String?, Int?) {
    guard let row else { return (nil, nil) }
    var file: String?
    if let cFile = dwarf_linesrc(row, nil, nil) {
      let key = UnsafePointer(cFile)
      if let known = lineFileNames[key] {
        file = known
      } else {
        file = String(cString: cFile)
        lineFileNames[key] = file
      }
    }
    var number: Int32 = 0
    return (file, dwarf_lineno(row, &number) == 0 ? Int(number) : nil)
  }

  /// The chain at `address` by libdw's DIE walk alone, without the unit's index: what the
  /// index must agree with, for tests.
  package func scopesByDIEWalk(at address: UInt64) -> [InlineScope]? {
    guard hasDWARF else { return nil }
    var bias: Dwarf_Addr = 0
    guard let cu = dwfl_module_addrdie(module, address, &bias) else { return nil }
    return scopesFromDIEWalk(cu: cu, pc: address &- bias)
  }

  /// The slow path, for units the index has no function for: `dwarf_getscopes` for the
  /// innermost scope, then its physical parents, as `eu-addr2line -i` does.
  private func scopesFromDIEWalk(cu: UnsafeMutablePointer<Dwarf_Die>, pc: Dwarf_Addr) -> [InlineScope]? {
    var found: UnsafeMutablePointer<Dwarf_Die>?
    let foundCount = dwarf_getscopes(cu, pc, &found)
    guard foundCount > 0, let found else {
      free(found)
      return nil
    }
    var innermost = found[0]
    free(found)
    var chainPointer: UnsafeMutablePointer<Dwarf_Die>?
    let count = dwarf_getscopes_die(&innermost, &chainPointer)
    guard count > 0, let chainPointer else {
      free(chainPointer)
      return nil
    }
    defer { free(chainPointer) }

    var files: OpaquePointer?
    var fileCount = 0
    if dwarf_getsrcfiles(cu, &files, &fileCount) != 0 { files = nil }

    // Innermost first while walking; reversed at the end.
    var chain: [InlineScope] = []
    // libdw's own line search, so that tests comparing this path with the index also check
    // `LineTableIndex` against `dwarf_getsrc_die`.
    var (file, line) = sourceLine(dwarf_getsrc_die(cu, pc))
    for index in 0..<Int(count) {
      let scope = chainPointer + index
      let tag = dwarf_tag(scope)
      guard tag == DW_TAG_inlined_subroutine || tag == DW_TAG_subprogram || tag == DW_TAG_entry_point
      else { continue }
      let name = dwarf_diename(scope).map { String(cString: $0) } ?? "??"
      let inlined = tag == DW_TAG_inlined_subroutine
      chain.append(InlineScope(function: name, isInlined: inlined, file: file, line: line))
      guard inlined else { break }
      // The next outer level is executing this call site.
      file = nil
      line = nil
      var attribute = Dwarf_Attribute()
      var value: Dwarf_Word = 0
      if let files, dwarf_attr(scope, UInt32(DW_AT_call_file), &attribute) != nil,
        dwarf_formudata(&attribute, &value) == 0, Int(value) < fileCount,
        let cFile = dwarf_filesrc(files, Int(value), nil, nil)
      {
        file = String(cString: cFile)
      }
      if dwarf_attr(scope, UInt32(DW_AT_call_line), &attribute) != nil,
        dwarf_formudata(&attribute, &value) == 0
      {
        line = Int(value)
      }
    }
    return chain.isEmpty ? nil : chain.reversed()
  }
}
