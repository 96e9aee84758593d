#!/bin/bash
# Benchmark (not a test): tdptrace's libdw symbolizer against binutils' addr2line on the same
# addresses, in the same run, alternating. Checks both give the same chains, then prints wall and
# CPU medians, max RSS and the speed-up. Real objects with unique addresses first (the cases
# the goal is about), the cached case last:
#
#   1. kvm.ko (Debian 6.1.0-50, fixtures/debuginfo/): N_KVM random `func+off` return addresses
#      over its .text function symbols (mostly unique: every address is a new lookup), as
#      `tdptrace symbolize --module kvm=kvm.ko` SPECs and as addr2line's st_value+off-1 in .text
#      (scripts/vm/addr2line-chains.sh's arithmetic). Also `fold --module` on a bpftrace
#      capture made of the same frames, for the cost per unique frame through the fold path.
#   2. Optional, VMLINUX=path: a full vmlinux with DWARF (Debian's linux-image-*-dbg ships it
#      as usr/lib/debug/boot/vmlinux-*; 600 MB, so it is not in the repo), N_VMLINUX random
#      return addresses the same way, as `tdptrace symbolize --vmlinux` SPECs.
#   3. The inline fixture (fixtures/inline/nested.c, gcc -O2 -g): N addresses over every byte of
#      three functions, 144 unique: the cached case, measuring the per-SPEC cache and start-up.
#
#   scripts/bench-symbolize.sh [N]          N fixture addresses (default 100000)
#   N_KVM=20000 RUNS=5 TDPTRACE=.build/release/tdptrace scripts/bench-symbolize.sh
#   KVM_KO=path/to/kvm.ko(.xz) scripts/bench-symbolize.sh
#   VMLINUX=path/to/vmlinux-6.1.0-50-amd64 N_VMLINUX=20000 scripts/bench-symbolize.sh
#
# To get that vmlinux without unpacking the whole 5 GB package:
#   apt-get download linux-image-6.1.0-50-amd64-dbg
#   dpkg-deb --fsys-tarfile linux-image-6.1.0-50-amd64-dbg_*.deb |
#     tar -x --wildcards '*/boot/vmlinux-6.1.0-50-amd64'
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
N_KVM=${N_KVM:-20000}
N_VMLINUX=${N_VMLINUX:-20000}
VMLINUX=${VMLINUX:-}
RUNS=${RUNS:-5}
TDPTRACE=${TDPTRACE:-.build/release/tdptrace}
KVM_KO=${KVM_KO:-fixtures/debuginfo/kvm-6.1.0-50-amd64.ko.xz}
if [ ! -x "$TDPTRACE" ]; then
  echo "building $TDPTRACE (swift build -c release)" >&2
  swift build -c release --product tdptrace >&2
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# timed NAME CMD... < input > output: appends "wall cpu rss_kb" to $WORK/NAME.times.
timed() {
  local name=$1
  shift
  /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "$@"
  awk '{ printf "%s %.3f %s\n", $1, $2 + $3, $4 }' "$WORK/time" >> "$WORK/$name.times"
}
# median NAME COLUMN: the median of RUNS values (the middle one; the lower middle for even RUNS).
median() { awk -v c="$2" '{ print $c }' "$WORK/$1.times" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
summary() { # summary NAME LABEL ADDRESSES
  local wall cpu rss
  wall=$(median "$1" 1) cpu=$(median "$1" 2) rss=$(median "$1" 3)
  awk -v l="$2" -v n="$3" -v w="$wall" -v c="$cpu" -v r="$rss" 'BEGIN {
    printf "  %-22s wall %.3f s  cpu %.3f s  (%.1f us/address wall)  max RSS %.0f MB\n", l, w, c, w * 1e6 / n, r / 1024 }'
}
speedup() { # speedup BASELINE NAME
  awk -v aw="$(median "$1" 1)" -v ac="$(median "$1" 2)" -v tw="$(median "$2" 1)" -v tc="$(median "$2" 2)" \
    'BEGIN { printf "  speed-up: wall %.2fx  cpu %.2fx\n", aw / tw, ac / tc }'
}

