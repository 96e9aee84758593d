#!/bin/bash
# Checks captures from the test-bed guest (or the committed fixtures/qemu-tdp/) against what a
# real 6.1 TDP MMU must show. Runs on the host.
#   check-captures.sh CAPTURE_DIR [DEBUGINFO_DIR] [TDPTRACE]
# CAPTURE_DIR holds setup.txt, bpftrace-kprobe.txt, and when this tdptrace build has them
# tdptrace-kprobe.txt, tdptrace-fentry.txt, probes.txt. DEBUGINFO_DIR holds kvm.ko with DWARF.
# Prints one line per named check: PASS, FAIL (with the reason) or N/A (feature not in this
# build). Exits 1 when any check fails. With CHAINS_OUT set, the addr2line chains computed for
# the captured kvm frames are also written there.
set -uo pipefail
DIR="${1:?usage: check-captures.sh CAPTURE_DIR [DEBUGINFO_DIR] [TDPTRACE]}"
DBG="${2:-}"
TDP="${3:-}"
here="$(cd "$(dirname "$0")" && pwd)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npass=0 nfail=0 nna=0
pass() { echo "PASS $1${2:+: $2}"; npass=$((npass + 1)); }
fail() { echo "FAIL $1: $2"; nfail=$((nfail + 1)); }
na() { echo "N/A  $1: not available in this build ($2)"; nna=$((nna + 1)); }

# bpftrace text (@[probe, kstack]: count) -> "probe<TAB>leaf;...;root<TAB>count", one per entry.
fold_leaf_first() { awk -f "$here/bpftrace-fold.awk" "$1"; }
# The same with offsets dropped: "probe<TAB>names<TAB>count".
names_only() { sed -E 's/\+[0-9]+//g; s/\+0x[0-9a-f]+//g' "$1"; }

has_feature() { [ -n "$TDP" ] && "$TDP" "$1" --help 2>/dev/null | grep -q -- "$2"; }

# --- the guest itself -------------------------------------------------------------------
if grep -q 'tdp_mmu=Y' "$DIR/setup.txt" && grep -q 'npt=Y' "$DIR/setup.txt" &&
  grep -q '^kernel: 6\.1\.' "$DIR/setup.txt"; then
  pass guest.kvm-amd-tdp-mmu "$(sed -n 's/^kernel: //p' "$DIR/setup.txt"), tdp_mmu=Y, npt=Y"
else
  fail guest.kvm-amd-tdp-mmu "setup.txt lacks kernel 6.1 / tdp_mmu=Y / npt=Y"
fi
for f in tdp_mmu_zap_root handle_removed_pt tdp_mmu_map_handle_target_level; do
  if [ -f "$DIR/kallsyms-kvm.txt" ] && ! awk '{print $2}' "$DIR/kallsyms-kvm.txt" | grep -qx "$f"; then
    :
  else
    fail guest.inlined-not-in-kallsyms "$f is in kallsyms (or kallsyms-kvm.txt is missing)"
  fi
done
pass guest.inlined-not-in-kallsyms "tdp_mmu_zap_root, handle_removed_pt, tdp_mmu_map_handle_target_level absent"

