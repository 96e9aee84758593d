#!/bin/bash
# Benchmark of report --tdp, --pprof and --speedscope on the large inputs that
# scripts/bench.sh generates (run it first, or set INPUTS). For each input: wall time and peak
# RSS of `tdptrace fold` (the parse-and-fold baseline) and of each export, best of RUNS.
#
#   scripts/bench-exports.sh
#   INPUTS="/tmp/tdptrace-bench/perf-large.txt" RUNS=1 scripts/bench-exports.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${BENCH_DIR:-/tmp/tdptrace-bench}
INPUTS=${INPUTS:-"$DIR/bpftrace-large.txt $DIR/perf-large.txt"}
RUNS=${RUNS:-3}
swift build -c release --product tdptrace >&2
BIN="$(swift build -c release --show-bin-path)/tdptrace"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

best() { # prints "seconds maxrss_kb" of the fastest of RUNS runs of "$@"
  local best_s="" best_kb=""
  for _ in $(seq "$RUNS"); do
    local line
    line=$( { /usr/bin/time -f "%e %M" "$@" >/dev/null 2>/dev/null; } 2>&1 | tail -1)
    local s=${line% *} kb=${line#* }
    if [ -z "$best_s" ] || awk "BEGIN{exit !($s < $best_s)}"; then best_s=$s best_kb=$kb; fi
  done
  echo "$best_s $best_kb"
}

printf '%-24s %-16s %8s %9s %9s\n' input command seconds MB/s "RSS MB"
for input in $INPUTS; do
  [ -f "$input" ] || { echo "missing $input (run scripts/bench.sh first)" >&2; continue; }
  mb=$(awk "BEGIN{print $(stat -c %s "$input") / 1e6}")
  for cmd in "fold" "report --tdp" "report --pprof $OUT/p.pb.gz" "report --speedscope $OUT/s.json"; do
    # shellcheck disable=SC2086
    read -r s kb < <(best "$BIN" $cmd "$input")
    printf '%-24s %-16s %8.2f %9.1f %9.1f\n' "$(basename "$input")" "${cmd%% /*}" "$s" \
      "$(awk "BEGIN{print $mb / ($s > 0 ? $s : 0.001)}")" "$(awk "BEGIN{print $kb / 1024}")"
  done
done
