import CLibdw

#if canImport(Glibc)
  import Glibc
#endif

/// Applies an x86-64 kernel module's relocations to its DWARF sections before libdwfl would,
/// so that `dwfl_module_getdwarf` finds them done.
///
/// Why: libdwfl relocates one entry at a time through libelf's type conversions and a symbol
/// lookup each (`relocate_section` in libdwfl/relocate.c); kvm.ko's debug sections have about
/// 350,000 entries, and that pass was two thirds of `symbolize`'s start-up on it. Here each
/// entry is one load, one cached symbol value and one store.
///
/// The values are libdwfl's own: a symbol in an allocated section is placed where libdwfl
/// places it (`dwfl_module_getsym_info`'s address, the one `relocate_getsym` computes), a
/// symbol in a debug section is its section offset. A relocation section is marked done
/// (size 0, as libdwfl marks those it finished) only when every entry in it was applied;
/// any entry of a kind not handled here (another machine, another relocation type, an
/// undefined symbol, an offset out of bounds, compressed sections) leaves the whole section
/// to libdwfl, which writes the same values again: RELA entries are stores, not additions.
enum DebugRelocation {
  private static let rX86_64_64: UInt32 = 1
  private static let rX86_64_32: UInt32 = 10
  private static let rX86_64_32S: UInt32 = 11

  /// Relocates what it can of `module`'s debug sections; does nothing for anything but a
  /// little-endian x86-64 ET_REL file whose symbols and DWARF are in the same file.
  static func apply(module: OpaquePointer) {
    guard dwfl_module_getsymtab(module) > 0 else { return }
    var sym = GElf_Sym()
    var address: GElf_Addr = 0
    var shndx: GElf_Word = 0
    var symbolElf: OpaquePointer?
    var bias: Dwarf_Addr = 0
    // The symbol table's file without `dwfl_module_getelf`, which would relocate everything.
    guard dwfl_module_getsym_info(module, 1, &sym, &address, &shndx, &symbolElf, &bias) != nil,
      let elf = symbolElf
    else { return }
    var header = GElf_Ehdr()
    guard gelf_getehdr(elf, &header) != nil, header.e_type == UInt16(ET_REL),
      header.e_machine == UInt16(EM_X86_64), header.e_ident.4 == UInt8(ELFCLASS64),
      header.e_ident.5 == UInt8(ELFDATA2LSB)
    else { return }
    var shstrndx = 0
    guard elf_getshdrstrndx(elf, &shstrndx) == 0 else { return }
    var values = SymbolValues(module: module, elf: elf)
    var scn = elf_nextscn(elf, nil)
    while let relocations = scn {
      scn = elf_nextscn(elf, relocations)
      var shdr = GElf_Shdr()
      guard gelf_getshdr(relocations, &shdr) != nil, shdr.sh_type == UInt32(SHT_RELA), shdr.sh_size > 0,
        shdr.sh_entsize == 24, let target = elf_getscn(elf, Int(shdr.sh_info))
      else { continue }
      var targetHeader = GElf_Shdr()
      guard gelf_getshdr(target, &targetHeader) != nil,
        targetHeader.sh_flags & UInt64(SHF_ALLOC) == 0,
        targetHeader.sh_flags & UInt64(SHF_COMPRESSED) == 0,
        targetHeader.sh_type != UInt32(SHT_NOBITS), targetHeader.sh_size > 0,
        let name = elf_strptr(elf, shstrndx, Int(targetHeader.sh_name)),
        strncmp(name, ".debug_", 7) == 0
      else { continue }
      if relocate(relocations, into: target, symbols: &values) {
        shdr.sh_size = 0
        _ = gelf_update_shdr(relocations, &shdr)
      }
    }
  }

