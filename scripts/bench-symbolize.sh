#!/bin/bash
# Benchmark (not a test): tdptrace's libdw symbolizer against binutils' addr2line on the same
# 100k addresses of the inline fixture program (fixtures/inline/nested.c, gcc -O2 -g), in the
# same run. Checks both give the same chains, then prints addresses/s and the speed-up.
#
#   scripts/bench-symbolize.sh [N]          N addresses (default 100000)
#   TDPTRACE=.build/debug/tdptrace scripts/bench-symbolize.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
TDPTRACE=${TDPTRACE:-.build/release/tdptrace}
if [ ! -x "$TDPTRACE" ]; then
  echo "building $TDPTRACE (swift build -c release)" >&2
  swift build -c release --product tdptrace >&2
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# An absolute source path: addr2line joins a relative one with the compilation directory,
# libdw prints it as the line table has it.
gcc -O2 -g -o "$WORK/nested" "$PWD/fixtures/inline/nested.c"

# N addresses spread over every byte of outer, sink and main (a fixed LCG, so runs compare).
readelf -sW "$WORK/nested" | awk '$4 == "FUNC" && ($8 == "outer" || $8 == "sink" || $8 == "main") {
  print $2, $3 }' | while read -r value size; do echo "$((16#$value)) $size"; done > "$WORK/functions"
awk -v n="$N" '
  { start[NR] = $1; size[NR] = $2; total += $2 }
  END {
    seed = 12345
    for (i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648
      pick = int(seed / 65536) % total
      for (f = 1; pick >= size[f]; f++) pick -= size[f]
      printf "0x%x\n", start[f] + pick
    }
  }' "$WORK/functions" > "$WORK/addresses"
UNIQUE=$(sort -u "$WORK/addresses" | wc -l)

# Best of RUNS runs each, alternating, so a busy machine hurts both alike. Wall and CPU
# (user+sys) time are both reported: on a shared machine CPU time is the steadier measure.
RUNS=${RUNS:-3}
TIMEFORMAT='%R %U %S'
best() { sort -g | head -1; }
: > "$WORK/a.wall"; : > "$WORK/a.cpu"; : > "$WORK/t.wall"; : > "$WORK/t.cpu"
for _ in $(seq "$RUNS"); do
  { time addr2line -f -i -e "$WORK/nested" < "$WORK/addresses" > "$WORK/addr2line.out"; } 2> "$WORK/time"
  read -r real user sys < "$WORK/time"
  echo "$real" >> "$WORK/a.wall"; awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }' >> "$WORK/a.cpu"
  { time "$TDPTRACE" symbolize -e "$WORK/nested" --exact --format addr2line < "$WORK/addresses" > "$WORK/tdptrace.out"; } 2> "$WORK/time"
  read -r real user sys < "$WORK/time"
  echo "$real" >> "$WORK/t.wall"; awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }' >> "$WORK/t.cpu"
done

sed -E 's/ \(discriminator [0-9]+\)$//' "$WORK/addr2line.out" > "$WORK/addr2line.norm"
if ! cmp -s "$WORK/addr2line.norm" "$WORK/tdptrace.out"; then
  echo "MISMATCH: tdptrace and addr2line chains differ" >&2
  diff "$WORK/addr2line.norm" "$WORK/tdptrace.out" | head -20 >&2
  exit 1
fi
LINES=$(wc -l < "$WORK/tdptrace.out")
awk -v n="$N" -v u="$UNIQUE" -v l="$LINES" -v runs="$RUNS" \
  -v aw="$(best < "$WORK/a.wall")" -v ac="$(best < "$WORK/a.cpu")" \
  -v tw="$(best < "$WORK/t.wall")" -v tc="$(best < "$WORK/t.cpu")" 'BEGIN {
  printf "addresses: %d (%d unique), chains identical (%d output lines), best of %d runs\n", n, u, l, runs
  printf "addr2line -f -i:    wall %.3f s (%.0f addresses/s)  cpu %.3f s (%.0f addresses/s)\n", aw, n / aw, ac, n / ac
  printf "tdptrace symbolize: wall %.3f s (%.0f addresses/s)  cpu %.3f s (%.0f addresses/s)\n", tw, n / tw, tc, n / tc
  printf "speed-up: wall %.2fx  cpu %.2fx\n", aw / tw, ac / tc
}'
