#!/bin/bash
# The inline truth for captured kvm.ko frames, from binutils (independent of tdptrace's libdw).
#   addr2line-chains.sh KVM_KO KALLSYMS_KVM FOLDED...
# FOLDED: "probe<TAB>leaf;...;root<TAB>count" (scripts/vm/bpftrace-fold.awk). For every distinct
# kvm-module return address func+off below the top frame, prints
#   func+off<TAB>outer;...;inner
# where the chain is what `addr2line -f -i` gives for st_value(func) + off - 1 in .text
# (a return address points after the call, so look up the byte before it, as perf and pprof do).
set -euo pipefail
KO="$1" KALLSYMS="$2"
shift 2
text=$(readelf -SW "$KO" | sed -n 's/^ *\[ *\([0-9]*\)\] \.text .*/\1/p')
[ -n "$text" ] || { echo "addr2line-chains: no .text in $KO" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk '$2 == "[kvm]" {print $1}' "$KALLSYMS" | sort -u >"$tmp/syms"
readelf -sW "$KO" | awk -v t="$text" '$4 == "FUNC" && $7 == t {print $8, $2}' | sort -k1,1 -u >"$tmp/vals"
# Every frame below each stack's top (the top is the probed function's entry, not a return
# address) that belongs to kvm and has a .text symbol.
awk -F'\t' '{ n = split($2, f, ";"); for (i = 2; i <= n; i++) print f[i] }' "$@" | sort -u |
  awk -v syms="$tmp/syms" -v vals="$tmp/vals" '
    BEGIN { while ((getline l < syms) > 0) kvm[l] = 1
            while ((getline l < vals) > 0) { split(l, a, " "); val[a[1]] = a[2] } }
    { fn = $0; off = $0; sub(/\+.*/, "", fn); sub(/^[^+]*\+/, "", off)
      if ((fn in kvm) && (fn in val) && off ~ /^[0-9]+$/) print $0, val[fn], off }' |
  while read -r frame val off; do printf '%s 0x%x\n' "$frame" $((16#$val + off - 1)); done >"$tmp/addrs"
[ -s "$tmp/addrs" ] || exit 0
cut -d' ' -f2 "$tmp/addrs" | addr2line -a -f -i -j .text -e "$KO" |
  awk -v addrs="$tmp/addrs" '
    BEGIN { while ((getline l < addrs) > 0) { split(l, a, " "); frame[++n] = a[1] } }
    function flush() { if (k) { s = ""; for (j = m; j >= 1; j--) s = s (s == "" ? "" : ";") c[j]; print frame[k] "\t" s } }
    /^0x[0-9a-f]+$/ { flush(); k++; m = 0; odd = 1; next }
    { if (odd) c[++m] = $0; odd = !odd }
    END { flush() }'