# --- stack shapes ---------------------------------------------------------------------------
# Each: probe function # regex over leaf-first names (ERE) # what it is.
SHAPES='kvm_tdp_mmu_map # ^kvm_tdp_mmu_map;direct_page_fault;kvm_mmu_page_fault;(.*;)?kvm_arch_vcpu_ioctl_run;kvm_vcpu_ioctl(;|$) # map under direct_page_fault <- kvm_mmu_page_fault <- KVM_RUN
tdp_mmu_init_sp # ^tdp_mmu_init_sp;kvm_tdp_mmu_map;direct_page_fault; # init_sp under kvm_tdp_mmu_map (fault)
tdp_mmu_init_sp # ^tdp_mmu_init_sp;kvm_tdp_mmu_get_vcpu_root_hpa;kvm_mmu_load; # init_sp under kvm_tdp_mmu_get_vcpu_root_hpa <- kvm_mmu_load
__handle_changed_spte # ^__handle_changed_spte;(__handle_changed_spte;)*(__tdp_mmu_set_spte;)?kvm_tdp_mmu_map;direct_page_fault; # spte change on the fault path
__handle_changed_spte # ^__handle_changed_spte;(.*;)?__tdp_mmu_zap_root; # spte change under __tdp_mmu_zap_root
__handle_changed_spte # ^__handle_changed_spte;(.*;)?kvm_tdp_mmu_unmap_gfn_range;(.*;)?kvm_mmu_notifier_invalidate_range_start; # spte change under the notifier unmap path
__tdp_mmu_zap_root # ^__tdp_mmu_zap_root;kvm_tdp_mmu_zap_all;(.*;)?kvm_mmu_notifier_release; # zap from kvm_mmu_notifier_release
__tdp_mmu_zap_root # ^__tdp_mmu_zap_root;kvm_tdp_mmu_zap_invalidated_roots;(.*;)?kvm_set_memslot; # zap from memslot deletion
kvm_tdp_mmu_unmap_gfn_range # ^kvm_tdp_mmu_unmap_gfn_range;(.*;)?kvm_mmu_notifier_invalidate_range_start;(.*;)?do_madvise # notifier unmap from madvise(DONTNEED)'
# fentry is refused for these on 6.1 (see probes): their shapes are checked under kprobe.
FENTRY_REFUSED='__handle_changed_spte tdp_mmu_init_sp'

