#!/bin/bash
# The guest tests: a real KVM TDP MMU (Debian's 6.1 kernel, kvm_amd with npt=Y and tdp_mmu=Y,
# under QEMU TCG with nested SVM). Called by scripts/test.sh after the Swift tests.
#
# Stages (each timed, each under a timeout, a failure names its stage):
#   prerequisites, tdptrace binary, guest programs, image (cached), debuginfo (cached),
#   guest run (captures), host checks on the captures (scripts/vm/check-captures.sh).
#
# Environment:
#   TDPTRACE_SKIP_VM=1   outside CI: skip, printing why the test bed would (not) run.
#   CI=true              never skip; an unbuildable image fails with the reason.
#   TDPTRACE_VM_CACHE    cache folder (default .vm-cache/, git-ignored).
#   TDPTRACE_VM_UPDATE_FIXTURES=1  copy the new captures into fixtures/qemu-tdp/.
#   TDPTRACE_BIN         the tdptrace binary to share (default: swift build's debug binary).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$VM_ROOT"
export VM_TIMINGS="$VM_CACHE/timings.tsv"
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
: >"$VM_TIMINGS"
export SHARE="$VM_CACHE/share" VM_ROOT VM_CACHE
rm -rf "$SHARE" && mkdir -p "$SHARE/bin" "$SHARE/lib" "$SHARE/out"

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
  # The VM loop from the live tests (any other C program in Tests/guest/), run as guest-NAME ITER.
  local c
  for c in Tests/guest/*.c; do
    [ "$(basename "$c")" = zap-driver.c ] && continue
    gcc -O2 -Wall -static -o "$SHARE/bin/guest-$(basename "$c" .c)" "$c"
  done
}
vm_step "guest-programs" 300 build_guest_programs

t1=$(date +%s)
IMG=$(scripts/vm/build-image.sh) || vm_die "image" "scripts/vm/build-image.sh failed"
printf 'image (all)\t%s\n' "$(($(date +%s) - t1))" >>"$VM_TIMINGS"
KVER=$(cat "$IMG/kver")
DBG="$IMG/debuginfo"
t1=$(date +%s)
scripts/vm/fetch-debuginfo.sh "$KVER" "$(cat "$IMG/kernel-pkg-version")" "$DBG" ||
  vm_die "debuginfo" "scripts/vm/fetch-debuginfo.sh failed"
printf 'debuginfo (all)\t%s\n' "$(($(date +%s) - t1))" >>"$VM_TIMINGS"

# Feature detection for the guest script (running tdptrace under TCG costs ~20 s a time).
has_option() { local h; h=$("$SHARE/bin/tdptrace" "$1" --help 2>&1 || true); [[ "$h" == *"$2"* ]]; }
: >"$SHARE/features"
if has_option probes --preset; then echo probes >>"$SHARE/features"; fi
if has_option record --attach; then echo record >>"$SHARE/features"; fi
if has_option record --latency; then echo latency >>"$SHARE/features"; fi
# TDPTRACE_VM_BENCH=1: also the latency overhead benchmark (tdptrace against bpftrace).
rm -f "$SHARE/bench"
if [ "${TDPTRACE_VM_BENCH:-}" = 1 ]; then touch "$SHARE/bench"; fi
vm_log "tdptrace features for the guest: $(tr '\n' ' ' <"$SHARE/features")"
cp scripts/vm/guest-tests.sh "$SHARE/guest.sh"
scripts/vm/run-guest.sh "$IMG" "$SHARE" "${TDPTRACE_VM_TIMEOUT:-1500}"
sed -n 's/^\[\([0-9.]*\)\] stage: /  guest \1s: /p' "$SHARE/guest.log" >&2

t1=$(date +%s)
set +e
CHAINS_OUT="$SHARE/out/addr2line.txt" timeout 600 \
  scripts/vm/check-captures.sh "$SHARE/out" "$DBG" "$SHARE/bin/tdptrace"
crc=$?
set -e
# tdptrace's own view of the captures, by its tables: Tests/StackFoldTests/GuestCaptureTests.swift
# and BPFFrameTrimFixtureTests.swift (bpftrace's kfunc stacks trimmed back to the probed function).
TDPTRACE_GUEST_CAPTURES="$SHARE/out" timeout 900 swift test --filter 'GuestCaptureTests|BPFFrameTrimFixtureTests' \
  >"$VM_CACHE/guest-swift-tests.log" 2>&1 || { tail -n 40 "$VM_CACHE/guest-swift-tests.log" >&2; crc=1; }
grep -E '^(✔|✘) Test run' "$VM_CACHE/guest-swift-tests.log" >&2 || true
printf 'host-checks\t%s\n' "$(($(date +%s) - t1))" >>"$VM_TIMINGS"
if [ "${TDPTRACE_VM_UPDATE_FIXTURES:-}" = 1 ]; then
  scripts/vm/update-fixtures.sh "$SHARE/out" "$KVER"
fi
[ $crc = 0 ] || vm_die "host-checks" "check-captures.sh reported failures (exit $crc)"

echo "vm tests: stage times (s):"
awk -F'\t' '{ printf "  %-18s %s\n", $1, $2 }' "$VM_TIMINGS"
echo "vm tests: PASSED in $(($(date +%s) - T0)) s"