# --- 1. kvm.ko, random return addresses ------------------------------------------------------
case "$KVM_KO" in
  *.xz) xz -dc "$KVM_KO" > "$WORK/kvm.ko" ;;
  *) cp "$KVM_KO" "$WORK/kvm.ko" ;;
esac
KO=$WORK/kvm.ko
text=$(readelf -SW "$KO" | sed -n 's/^ *\[ *\([0-9]*\)\] \.text .*/\1/p')
# Function symbols in .text with a size, names that occur once (tdptrace refuses ambiguous ones).
readelf -sW "$KO" | awk -v t="$text" '$4 == "FUNC" && $7 == t && $3 > 0 { print $8, $2, $3 }' |
  sort -k1,1 | awk '{ n[$1]++; l[$1] = $0 } END { for (k in n) if (n[k] == 1) print l[k] }' | sort > "$WORK/kvm.funcs"
# A random symbol, then a random offset 1..size (a return address can be the end of a function
# ending in a call), from a seeded generator so runs compare. SPEC for tdptrace, st_value+off-1
# for addr2line.
python3 - "$N_KVM" "$WORK/kvm.funcs" > "$WORK/kvm.picks" <<'PY'
import random, sys
rng = random.Random(4242)
funcs = [line.split() for line in open(sys.argv[2])]
for _ in range(int(sys.argv[1])):
    name, value, size = rng.choice(funcs)
    off = rng.randint(1, int(size))
    print("%s+%d %s %d" % (name, off, value, off))
PY
# Drop the specs DWARF has no function for (the emulator's assembly fastops, and a few
# functions GCC left only an abstract DIE for, such as kvm_vcpu_stats_release): tdptrace leaves
# those unresolved where addr2line falls back to the ELF symbol, so their output differs.
cut -d' ' -f1 "$WORK/kvm.picks" | "$TDPTRACE" symbolize --module kvm="$KO" 2> /dev/null |
  sed -n 's/^\([^ ]*\): not resolved .*/\1/p' | sort -u > "$WORK/kvm.unresolved" || true
