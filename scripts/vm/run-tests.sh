#!/bin/bash
# The guest tests: a real KVM TDP MMU (kvm_amd with npt=Y and tdp_mmu=Y, under QEMU TCG with
# nested SVM) on each kernel generation of $VM_SUITES (lib.sh): Debian 12's 6.1 and Debian 13's
# 6.12. Called by scripts/test.sh after the Swift tests.
#
# Stages (each timed, each under a timeout, a failure names its stage and kernel):
#   prerequisites, tdptrace binary, guest programs (once); then for every suite at the same time
#   (one TCG thread each, so the two use the two cores): image (cached), debuginfo (cached),
#   guest run (captures), host checks (scripts/vm/check-captures.sh); then tdptrace's own checks
#   of each run's captures (swift test, one suite after the other: they share .build).
#
# Environment:
#   TDPTRACE_SKIP_VM=1   outside CI: skip, printing why the test bed would (not) run.
#   CI=true              never skip; an unbuildable image fails with the reason.
#   TDPTRACE_VM_CACHE    cache folder (default .vm-cache/, git-ignored).
#   TDPTRACE_VM_SUITES   the suites to boot (default "bookworm trixie").
#   TDPTRACE_VM_UPDATE_FIXTURES=1  copy the new captures into fixtures/ (update-fixtures.sh).
#   TDPTRACE_BIN         the tdptrace binary to share (default: swift build's debug binary).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$VM_ROOT"
T0=$(date +%s)

# Why the test bed cannot run here, or nothing when it can (cheap checks only).
blocker() {
  local t
  for t in qemu-system-x86_64 debootstrap gcc mkfs.ext4 xz; do
    command -v "$t" >/dev/null || { echo "$t is not installed"; return; }
  done
  [ "$(id -u)" -eq 0 ] || { echo "needs root (debootstrap, modprobe in the guest)"; return; }
}

# Only for the skip message: a direct connection test, which an apt proxy would defeat, so a
# real run never relies on it (debootstrap then fails with its own reason).
mirror_note() {
  local m host
  m=$(vm_mirror)
  host=$(echo "$m" | sed -E 's#^[a-z]+://([^/:]+).*#\1#')
  if ! timeout 10 bash -c "exec 3<>/dev/tcp/$host/80" 2>/dev/null && ! ls "$VM_CACHE"/image-*/ready >/dev/null 2>&1; then
    echo "the Debian mirror $m looks unreachable and no image is cached"
  fi
}

reason=$(blocker)
if [ "${CI:-}" != true ] && [ "${TDPTRACE_SKIP_VM:-}" = 1 ]; then
  [ -n "$reason" ] || reason=$(mirror_note)
  echo "vm tests: SKIPPED (TDPTRACE_SKIP_VM=1): ${reason:-the test bed is available here but was not asked for}"
  exit 0
fi
[ -z "$reason" ] || vm_die "prerequisites" "$reason"

mkdir -p "$VM_CACHE"
export VM_TIMINGS="$VM_CACHE/timings.tsv"
: >"$VM_TIMINGS"
COMMON="$VM_CACHE/common"
export SHARE="$COMMON" VM_ROOT VM_CACHE
rm -rf "$COMMON" && mkdir -p "$COMMON/bin" "$COMMON/lib"

# tdptrace runs in the guest as built here, with the Swift runtime libraries it links copied
# beside it (the guest has the Debian ones: libbpf1, libelf1, libdw1, zlib1g).
share_tdptrace() {
  local bin="${TDPTRACE_BIN:-}"
  if [ -z "$bin" ]; then
    swift build --product tdptrace >"$VM_CACHE/swift-build.log" 2>&1 ||
      { tail -n 30 "$VM_CACHE/swift-build.log" >&2; return 1; }
    bin="$(swift build --show-bin-path)/tdptrace"
  fi
  [ -x "$bin" ] || { echo "no tdptrace binary at $bin" >&2; return 1; }
  cp "$bin" "$SHARE/bin/tdptrace"
  ldd "$bin" | awk '$3 ~ /^\// && $3 !~ /^\/(usr\/)?lib/ {print $3}' | while read -r so; do
    cp -L "$so" "$SHARE/lib/"
  done
}
vm_step "tdptrace-binary" 1800 share_tdptrace

