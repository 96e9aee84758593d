#!/bin/bash
# Copies a guest run's captures into the fixtures of its kernel generation, the reference for
# real TDP MMU stacks used by tests that do not boot the guest: fixtures/qemu-tdp/ for Debian
# 12's 6.1, fixtures/qemu-tdp-6.12/ for Debian 13's 6.12 (vm_fixture_dir in lib.sh). With
# DEBUGINFO_DIR, also the xz'd kvm.ko (and kvm-amd.ko) of that kernel into fixtures/debuginfo/,
# so fetch-debuginfo.sh needs no download while the kernel is current.
#   update-fixtures.sh OUT_DIR KVER [DEBUGINFO_DIR]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
OUT="$1" KVER="$2" DBG="${3:-}"
DEST="$VM_ROOT/$(vm_fixture_dir "$KVER")"
mkdir -p "$DEST"
for f in setup.txt kallsyms-kvm.txt workload.log probes.txt probes-fentry.txt bpftrace-kprobe.txt \
  bpftrace-kfunc.txt tdptrace-kprobe.txt tdptrace-fentry.txt latency-tdptrace.txt latency-bpftrace.txt \
  latency-fentry.txt latency-bpftrace.dropped intervals-cleared.txt intervals-cumulative.txt intervals-cleared.json \
  intervals-tdptrace.txt top-latency.csv top-latency-bpftrace.txt spte-tdptrace.txt spte-bpftrace.txt \
  spte-workload.log faults-tdptrace.txt faults-bpftrace.txt faults-workload.log lock-tdptrace.txt \
  lock-overhead.txt lock-overhead.bt lock-overhead-bpftrace.txt; do
  if [ -s "$OUT/$f" ]; then cp "$OUT/$f" "$DEST/$f"; vm_log "fixture: ${DEST#"$VM_ROOT"/}/$f"; fi
done
if [ -s "$OUT/addr2line.txt" ]; then cp "$OUT/addr2line.txt" "$DEST/addr2line.txt"; fi
echo "$KVER $(date -u +%Y-%m-%dT%H:%MZ)" >"$DEST/CAPTURED"
if [ -n "$DBG" ] && [ -s "$DBG/kvm.ko" ]; then
  fx="$VM_ROOT/fixtures/debuginfo"
  for m in kvm kvm-amd; do
    [ -s "$DBG/$m.ko" ] && [ ! -f "$fx/$m-$KVER.ko.xz" ] || continue
    xz -9 -T1 -c "$DBG/$m.ko" >"$fx/$m-$KVER.ko.xz"
    vm_log "fixture: fixtures/debuginfo/$m-$KVER.ko.xz ($(du -h "$fx/$m-$KVER.ko.xz" | cut -f1))"
  done
fi