awk 'NR == FNR { bad[$1] = 1; next } !($1 in bad)' "$WORK/kvm.unresolved" "$WORK/kvm.picks" > "$WORK/kvm.kept"
N_KVM=$(wc -l < "$WORK/kvm.kept")
mv "$WORK/kvm.kept" "$WORK/kvm.picks"
cut -d' ' -f1 "$WORK/kvm.picks" > "$WORK/kvm.specs"
while read -r _ value off; do printf '0x%x\n' $((16#$value + off - 1)); done < "$WORK/kvm.picks" > "$WORK/kvm.addresses"
KVM_UNIQUE=$(sort -u "$WORK/kvm.addresses" | wc -l)
# The same frames as a bpftrace capture: stacks of 8 frames, each frame used once, so folding
# resolves KVM_UNIQUE-ish unique frames (the top frame of a stack is looked up as is).
awk '{ f[NR] = $0 } END { for (i = 1; i + 7 <= NR; i += 8) { printf "@[\n"; for (j = i; j < i + 8; j++) printf "    %s\n", f[j]; printf "]: %d\n", i } }' \
  "$WORK/kvm.specs" > "$WORK/kvm.capture"

: > "$WORK/ka.times"; : > "$WORK/kt.times"; : > "$WORK/kf.times"
for _ in $(seq "$RUNS"); do
  timed ka addr2line -f -i -j .text -e "$KO" < "$WORK/kvm.addresses" > "$WORK/kvm.addr2line"
  timed kt "$TDPTRACE" symbolize --module kvm="$KO" --format addr2line < "$WORK/kvm.specs" > "$WORK/kvm.tdptrace"
  timed kf "$TDPTRACE" fold --module kvm="$KO" "$WORK/kvm.capture" > "$WORK/kvm.folded" 2> /dev/null
done
# Function names and line numbers must be identical. File names are compared by what both
# agree on: binutils prefixes the relative compilation directory, adds discriminators, and for
# some of kvm.ko's DWARF 5 line tables names the unit's file where libdw names the header
# (x86.c:1762 against include/trace/../../arch/x86/kvm/trace.h:1762), so only `:line` is kept.
strip_files() { sed -E -e 's/ \(discriminator [0-9]+\)$//' -e '0~2s/^.*:([0-9?]+)$/:\1/' "$1"; }
strip_files "$WORK/kvm.addr2line" > "$WORK/kvm.addr2line.norm"
strip_files "$WORK/kvm.tdptrace" > "$WORK/kvm.tdptrace.norm"
if ! cmp -s "$WORK/kvm.addr2line.norm" "$WORK/kvm.tdptrace.norm"; then
  echo "MISMATCH: tdptrace and addr2line chains differ on kvm.ko" >&2
  diff "$WORK/kvm.addr2line.norm" "$WORK/kvm.tdptrace.norm" | head -20 >&2
  exit 1
fi
# SAVE=DIR keeps tdptrace's outputs, to compare two builds byte for byte.
if [ -n "${SAVE:-}" ]; then
  mkdir -p "$SAVE"
  cp "$WORK/kvm.tdptrace" "$WORK/kvm.folded" "$WORK/kvm.specs" "$WORK/kvm.addresses" "$WORK/kvm.capture" "$SAVE/"
fi
echo "kvm.ko: $N_KVM return addresses ($KVM_UNIQUE unique; $(wc -l < "$WORK/kvm.unresolved") specs without DWARF dropped) over $(wc -l < "$WORK/kvm.funcs") .text functions," \
  "chains identical ($(wc -l < "$WORK/kvm.tdptrace") lines), median of $RUNS runs"
summary ka "addr2line -f -i" "$KVM_UNIQUE"
summary kt "tdptrace symbolize" "$KVM_UNIQUE"
speedup ka kt
summary kf "tdptrace fold --module" "$KVM_UNIQUE"
awk -v s="$(median kt 1)" -v f="$(median kf 1)" 'BEGIN { printf "  fold / symbolize: %.2fx per unique frame\n", f / s }'

# --- 2. optional: a full vmlinux, random return addresses -------------------------------------
if [ -n "$VMLINUX" ]; then
  V=$VMLINUX
  text=$(readelf -SW "$V" | sed -n 's/^ *\[ *\([0-9]*\)\] \.text .*/\1/p')
  # As for kvm.ko, and without the addresses two names share (assembly aliases such as
  # memset/__memset): addr2line names those by whichever ELF symbol it meets first, libdw by
  # the DWARF name, so the same chain would print under two names.
  readelf -sW "$V" | awk -v t="$text" '$4 == "FUNC" && $7 == t && $3 > 0 { print $8, $2, $3 }' |
    sort -k1,1 | awk '{ n[$1]++; l[$1] = $0; a[$2]++ } END {
      for (k in n) if (n[k] == 1) { split(l[k], f, " "); if (a[f[2]] == 1) print l[k] } }' | sort > "$WORK/vm.funcs"
  python3 - "$N_VMLINUX" "$WORK/vm.funcs" > "$WORK/vm.picks" <<'PY'
import random, sys
rng = random.Random(4242)
funcs = [line.split() for line in open(sys.argv[2])]
for _ in range(int(sys.argv[1])):
    name, value, size = rng.choice(funcs)
    off = rng.randint(1, int(size))
    print("%s+%d %s %d" % (name, off, value, off))
PY
  # Assembly without DWARF functions is dropped as for kvm.ko.
  cut -d' ' -f1 "$WORK/vm.picks" | "$TDPTRACE" symbolize --vmlinux "$V" 2> /dev/null |
    sed -n 's/^\([^ ]*\): not resolved .*/\1/p' | sort -u > "$WORK/vm.unresolved" || true
  awk 'NR == FNR { bad[$1] = 1; next } !($1 in bad)' "$WORK/vm.unresolved" "$WORK/vm.picks" > "$WORK/vm.kept"
  N_VM=$(wc -l < "$WORK/vm.kept")
  cut -d' ' -f1 "$WORK/vm.kept" > "$WORK/vm.specs"
  while read -r _ value off; do printf '0x%x\n' $((16#$value + off - 1)); done < "$WORK/vm.kept" > "$WORK/vm.addresses"
  VM_UNIQUE=$(sort -u "$WORK/vm.addresses" | wc -l)
  : > "$WORK/va.times"; : > "$WORK/vt.times"
  for _ in $(seq "$RUNS"); do
    timed va addr2line -f -i -e "$V" < "$WORK/vm.addresses" > "$WORK/vm.addr2line"
    timed vt "$TDPTRACE" symbolize --vmlinux "$V" --format addr2line < "$WORK/vm.specs" > "$WORK/vm.tdptrace"
  done
  strip_files "$WORK/vm.addr2line" > "$WORK/vm.addr2line.norm"
  strip_files "$WORK/vm.tdptrace" > "$WORK/vm.tdptrace.norm"
  if ! cmp -s "$WORK/vm.addr2line.norm" "$WORK/vm.tdptrace.norm"; then
    echo "MISMATCH: tdptrace and addr2line chains differ on $V" >&2
    diff "$WORK/vm.addr2line.norm" "$WORK/vm.tdptrace.norm" | head -20 >&2
    exit 1
  fi
  echo "vmlinux ($(basename "$V")): $N_VM return addresses ($VM_UNIQUE unique; $(wc -l < "$WORK/vm.unresolved") specs without DWARF dropped)" \
    "over $(wc -l < "$WORK/vm.funcs") .text functions, chains identical ($(wc -l < "$WORK/vm.tdptrace") lines), median of $RUNS runs"
  summary va "addr2line -f -i" "$VM_UNIQUE"
  summary vt "tdptrace symbolize" "$VM_UNIQUE"
  speedup va vt
fi

# --- 3. the inline fixture, 144 unique addresses (the cached case) ---------------------------
# An absolute source path: addr2line joins a relative one with the compilation directory,
# libdw prints it as the line table has it.
gcc -O2 -g -o "$WORK/nested" "$PWD/fixtures/inline/nested.c"
# N addresses spread over every byte of outer, sink and main (a fixed LCG, so runs compare).
readelf -sW "$WORK/nested" | awk '$4 == "FUNC" && ($8 == "outer" || $8 == "sink" || $8 == "main") {
  print $2, $3 }' | while read -r value size; do echo "$((16#$value)) $size"; done > "$WORK/functions"
awk -v n="$N" '
  { start[NR] = $1; size[NR] = $2; total += $2 }
  END {
    seed = 12345
    for (i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648
      pick = int(seed / 65536) % total
      for (f = 1; pick >= size[f]; f++) pick -= size[f]
      printf "0x%x\n", start[f] + pick
    }
  }' "$WORK/functions" > "$WORK/addresses"
UNIQUE=$(sort -u "$WORK/addresses" | wc -l)
: > "$WORK/a.times"; : > "$WORK/t.times"
for _ in $(seq "$RUNS"); do
  timed a addr2line -f -i -e "$WORK/nested" < "$WORK/addresses" > "$WORK/addr2line.out"
  timed t "$TDPTRACE" symbolize -e "$WORK/nested" --exact --format addr2line < "$WORK/addresses" > "$WORK/tdptrace.out"
done
sed -E 's/ \(discriminator [0-9]+\)$//' "$WORK/addr2line.out" > "$WORK/addr2line.norm"
if ! cmp -s "$WORK/addr2line.norm" "$WORK/tdptrace.out"; then
  echo "MISMATCH: tdptrace and addr2line chains differ on the fixture" >&2
  diff "$WORK/addr2line.norm" "$WORK/tdptrace.out" | head -20 >&2
  exit 1
fi
echo "fixture (cached): $N addresses ($UNIQUE unique), chains identical ($(wc -l < "$WORK/tdptrace.out") lines), median of $RUNS runs"
summary a "addr2line -f -i" "$N"
summary t "tdptrace symbolize" "$N"
speedup a t
