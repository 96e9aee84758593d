#!/bin/bash
# Copies a guest run's captures into fixtures/qemu-tdp/, the reference for real TDP MMU stacks
# on Debian's 6.1 kernel used by tests that do not boot the guest.
#   update-fixtures.sh OUT_DIR KVER
set -euo pipefail
. "$(dirname "$0")/lib.sh"
OUT="$1" KVER="$2"
DEST="$VM_ROOT/fixtures/qemu-tdp"
mkdir -p "$DEST"
for f in setup.txt kallsyms-kvm.txt workload.log probes.txt probes-fentry.txt bpftrace-kprobe.txt \
  bpftrace-kfunc.txt tdptrace-kprobe.txt tdptrace-fentry.txt latency-tdptrace.txt latency-bpftrace.txt latency-fentry.txt; do
  if [ -s "$OUT/$f" ]; then cp "$OUT/$f" "$DEST/$f"; vm_log "fixture: fixtures/qemu-tdp/$f"; fi
done
if [ -s "$OUT/addr2line.txt" ]; then cp "$OUT/addr2line.txt" "$DEST/addr2line.txt"; fi
echo "$KVER $(date -u +%Y-%m-%dT%H:%MZ)" >"$DEST/CAPTURED"