  /// Applies every entry of `relocations` to `target`; false (with some entries perhaps
  /// applied) when one cannot be applied here.
  private static func relocate(
    _ relocations: OpaquePointer, into target: OpaquePointer, symbols: inout SymbolValues
  ) -> Bool {
    // The same buffers libdwfl uses: the raw target data, which libdw later reads.
    guard let data = elf_rawdata(target, nil), let base = data.pointee.d_buf,
      let entries = elf_getdata(relocations, nil), entries.pointee.d_type == ELF_T_RELA,
      let table = entries.pointee.d_buf
    else { return false }
    let size = data.pointee.d_size
    let count = entries.pointee.d_size / 24
    for index in 0..<count {
      let entry = table + index * 24
      let offset = entry.loadUnaligned(as: UInt64.self)
      let info = entry.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
      let addend = entry.loadUnaligned(fromByteOffset: 16, as: Int64.self)
      let type = UInt32(truncatingIfNeeded: info)
      if type == 0 { continue }  // R_X86_64_NONE, as libdwfl skips it.
      guard let value = symbols.value(Int(info >> 32)) else { return false }
      let result = value &+ UInt64(bitPattern: addend)
      switch type {
      case rX86_64_64:
        guard offset <= UInt64(size), UInt64(size) - offset >= 8 else { return false }
        (base + Int(offset)).storeBytes(of: result, toByteOffset: 0, as: UInt64.self)
      case rX86_64_32, rX86_64_32S:
        guard offset <= UInt64(size), UInt64(size) - offset >= 4 else { return false }
        (base + Int(offset)).storeBytes(
          of: UInt32(truncatingIfNeeded: result), toByteOffset: 0, as: UInt32.self)
      default:
        return false
      }
    }
    return true
  }

  /// Relocation symbol values by symbol index, looked up once each: nearly every entry names
  /// one of a few section symbols (`.debug_str`, `.text`, ...). Flat arrays, not a
  /// dictionary: hashing the index for each of 350,000 entries was most of this pass.
  private struct SymbolValues {
    let module: OpaquePointer
    let elf: OpaquePointer
    /// The ELF symbol table, to check that libdwfl's symbol index is the file's.
    private let table: UnsafeMutablePointer<Elf_Data>?
    private var values: [UInt64]
    /// 0 not looked up yet, 1 known, 2 not relocatable here.
    private var states: [UInt8]

    init(module: OpaquePointer, elf: OpaquePointer) {
      self.module = module
      self.elf = elf
      var table: UnsafeMutablePointer<Elf_Data>?
      var count = 0
      var scn = elf_nextscn(elf, nil)
      while let current = scn, table == nil {
        var header = GElf_Shdr()
        if gelf_getshdr(current, &header) != nil, header.sh_type == UInt32(SHT_SYMTAB), header.sh_entsize > 0
        {
          table = elf_getdata(current, nil)
          count = Int(header.sh_size / header.sh_entsize)
        }
        scn = elf_nextscn(elf, current)
      }
      self.table = table
      values = [UInt64](repeating: 0, count: count)
      states = [UInt8](repeating: 0, count: count)
    }

    mutating func value(_ index: Int) -> UInt64? {
      if index == 0 { return 0 }  // STN_UNDEF: debug sections start at 0, as libdwfl has it.
      guard index < states.count else { return nil }
      switch states[index] {
      case 1: return values[index]
      case 2: return nil
      default:
        guard let found = lookUp(index) else {
          states[index] = 2
          return nil
        }
        values[index] = found
        states[index] = 1
        return found
      }
    }

    private func lookUp(_ index: Int) -> UInt64? {
      var raw = GElf_Sym()
      guard index < Int(Int32.max), let table, gelf_getsym(table, Int32(index), &raw) != nil else {
        return nil
      }
      let shndx = UInt32(raw.st_shndx)
      guard shndx != UInt32(SHN_UNDEF), shndx < UInt32(SHN_LORESERVE),
        let section = elf_getscn(elf, Int(shndx))
      else { return nil }
      var header = GElf_Shdr()
      guard gelf_getshdr(section, &header) != nil else { return nil }
      // libdwfl moves only allocated sections; the others (the debug sections) stay at 0.
      if header.sh_flags & UInt64(SHF_ALLOC) == 0 { return raw.st_value }
      var sym = GElf_Sym()
      var address: GElf_Addr = 0
      var dwflShndx: GElf_Word = 0
      var symbolElf: OpaquePointer?
      var bias: Dwarf_Addr = 0
      guard
        dwfl_module_getsym_info(module, Int32(index), &sym, &address, &dwflShndx, &symbolElf, &bias) != nil,
        symbolElf == elf, dwflShndx == shndx, sym.st_name == raw.st_name, sym.st_value == raw.st_value
      else { return nil }
      return address
    }
  }
}