build_guest_programs() {
  gcc -O2 -Wall -static -o "$SHARE/bin/zap-driver" Tests/guest/zap-driver.c
  # The SPTE ledger's own workload, run alone by its stage.
  gcc -O2 -Wall -static -o "$SHARE/bin/spte-driver" Tests/guest/spte-driver.c
  # record --faults' workload: two vCPU threads beside memslot and MADV_DONTNEED churn.
  gcc -O2 -Wall -static -pthread -o "$SHARE/bin/fault-driver" Tests/guest/fault-driver.c
  # The VM loop from the live tests (any other C program in Tests/guest/), run as guest-NAME ITER.
  local c
  for c in Tests/guest/*.c; do
    case "$(basename "$c")" in zap-driver.c | spte-driver.c | fault-driver.c) continue ;; esac
    gcc -O2 -Wall -static -o "$SHARE/bin/guest-$(basename "$c" .c)" "$c"
  done
}
vm_step "guest-programs" 300 build_guest_programs

# Feature detection for the guest script (running tdptrace under TCG costs ~20 s a time).
has_option() { local h; h=$("$COMMON/bin/tdptrace" "$1" --help 2>&1 || true); [[ "$h" == *"$2"* ]]; }
: >"$COMMON/features"
if has_option probes --preset; then echo probes >>"$COMMON/features"; fi
if has_option record --attach; then echo record >>"$COMMON/features"; fi
if has_option record --latency; then echo latency >>"$COMMON/features"; fi
if has_option record --progress; then echo interval >>"$COMMON/features"; fi
if has_option top --batch; then echo top >>"$COMMON/features"; fi
if has_option record --spte; then echo spte >>"$COMMON/features"; fi
if has_option record --faults; then echo faults >>"$COMMON/features"; fi
if has_option record --mmu-lock; then echo mmulock >>"$COMMON/features"; fi
# TDPTRACE_VM_BENCH=1: also the latency overhead benchmark (tdptrace against bpftrace).
if [ "${TDPTRACE_VM_BENCH:-}" = 1 ]; then touch "$COMMON/bench"; fi
vm_log "tdptrace features for the guest: $(tr '\n' ' ' <"$COMMON/features")"

# One kernel generation, start to end: its own share, image, debuginfo, boot and shell checks.
# Output in $VM_CACHE/kernel-SUITE.log; the share in $VM_CACHE/share-SUITE.
run_kernel() {
  local suite="$1"
  export VM_SUITE="$suite" VM_TIMINGS="$VM_CACHE/timings-$suite.tsv"
  : >"$VM_TIMINGS"
  local share="$VM_CACHE/share-$suite" t1 IMG KVER DBG crc
  rm -rf "$share" && mkdir -p "$share/out" && cp -a "$COMMON/." "$share/"
  t1=$(date +%s)
  IMG=$(scripts/vm/build-image.sh) || vm_die "image ($suite)" "scripts/vm/build-image.sh failed"
  printf 'image (all)\t%s\n' "$(($(date +%s) - t1))" >>"$VM_TIMINGS"
  KVER=$(cat "$IMG/kver")
  DBG="$IMG/debuginfo"
  echo "$KVER" >"$share/kver"
  t1=$(date +%s)
  scripts/vm/fetch-debuginfo.sh "$KVER" "$(cat "$IMG/kernel-pkg-version")" "$DBG" ||
    vm_die "debuginfo ($suite)" "scripts/vm/fetch-debuginfo.sh failed"
  printf 'debuginfo (all)\t%s\n' "$(($(date +%s) - t1))" >>"$VM_TIMINGS"
  cp scripts/vm/guest-tests.sh "$share/guest.sh"
  scripts/vm/run-guest.sh "$IMG" "$share" "${TDPTRACE_VM_TIMEOUT:-1500}"
  sed -n 's/^\[\([0-9.]*\)\] stage: /  guest \1s: /p' "$share/guest.log" >&2
  t1=$(date +%s)
  set +e
  CHAINS_OUT="$share/out/addr2line.txt" timeout 600 \
    scripts/vm/check-captures.sh "$share/out" "$DBG" "$share/bin/tdptrace"
  crc=$?
  set -e
  printf 'host-checks\t%s\n' "$(($(date +%s) - t1))" >>"$VM_TIMINGS"
  if [ "${TDPTRACE_VM_UPDATE_FIXTURES:-}" = 1 ]; then
    scripts/vm/update-fixtures.sh "$share/out" "$KVER" "$DBG"
  fi
  [ $crc = 0 ] || vm_die "host-checks ($suite, $KVER)" "check-captures.sh reported failures (exit $crc)"
}

declare -A pids
for suite in $VM_SUITES; do
  run_kernel "$suite" >"$VM_CACHE/kernel-$suite.log" 2>&1 &
  pids[$suite]=$!
  vm_log "kernel $suite: started (log $VM_CACHE/kernel-$suite.log)"
done
failed=""
for suite in $VM_SUITES; do
  if wait "${pids[$suite]}"; then vm_log "kernel $suite: done"; else failed+=" $suite"; fi
  echo "---- kernel $suite ($(cat "$VM_CACHE/share-$suite/kver" 2>/dev/null || echo '?')) ----"
  cat "$VM_CACHE/kernel-$suite.log"
done

# tdptrace's own view of each run's captures, by its tables: Tests/StackFoldTests/GuestCaptureTests.swift
# and BPFFrameTrimFixtureTests.swift (bpftrace's kfunc stacks trimmed back to the probed function).
t1=$(date +%s)
for suite in $VM_SUITES; do
  out="$VM_CACHE/share-$suite/out"
  [ -s "$out/setup.txt" ] || continue
  log="$VM_CACHE/guest-swift-tests-$suite.log"
  if TDPTRACE_GUEST_CAPTURES="$out" timeout 900 swift test --filter 'GuestCaptureTests|BPFFrameTrimFixtureTests' \
    >"$log" 2>&1; then :; else
    tail -n 40 "$log" >&2
    [[ "$failed" == *" $suite"* ]] || failed+=" $suite"
  fi
  echo "swift guest checks ($suite): $(grep -E '^(✔|✘) Test run' "$log" || echo 'no result')" >&2
done
printf 'swift-guest-checks\t%s\n' "$(($(date +%s) - t1))" >>"$VM_TIMINGS"
[ -z "$failed" ] || vm_die "kernels" "failed on:$failed (logs above)"

echo "vm tests: stage times (s):"
echo "  (shared)"
awk -F'\t' '{ printf "    %-18s %s\n", $1, $2 }' "$VM_TIMINGS"
for suite in $VM_SUITES; do
  echo "  ($suite)"
  awk -F'\t' '{ printf "    %-18s %s\n", $1, $2 }' "$VM_CACHE/timings-$suite.tsv"
done
echo "vm tests: PASSED in $(($(date +%s) - T0)) s"
