#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <dwarf.h>
#include <gelf.h>

/// A libdwfl session for files on disk (not a live process): modules are reported with
/// dwfl_report_offline, which lays ET_REL objects such as kernel modules out at distinct
/// addresses and applies their relocations, including those of the DWARF sections. Separate
/// debug files are found the standard way (build-id, .gnu_debuglink, /usr/lib/debug).
/// Kept in C because the callbacks table must outlive the session and hold C function pointers.
static inline Dwfl *tdp_dwfl_begin_offline(void) {
  static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = NULL,
  };
  return dwfl_begin(&callbacks);
}
