#!/bin/bash
# Benchmark of the read-and-fold path. Builds release, generates a large perf script
# file and a large bpftrace text file from the seed capture in fixtures/perf/, then prints, for
# fold, report and flame graph input: MB/s, samples/s and peak RSS, next to `cat FILE >
# /dev/null` and `wc -l FILE` on the same file, and the ratio of their times.
#
#   scripts/bench.sh                 # 200 MB perf script, 50 MB bpftrace, best of 3 runs
#   PERF_MB=1000 RUNS=5 scripts/bench.sh
#   WITH_CLI=1 scripts/bench.sh      # also time the release `tdptrace fold` binary end to end
#
# Environment: BENCH_DIR (default /tmp/tdptrace-bench), PERF_MB (>= 200), BT_MB (>= 50), RUNS.
# The machine may be shared: the "MB/CPU-s" column (bytes per CPU second, all threads) shows
# what the code does independent of other load; "MB/s" is wall clock.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${BENCH_DIR:-/tmp/tdptrace-bench}
PERF_MB=${PERF_MB:-200}
BT_MB=${BT_MB:-50}
RUNS=${RUNS:-3}
SEED=fixtures/perf/perf-script-sample.txt

echo "building release..." >&2
swift build -c release --product tdptrace-bench >&2
BIN="$(swift build -c release --show-bin-path)"
BENCH="$BIN/tdptrace-bench"
if [ "${WITH_CLI:-0}" = 1 ]; then swift build -c release --product tdptrace >&2; fi

mkdir -p "$DIR"
PERF="$DIR/perf-large.txt"
BT="$DIR/bpftrace-large.txt"
size() { stat -c %s "$1" 2>/dev/null || echo 0; }
if [ "$(size "$PERF")" -lt $((PERF_MB * 1000000)) ]; then
  echo "generating $PERF ($PERF_MB MB)..." >&2
  "$BENCH" gen-perf "$SEED" "$PERF" "$PERF_MB"
fi
if [ "$(size "$BT")" -lt $((BT_MB * 1000000)) ]; then
  echo "generating $BT ($BT_MB MB)..." >&2
  "$BENCH" gen-bpftrace "$SEED" "$BT" "$BT_MB"
fi
# The same size with every stack distinct: the worst case (no entry repeats, memory grows).
BTU="$DIR/bpftrace-unique.txt"
if [ "$(size "$BTU")" -lt $((BT_MB * 1000000)) ]; then
  echo "generating $BTU ($BT_MB MB, all stacks distinct)..." >&2
  "$BENCH" gen-bpftrace "$SEED" "$BTU" "$BT_MB" unique
fi

now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }
lt() { awk "BEGIN { exit !($1 < $2) }"; }
# best wall time of RUNS runs of a shell command
best() {
  local best=999999 t0 t1 t
  for _ in $(seq "$RUNS"); do
    t0=$(now); eval "$1" >/dev/null; t1=$(now)
    t=$(calc "$t1 - $t0")
    if lt "$t" "$best"; then best=$t; fi
  done
  printf '%.4f' "$best"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

echo
echo "tdptrace benchmark $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-13s %-7s %9s %10s %9s %12s %9s %9s %8s %8s\n' input mode MB "MB/s" "MB/CPU-s" samples/s "RSS MB" unique "x cat" "x wc -l"
for spec in "perf-script:$PERF" "bpftrace:$BT" "bpftrace-uniq:$BTU"; do
  label=${spec%%:*}
  format=${label%-uniq}
  file=${spec#*:}
  mb=$(calc "$(size "$file") / 1000000")
  cat_t=$(best "cat '$file' > /dev/null")
  wc_t=$(best "wc -l '$file'")
  printf '%-13s %-7s %9.1f %10.1f %9s %12s %9s %9s %8s %8s\n' "$label" cat "$mb" "$(calc "$mb / $cat_t")" - - - - 1.00 -
  printf '%-13s %-7s %9.1f %10.1f %9s %12s %9s %9s %8s %8s\n' "$label" "wc -l" "$mb" "$(calc "$mb / $wc_t")" - - - - - 1.00
  for mode in fold report flame; do
    bestline="" bestt=999999
    for _ in $(seq "$RUNS"); do
      if ! line=$("$BENCH" run "$file" "$format" "$mode" 2>&1); then
        echo "$format $mode: $line" >&2
        continue 2
      fi
      t=$(field seconds "$line")
      if lt "$t" "$bestt"; then bestt=$t bestline=$line; fi
    done
    printf '%-13s %-7s %9.1f %10.1f %9.1f %12.0f %9.1f %9s %8.2f %8.2f\n' "$label" "$mode" "$mb" \
      "$(field MBps "$bestline")" "$(field MBperCPUs "$bestline")" "$(field samplesPerSec "$bestline")" \
      "$(field peakRSSMB "$bestline")" "$(field unique "$bestline")" \
      "$(calc "$bestt / $cat_t")" "$(calc "$bestt / $wc_t")"
  done
  if [ "${WITH_CLI:-0}" = 1 ]; then
    out=$({ /usr/bin/time -f '%e %M' "$BIN/tdptrace" fold --input-format "$format" "$file" >/dev/null; } 2>&1 | tail -1)
    read -r secs kb <<<"$out"
    printf '%-13s %-7s %9.1f %10.1f %9s %12s %9.1f %9s %8.2f %8.2f\n' "$label" "cli" "$mb" \
      "$(calc "$mb / $secs")" - - "$(calc "$kb / 1024")" - \
      "$(calc "$secs / $cat_t")" "$(calc "$secs / $wc_t")"
  fi
done
