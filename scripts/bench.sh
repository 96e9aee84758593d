#!/bin/bash
# Benchmark of the read-and-fold path (a speed measurement, never a test).
#
# 1. Real captures first: the shared real captures (../shared/captures, skipped when absent)
#    repeated to at least REAL_MB, with the comm, tid or pid changed in every repetition so no
#    cache can remember the whole file (each repetition is a new set of processes). For each:
#    `cat FILE > /dev/null` and `wc -l FILE` (the physical limits), `tdptrace fold`, `report`,
#    `report --json`, `report --svg`, `report --html`, and FlameGraph's perl collapser on the
#    same file in the same run (../shared/peers/flamegraph/stackcollapse-*.pl), with the ratio;
#    then flamegraph.pl against `tdptrace report --svg` on the perl collapser's folded output.
#    Wall time and peak RSS by /usr/bin/time, the median of RUNS.
# 2. Then generated files from the seed capture in fixtures/perf/: perf script, bpftrace text
#    whose entries repeat byte for byte (the entry cache's best case) and bpftrace text with
#    every stack distinct (the worst case for memory: bytes per unique stack are printed).
#
#   scripts/bench.sh                 # everything, median of 3
#   RUNS=5 REAL_MB=60 scripts/bench.sh
#   ONLY=real scripts/bench.sh       # only the real captures (ONLY=generated: only those)
#   WITH_CLI=1 scripts/bench.sh      # also the release `tdptrace fold` binary on generated files
#
# Environment: BENCH_DIR (default /tmp/tdptrace-bench), REAL_MB (>= 30), PERF_MB (>= 200),
# BT_MB (>= 50), RUNS, SHARED (default ../shared). The machine may be shared: compare ratios
# measured in the same run, not absolute times across runs.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${BENCH_DIR:-/tmp/tdptrace-bench}
PERF_MB=${PERF_MB:-200}
BT_MB=${BT_MB:-50}
REAL_MB=${REAL_MB:-36}
RUNS=${RUNS:-3}
ONLY=${ONLY:-all}
SHARED=${SHARED:-../shared}
SEED=fixtures/perf/perf-script-sample.txt

echo "building release..." >&2
swift build -c release --product tdptrace-bench >&2
BIN="$(swift build -c release --show-bin-path)"
BENCH="$BIN/tdptrace-bench"
swift build -c release --product tdptrace >&2
CLI="$BIN/tdptrace"

mkdir -p "$DIR"
size() { stat -c %s "$1" 2>/dev/null || echo 0; }
calc() { awk "BEGIN { print $1 }"; }
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# median wall seconds and peak RSS (KB) of RUNS runs: timed OUT CMD... (output to /dev/null)
timed() {
  local times="" rss="" t m
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %M' -o "$DIR/time.txt" "$@" >/dev/null 2>"$DIR/stderr.txt" || {
      echo "failed: $* ($(tail -1 "$DIR/stderr.txt"))" >&2
      echo "nan nan"
      return
    }
    read -r t m <"$DIR/time.txt"
    times="$times $t" rss="$rss $m"
  done
  echo "$(median <<<"$times") $(median <<<"$rss")"
}

# Repeats capture $1 into $2 until REAL_MB, renaming per repetition with awk program $3
# (variables r: repetition, starting at 0).
repeat_capture() {
  local src=$1 out=$2 prog=$3
  local reps=$(( (REAL_MB * 1000000 + $(size "$src") - 1) / $(size "$src") ))
  if [ "$(size "$out")" -lt $((REAL_MB * 1000000)) ]; then
    echo "generating $out ($reps repetitions of $(basename "$src"))..." >&2
    awk -v reps="$reps" "{ lines[NR] = \$0 } END { for (r = 0; r < reps; r++) for (i = 1; i <= NR; i++) { l = lines[i]; $prog; print l } }" "$src" >"$out"
  fi
}