check_shapes() { # name file kind
  local name="$1" file="$2" kind="$3" folded="$tmp/$1.names" bad=0 f re what
  fold_leaf_first "$file" >"$tmp/$1.folded"
  names_only "$tmp/$1.folded" >"$folded"
  if [ ! -s "$folded" ]; then fail "$name.stacks" "no stacks in $(basename "$file")"; return; fi
  while IFS='#' read -r f re what; do
    f=${f% } re=${re# } re=${re% } what=${what# }
    if [ "$kind" = fentry ] && [[ " $FENTRY_REFUSED " == *" $f "* ]]; then continue; fi
    if ! awk -F'\t' -v f="$f" '{ p = $1; sub(/^[a-z]+:([a-z_]+:)?/, "", p) } p == f { print $2 }' "$folded" |
      grep -Eq "$re"; then
      fail "$name.stacks" "missing: $what ($f)"
      bad=1
    fi
  done <<<"$SHAPES"
  [ $bad = 0 ] && pass "$name.stacks" "$(wc -l <"$folded") stacks, $(awk -F'\t' '{s += $3} END {print s}' "$folded") events, all required paths present"
  # The top frame is the probed function itself: no BPF program, trampoline or bpf_trace_run.
  local wrong
  wrong=$(awk -F'\t' '{ p = $1; sub(/^[a-z]+:([a-z_]+:)?/, "", p); split($2, fr, ";")
      if (fr[1] != p || $2 ~ /(^|;)(bpf_prog_|bpf_trampoline_|bpf_trace_run)/) print $1 " -> " fr[1] }' "$folded" | sort -u | head -n 3)
  if [ -z "$wrong" ]; then pass "$name.top-frame" "every stack starts at the probed function"
  else fail "$name.top-frame" "$(echo "$wrong" | tr '\n' ' ')"; fi
}

check_shapes bpftrace-kprobe "$DIR/bpftrace-kprobe.txt" kprobe
for kind in kprobe fentry; do
  if [ -f "$DIR/tdptrace-$kind.unavailable" ] || { [ ! -f "$DIR/tdptrace-$kind.txt" ] && [ ! -f "$DIR/tdptrace-$kind.rc" ]; }; then
    na "tdptrace-$kind.stacks" "tdptrace record --attach $kind"
    continue
  fi
  rc=$(cat "$DIR/tdptrace-$kind.rc" 2>/dev/null || echo 0)
  if [ "$rc" != 0 ]; then
    fail "tdptrace-$kind.exit" "tdptrace record --attach $kind exited $rc: $(tail -n 1 "$DIR/tdptrace-$kind.err" 2>/dev/null | cut -c1-300)"
    continue
  fi
  check_shapes "tdptrace-$kind" "$DIR/tdptrace-$kind.txt" "$kind"
done

# --- same run, same counts: tdptrace kprobes vs bpftrace 0.17 kprobes -----------------------
if [ -s "$tmp/tdptrace-kprobe.folded" ]; then
  cut -f1 "$tmp/bpftrace-kprobe.folded" | sort -u >"$tmp/bt.probes"
  cut -f1 "$tmp/tdptrace-kprobe.folded" | sort -u >"$tmp/td.probes"
  comm -12 "$tmp/bt.probes" "$tmp/td.probes" >"$tmp/common.probes"
  awk -F'\t' 'NR == FNR { want[$1] = 1; next } $1 in want' "$tmp/common.probes" "$tmp/bpftrace-kprobe.folded" | sort >"$tmp/bt.cmp"
  awk -F'\t' 'NR == FNR { want[$1] = 1; next } $1 in want' "$tmp/common.probes" "$tmp/tdptrace-kprobe.folded" | sort >"$tmp/td.cmp"
  missing=$(for f in kvm_tdp_mmu_map tdp_mmu_init_sp __handle_changed_spte __tdp_mmu_zap_root; do
    grep -qx "kprobe:$f" "$tmp/common.probes" || printf '%s ' "$f"; done)
  if [ -n "$missing" ]; then
    fail crosscheck.kprobe-vs-bpftrace "probes not captured by both: $missing"
  elif cmp -s "$tmp/bt.cmp" "$tmp/td.cmp"; then
    pass crosscheck.kprobe-vs-bpftrace "$(wc -l <"$tmp/common.probes") probes, $(wc -l <"$tmp/bt.cmp") stacks, $(awk -F'\t' '{s += $3} END {print s}' "$tmp/bt.cmp") events identical"
  else
    fail crosscheck.kprobe-vs-bpftrace "stacks or counts differ: $(diff "$tmp/bt.cmp" "$tmp/td.cmp" | grep -c '^[<>]') lines; first: $(diff "$tmp/bt.cmp" "$tmp/td.cmp" | grep -m2 '^[<>]' | tr '\t\n' '  ')"
  fi
  awk -F'\t' '{ t[$1] += $3 } END { for (p in t) printf "  bpftrace %-45s %d\n", p, t[p] }' "$tmp/bt.cmp" | sort
  awk -F'\t' '{ t[$1] += $3 } END { for (p in t) printf "  tdptrace %-45s %d\n", p, t[p] }' "$tmp/td.cmp" | sort
else
  na crosscheck.kprobe-vs-bpftrace "tdptrace record --attach kprobe"
fi

# --- tdptrace probes --preset tdp-mmu ------------------------------------------------------
if [ -f "$DIR/probes.txt" ]; then
  # probes.txt: --attach auto; probes-fentry.txt: --attach fentry, where every refusal shows.
  lines_of() { grep -h -E "(^|[^_A-Za-z0-9])$1([^_A-Za-z0-9]|$)" "$DIR/probes.txt" "$DIR/probes-fentry.txt" 2>/dev/null || true; }
  bad=""
  for f in tdp_mmu_zap_root handle_removed_pt tdp_mmu_map_handle_target_level; do
    lines_of "$f" | grep -qi inline || bad+="$f "
  done
  [ -z "$bad" ] && pass probes.inlined "tdp_mmu_zap_root, handle_removed_pt, tdp_mmu_map_handle_target_level reported inlined" ||
    fail probes.inlined "not reported as inlined: $bad"
  bad=""
  lines_of __handle_changed_spte | grep -Eqi 'ENOTSUPP|524|more than 6|7 arg' || bad+="__handle_changed_spte (7 args, ENOTSUPP) "
  lines_of tdp_mmu_init_sp | grep -Eqi 'union|verifier' || bad+="tdp_mmu_init_sp (by-value union, verifier) "
  [ -z "$bad" ] && pass probes.fentry-refusals "both 6.1 fentry refusals reported" ||
    fail probes.fentry-refusals "refusal not reported: $bad"
  bad=""
  for f in __handle_changed_spte tdp_mmu_init_sp; do
    grep -E "(^|[^_A-Za-z0-9])$f([^_A-Za-z0-9]|$)" "$DIR/probes.txt" | grep -Eq '^\S+ +ok +.*via kprobe' || bad+="$f "
  done
  [ -z "$bad" ] && pass probes.auto-picks-kprobe "auto uses kprobe where fentry is refused" ||
    fail probes.auto-picks-kprobe "no kprobe choice shown for: $bad"
else
  na probes "tdptrace probes --preset tdp-mmu"
fi

# --- report --tdp on the capture -------------------------------------------------------------
cap="$DIR/tdptrace-kprobe.txt"
[ -s "$cap" ] || cap="$DIR/bpftrace-kprobe.txt"
if has_feature report --tdp; then
  if "$TDP" report --tdp "$cap" >"$tmp/report.txt" 2>"$tmp/report.err"; then
    bad=""
    for w in kvm_tdp_mmu_map tdp_mmu_init_sp __handle_changed_spte __tdp_mmu_zap_root; do
      grep -q "$w" "$tmp/report.txt" || bad+="$w "
    done
    for w in fault root notifier memslot; do grep -qi "$w" "$tmp/report.txt" || bad+="origin:$w "; done
    # Exact: the map total of the capture appears in the report.
    total=$(awk -F'\t' '$1 ~ /:kvm_tdp_mmu_map$/ {s += $3} END {print s + 0}' "$tmp/$(basename "$cap" .txt).folded" 2>/dev/null)
    [ -n "$total" ] && [ "$total" != 0 ] && ! grep -qw "$total" "$tmp/report.txt" && bad+="total:$total "
    [ -z "$bad" ] && pass report.tdp "$(basename "$cap"): functions split by origin" ||
      fail report.tdp "$(basename "$cap"): missing $bad"
  else
    fail report.tdp "exit $?: $(head -n 2 "$tmp/report.err" | tr '\n' ' ')"
  fi
else
  na report.tdp "tdptrace report --tdp"
fi

# --- inline truth: fold --debuginfo vs addr2line -f -i on kvm.ko -----------------------------
if [ -n "$DBG" ] && [ -s "$DBG/kvm.ko" ]; then
  "$here/addr2line-chains.sh" "$DBG/kvm.ko" "$DIR/kallsyms-kvm.txt" "$tmp"/*-kprobe.folded >"$tmp/chains.txt"
  nchains=$(awk -F'\t' '$2 ~ /;/' "$tmp/chains.txt" | wc -l)
  if [ -s "$DIR/addr2line.txt" ] && ! cmp -s "$DIR/addr2line.txt" "$tmp/chains.txt"; then
    echo "  note: addr2line chains differ from $DIR/addr2line.txt (fixture from another capture)"
  fi
  [ -z "${CHAINS_OUT:-}" ] || cp "$tmp/chains.txt" "$CHAINS_OUT"
  # tdptrace symbolize (libdw) on the same frames must give addr2line's chains exactly.
  if has_feature symbolize --module; then
    cut -f1 "$tmp/chains.txt" >"$tmp/frames.txt"
    if xargs "$TDP" symbolize --module "kvm=$DBG/kvm.ko" <"$tmp/frames.txt" >"$tmp/sym.txt" 2>"$tmp/sym.err"; then
      awk '/^[^ ]/ { if (f != "") print f "\t" c; f = $1; c = ""; next }
           { n = $1; c = c (c == "" ? "" : ";") n }
           END { if (f != "") print f "\t" c }' "$tmp/sym.txt" | sort >"$tmp/sym.chains"
      sort "$tmp/chains.txt" >"$tmp/a2l.chains"
      if cmp -s "$tmp/sym.chains" "$tmp/a2l.chains"; then
        pass symbolize.inline-vs-addr2line "$(wc -l <"$tmp/a2l.chains") kvm frames, $nchains with inlined frames, chains identical to addr2line -f -i"
      else
        fail symbolize.inline-vs-addr2line "$(diff "$tmp/a2l.chains" "$tmp/sym.chains" | grep -c '^[<>]') lines differ; first: $(diff "$tmp/a2l.chains" "$tmp/sym.chains" | grep -m2 '^[<>]' | tr '\t\n' '  ')"
      fi
    else
      fail symbolize.inline-vs-addr2line "tdptrace symbolize exited non-zero: $(head -n 2 "$tmp/sym.err" | tr '\n' ' ')"
    fi
  else
    na symbolize.inline-vs-addr2line "tdptrace symbolize --module"
  fi
  if has_feature fold --module; then
    mods=(--module "kvm=$DBG/kvm.ko")
    [ -s "$DBG/kvm-amd.ko" ] && mods+=(--module "kvm_amd=$DBG/kvm-amd.ko")
    if "$TDP" fold "${mods[@]}" "$cap" >"$tmp/fold.txt" 2>"$tmp/fold.err"; then
      # Names only, root first, decorations (+off, _[i], (inlined), [module]) dropped.
      sed -E 's/ [0-9]+$//; s/\+(0x)?[0-9a-f]+//g; s/_\[[a-z]\]//g; s/ ?\((inlined|inline)\)//g; s/ ?\[[A-Za-z0-9_.-]+\]//g' \
        "$tmp/fold.txt" | sed 's/^/;/; s/$/;/' >"$tmp/fold.names"
      bad=0 shown=""
      while IFS=$'\t' read -r frame chain; do
        [[ "$chain" == *";"* ]] || continue
        grep -qF ";$chain;" "$tmp/fold.names" || { bad=$((bad + 1)); [ -n "$shown" ] || shown="$frame -> $chain"; }
      done <"$tmp/chains.txt"
      if [ $bad = 0 ]; then pass fold.debuginfo-inline "$nchains inline chains from addr2line -f -i all shown (e.g. __handle_changed_spte;handle_removed_pt;handle_changed_spte)"
      else fail fold.debuginfo-inline "$bad of $nchains addr2line chains missing, e.g. $shown"; fi
      grep -qF ';__handle_changed_spte;handle_removed_pt;handle_changed_spte;' "$tmp/fold.names" ||
        fail fold.debuginfo-example "__handle_changed_spte -> handle_removed_pt -> handle_changed_spte not shown"
    else
      fail fold.debuginfo-inline "tdptrace fold --module exited non-zero: $(head -n 2 "$tmp/fold.err" | tr '\n' ' ')"
    fi
  else
    na fold.debuginfo-inline "tdptrace fold --module/--debuginfo ($nchains chains from addr2line to check)"
  fi
else
  na fold.debuginfo-inline "no kvm.ko with DWARF given"
fi

# bpftrace's kfunc capture (issue 20): once fold trims the BPF frames, every leaf is the probe's function.
if [ -s "$DIR/bpftrace-kfunc.txt" ] && has_feature fold --keep-bpf-frames; then
  bad=$("$TDP" fold "$DIR/bpftrace-kfunc.txt" 2>/dev/null | awk '{ sub(/ [0-9]+$/, ""); n = split($0, f, ";"); p = f[1]
    sub(/.*:/, "", p); if (f[n] != p) print f[n] }' | sort -u | tr '\n' ' ')
  if [ -z "$bad" ]; then pass bpftrace-kfunc.trimmed "every stack's leaf is its probed function"; else fail bpftrace-kfunc.trimmed "other leaves: $bad"; fi
fi

echo "checks: $npass passed, $nfail failed, $nna not available in this build"
[ $nfail = 0 ]
