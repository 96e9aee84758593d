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

# Runs a tracer in the background RUNS times (its stdout to $W/NAME.out, stderr to NAME.err),
# waits for PATTERN in FILE and SETTLE seconds more, times the loop under it, stops it with
# SIGINT, and prints the best loop time.
#   timed NAME FILE PATTERN SETTLE COMMAND...
timed() {
  local name=$1 file=$2 pattern=$3 settle=$4 times=() pid
  shift 4
  for r in $(seq "$RUNS"); do
    "$@" >"$W/$name.out" 2>"$W/$name.err" &
    pid=$!
    wait_for "$W/$name.$file" "$pattern" 120 || { cat "$W/$name.err" >&2; exit 1; }
    sleep "$settle"
    times+=("$("$W/getpid-loop" "$N")")
    kill -INT $pid; wait $pid || true
  done
  printf '%s\n' "${times[@]}" | best
}

TP=tracepoint:syscalls:sys_enter_getpid
tdp=$(timed tdp err "Attaching " 1 "$TDP" record --probe $TP)
tdp_events=$(awk '/^]: /{s+=$2} END{print s+0}' "$W/tdp.out")
# tdptrace top --batch: the same BPF program, plus a read, a summary and a CSV line every second.
top=$(timed top err "Attaching " 1 "$TDP" top --batch --probe $TP --interval 1s)
# bpftrace prints "Attaching" before it attaches; give it time to finish.
bt=$(timed bt out "Attaching " 3 bpftrace -e "$TP { @[kstack] = count(); }")
bt_events=$(awk '/^]: /{s+=$2} END{print s+0}' "$W/bt.out")
# bpftrace's equivalent of top: the same count, printed and cleared every second.
bti=$(timed bti out "Attaching " 3 bpftrace -e "$TP { @[kstack] = count(); } interval:s:1 { time(); print(@); clear(@); }")

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