real_row() {  # label file format perl-script
  local label=$1 file=$2 format=$3 perl=$4
  local mb cat_t wc_t t m perl_t perl_m lines
  mb=$(calc "$(size "$file") / 1000000")
  lines=$(wc -l <"$file")
  read -r cat_t _ <<<"$(timed sh -c "cat '$file' > /dev/null")"
  read -r wc_t _ <<<"$(timed wc -l "$file")"
  read -r perl_t perl_m <<<"$(timed perl "$perl" "$file")"
  printf '%-30s %-24s %7.1f %9.1f %8s %8s %9s\n' "$label" cat "$mb" "$(calc "$mb / $cat_t")" - - -
  printf '%-30s %-24s %7.1f %9.1f %8s %8s %9s   (%s lines)\n' "$label" "wc -l" "$mb" "$(calc "$mb / $wc_t")" - - - "$lines"
  printf '%-30s %-24s %7.1f %9.1f %8.1f %8.2f %9s\n' "$label" "$(basename "$perl" .pl)" "$mb" \
    "$(calc "$mb / $perl_t")" "$(calc "$perl_m / 1024")" 1.00 -
  for cmd in fold report "report --json" "report --svg" "report --html"; do
    case $cmd in
      "report --svg") args=(report --svg "$DIR/out.svg") ;;
      "report --html") args=(report --html "$DIR/out.html") ;;
      *) read -r -a args <<<"$cmd" ;;
    esac
    read -r t m <<<"$(timed "$CLI" "${args[@]}" --input-format "$format" "$file")"
    [ "$cmd" = fold ] && fold_t=$t
    printf '%-30s %-24s %7.1f %9.1f %8.1f %8.2f %9.2f\n' "$label" "tdptrace $cmd" "$mb" "$(calc "$mb / $t")" \
      "$(calc "$m / 1024")" "$(calc "$perl_t / $t")" "$(calc "$t / $fold_t")"
  done
  # Rendering, on the perl collapser's folded output: flamegraph.pl against report --svg
  # (x perl here is flamegraph.pl's time over tdptrace's; MB is the folded file's size).
  perl "$perl" "$file" >"$DIR/collapsed.folded" 2>/dev/null
  local fmb fg_t fg_m sv_t sv_m
  if [ ! -s "$DIR/collapsed.folded" ]; then
    # stackcollapse-bpftrace.pl reads only `@[kstack]`-shaped keys: its time above is for
    # reading the file and writing nothing, and there is nothing to render.
    printf '%-30s %s\n' "$label" "$(basename "$perl") wrote no stacks for this shape (its x perl is not comparable); no render row"
    return
  fi
  fmb=$(calc "$(size "$DIR/collapsed.folded") / 1000000")
  read -r fg_t fg_m <<<"$(timed perl "$FG/flamegraph.pl" "$DIR/collapsed.folded")"
  read -r sv_t sv_m <<<"$(timed "$CLI" report --svg "$DIR/out.svg" --input-format folded "$DIR/collapsed.folded")"
  printf '%-30s %-24s %7.1f %9.1f %8.1f %8.2f %9s\n' "$label" "flamegraph.pl (folded)" "$fmb" \
    "$(calc "$fmb / $fg_t")" "$(calc "$fg_m / 1024")" 1.00 -
  printf '%-30s %-24s %7.1f %9.1f %8.1f %8.2f %9s\n' "$label" "tdptrace report --svg (folded)" "$fmb" \
    "$(calc "$fmb / $sv_t")" "$(calc "$sv_m / 1024")" "$(calc "$fg_t / $sv_t")" -
}

if [ "$ONLY" != generated ]; then
  CAPS="$SHARED/captures"
  FG="$SHARED/peers/flamegraph"
  [ -f "$FG/stackcollapse-bpftrace.pl" ] || FG="$FG/docs"
  if [ -d "$CAPS" ] && [ -f "$FG/stackcollapse-bpftrace.pl" ]; then
    echo
    echo "real captures $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), median of $RUNS"
    echo "(x perl: the perl collapser's time over this one; x fold: this one's time over tdptrace fold)"
    printf '%-30s %-24s %7s %9s %8s %8s %9s\n' input command MB "MB/s" "RSS MB" "x perl" "x fold"
    # `@[kstack, ustack, comm]`: the comm gets `-<repetition>`.
    src="$CAPS/bpftrace-profile-kstack-ustack-comm.txt"
    if [ -f "$src" ]; then
      repeat_capture "$src" "$DIR/real-kstack-ustack-comm.txt" \
        'if (r > 0 && l ~ /^, .*\]: [0-9]+$/) sub(/\]: /, "-" r "]: ", l)'
      real_row "kstack,ustack,comm (comm/rep)" "$DIR/real-kstack-ustack-comm.txt" bpftrace "$FG/stackcollapse-bpftrace.pl"
      # The same with a pid member: `@[kstack, ustack, comm, pid]`, a pid per comm and repetition.
      repeat_capture "$src" "$DIR/real-kstack-ustack-comm-pid.txt" \
        'if (l ~ /^, .*\]: [0-9]+$/) { c = l; sub(/^.*, /, "", c); sub(/\]: .*/, "", c); if (!(c in pid)) pid[c] = 1000 + (np++) * 113; sub(/\]: /, ", " (pid[c] + r * 7919) "]: ", l) }'
      real_row "kstack,ustack,comm,pid" "$DIR/real-kstack-ustack-comm-pid.txt" bpftrace "$FG/stackcollapse-bpftrace.pl"
    fi
    # `@[probe, kstack]` (kprobes on the TDP MMU): a tid member per repetition.
    src="$CAPS/qemu-tdp/qemu-tdp-bpftrace-kprobe-kstack.txt"
    if [ -f "$src" ]; then
      repeat_capture "$src" "$DIR/real-probe-kstack-tid.txt" \
        'if (l ~ /^\]: [0-9]+$/) sub(/^\]: /, ", " (4000 + r % 5000) "]: ", l)'
      real_row "probe,kstack,tid (tid/rep)" "$DIR/real-probe-kstack-tid.txt" bpftrace "$FG/stackcollapse-bpftrace.pl"
    fi
    # perf script: the comm gets `-<repetition>` and the tid moves on.
    src="$CAPS/perf-script-sample.txt"
    if [ -f "$src" ] && [ -f "$FG/stackcollapse-perf.pl" ]; then
      repeat_capture "$src" "$DIR/real-perf-script.txt" \
        'if (r > 0 && l ~ /^[^ \t#]/ && match(l, / [0-9]+(\/[0-9]+)? +\[/)) { sub(/^[^ ]+/, "&-" r, l); match(l, / [0-9]+(\/[0-9]+)? +\[/); l = substr(l, 1, RSTART) (substr(l, RSTART + 1, RLENGTH - 2) + 0 + r * 100000) substr(l, RSTART + RLENGTH - 2) }'
      real_row "perf script (comm,tid/rep)" "$DIR/real-perf-script.txt" perf-script "$FG/stackcollapse-perf.pl"
    fi
  else
    echo "no $CAPS or FlameGraph scripts: real captures skipped" >&2
  fi
fi
[ "$ONLY" = real ] && exit 0

PERF="$DIR/perf-large.txt"
BT="$DIR/bpftrace-large.txt"
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
