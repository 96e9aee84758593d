#!/bin/bash
# Overhead benchmark (not a test): a loop of N getpid() calls, each hitting
# tracepoint:syscalls:sys_enter_getpid, run bare, under `tdptrace record`, and under the
# equivalent `bpftrace -e 'tracepoint:syscalls:sys_enter_getpid { @[kstack] = count(); }'`.
# Then the live views: `tdptrace top --batch` against bpftrace printing and clearing the same
# count every second. Prints wall time of the loop in each case, the overhead per event, and
# the ratios bpftrace/tdptrace (above 1: tdptrace is faster). Needs root. Usage:
#   scripts/bench-record.sh [N=2000000] [RUNS=3]
# TDPTRACE overrides the binary (default: release build, else debug).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000000}
RUNS=${2:-3}
TDP=${TDPTRACE:-}
if [ -z "$TDP" ]; then
  for c in .build/release/tdptrace .build/debug/tdptrace; do [ -x "$c" ] && TDP=$c && break; done
fi
[ -n "$TDP" ] || { echo "bench-record: build tdptrace first (swift build -c release)" >&2; exit 1; }
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing
W=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
cat >"$W/loop.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long n = strtol(argv[1], NULL, 10);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) syscall(SYS_getpid);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.3f\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
  return 0;
}
C
gcc -O2 -o "$W/getpid-loop" "$W/loop.c"

wait_for() { # file pattern timeout-seconds
  local i=0
  while ! grep -qs "$2" "$1"; do sleep 0.2; i=$((i + 1)); [ $i -lt $(($3 * 5)) ] || return 1; done
}
best() { sort -n | head -1; }

bare=$(for r in $(seq "$RUNS"); do "$W/getpid-loop" "$N"; done | best)

tdp_times=()
for r in $(seq "$RUNS"); do
  "$TDP" record --probe tracepoint:syscalls:sys_enter_getpid --output "$W/tdp.txt" 2>"$W/tdp.err" &
  pid=$!
  wait_for "$W/tdp.err" "Attaching " 120 || { cat "$W/tdp.err" >&2; exit 1; }
  sleep 1
  tdp_times+=("$("$W/getpid-loop" "$N")")
  kill -INT $pid; wait $pid
done
tdp=$(printf '%s\n' "${tdp_times[@]}" | best)
tdp_events=$(awk '/^]: /{s+=$2} END{print s+0}' "$W/tdp.txt")

# tdptrace top --batch: the same BPF program, plus a read, a summary and a CSV line every second.
top_times=()
for r in $(seq "$RUNS"); do
  "$TDP" top --batch --probe tracepoint:syscalls:sys_enter_getpid --interval 1s >"$W/top.csv" 2>"$W/top.err" &
  pid=$!
  wait_for "$W/top.err" "Attaching " 120 || { cat "$W/top.err" >&2; exit 1; }
  sleep 1
  top_times+=("$("$W/getpid-loop" "$N")")
  kill -INT $pid; wait $pid
done
top=$(printf '%s\n' "${top_times[@]}" | best)

bt_times=()
for r in $(seq "$RUNS"); do
  bpftrace -e 'tracepoint:syscalls:sys_enter_getpid { @[kstack] = count(); }' >"$W/bt.txt" 2>"$W/bt.err" &
  pid=$!
  # bpftrace prints "Attaching" before it attaches; give it time to finish.
  wait_for "$W/bt.txt" "Attaching " 120 || { cat "$W/bt.err" >&2; exit 1; }
  sleep 3
  bt_times+=("$("$W/getpid-loop" "$N")")
  kill -INT $pid; wait $pid || true
done
bt=$(printf '%s\n' "${bt_times[@]}" | best)

# bpftrace's equivalent of top: the same count, printed and cleared every second.
bti_times=()
for r in $(seq "$RUNS"); do
  bpftrace -e 'tracepoint:syscalls:sys_enter_getpid { @[kstack] = count(); } interval:s:1 { time(); print(@); clear(@); }' >"$W/bti.txt" 2>"$W/bti.err" &
  pid=$!
  wait_for "$W/bti.txt" "Attaching " 120 || { cat "$W/bti.err" >&2; exit 1; }
  sleep 3
  bti_times+=("$("$W/getpid-loop" "$N")")
  kill -INT $pid; wait $pid || true
done
bti=$(printf '%s\n' "${bti_times[@]}" | best)
bt_events=$(awk '/^]: /{s+=$2} END{print s+0}' "$W/bt.txt")

awk -v n="$N" -v bare="$bare" -v tdp="$tdp" -v bt="$bt" -v te="$tdp_events" -v be="$bt_events" -v top="$top" -v bti="$bti" 'BEGIN {
  printf "getpid calls:        %d (best of runs)\n", n
  printf "bare:                %.3f s\n", bare
  printf "tdptrace record:     %.3f s  (+%.0f ns/event, %d events counted in last run)\n", tdp, (tdp-bare)/n*1e9, te
  printf "bpftrace kstack:     %.3f s  (+%.0f ns/event, %d events counted in last run)\n", bt, (bt-bare)/n*1e9, be
  printf "ratio bpftrace/tdptrace (loop time): %.2f\n", bt/tdp
  printf "tdptrace top --batch: %.3f s  (+%.0f ns/event)\n", top, (top-bare)/n*1e9
  printf "bpftrace interval print+clear: %.3f s  (+%.0f ns/event)\n", bti, (bti-bare)/n*1e9
  printf "ratio bpftrace interval/tdptrace top (loop time): %.2f\n", bti/top
}'
