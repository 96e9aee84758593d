#!/bin/bash
# Rendering benchmark: time `tdptrace report --svg` (and --html) on a large synthetic folded
# file and compare with flamegraph.pl when FlameGraph is available (set FLAMEGRAPH_DIR; it is
# not a Debian package). Without it, compare with a figure measured on the development VM:
# flamegraph.pl rendered a 42.9 MB, 434,924-line folded file in 5.122 s, 8.4 MB/s. The goal is
# at least 10x that, 84 MB/s.
#
# Usage: scripts/bench-render.sh [LINES]   (default 434924 lines, about 50 MB)
# Needs GNU time (/usr/bin/time, Debian package `time`) and bc. Builds tdptrace in release mode. Runs each command 3 times and reports the best CPU time.
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-434924}
work=${TMPDIR:-/tmp}/tdptrace-bench-render
mkdir -p "$work"
input="$work/bench-$lines.folded"
[ -s "$input" ] || python3 scripts/gen-folded.py "$lines" >"$input"
bytes=$(stat -c %s "$input")
swift build -c release --product tdptrace >/dev/null
bin=$(swift build -c release --show-bin-path)/tdptrace

# Best of 3 runs of "$@": prints "CPU WALL", the CPU time (user + sys, all threads) and the wall
# time of the run with the least CPU. CPU time is the conservative figure (parsing uses both
# cores, so wall time is shorter) and the one that stays meaningful on a shared machine.
best() {
  local best="" wall=""
  for _ in 1 2 3; do
    local t
    /usr/bin/time -o "$work/time" -f "%U %S %e" "$@" >/dev/null 2>&1
    t=$(awk '{print $1 + $2}' "$work/time")
    if [ -z "$best" ] || (($(echo "$t < $best" | bc -l))); then
      best=$t
      wall=$(awk '{print $3}' "$work/time")
    fi
  done
  echo "$best $wall"
}
rate() { echo "scale=1; $bytes / $1 / 1000000" | bc -l; }

echo "input: $input, $bytes bytes, $lines lines"
show() {  # label, "CPU WALL"
  local cpu=${2% *} wall=${2#* }
  printf '%-42s %6.2fs CPU %7.1f MB/s   %6.2fs wall %7.1f MB/s\n' "$1" "$cpu" "$(rate "$cpu")" "$wall" "$(rate "$wall")"
}
show "tdptrace fold (parse + fold only):" "$(best "$bin" fold "$input")"
show "tdptrace report --svg (with text report):" "$(best "$bin" report --svg "$work/out.svg" "$input")"
svgonly=$(best "$bin" report --svg - "$input")
show "tdptrace report --svg - (SVG only):" "$svgonly"
echo "  ($(stat -c %s "$work/out.svg") bytes of SVG)"
show "tdptrace report --html -:" "$(best "$bin" report --html - "$input")"
t_cpu=${svgonly% *}
t_wall=${svgonly#* }
if [ -n "${FLAMEGRAPH_DIR:-}" ] && [ -x "$FLAMEGRAPH_DIR/flamegraph.pl" ]; then
  pl=$(best perl "$FLAMEGRAPH_DIR/flamegraph.pl" "$input")
  show "flamegraph.pl:" "$pl"
  echo "speedup (SVG only, CPU): $(echo "scale=1; ${pl% *} / $t_cpu" | bc -l)x; wall: $(echo "scale=1; ${pl#* } / $t_wall" | bc -l)x"
else
  echo "flamegraph.pl: not available (set FLAMEGRAPH_DIR); reference 8.4 MB/s measured on the development VM"
  echo "speedup vs 8.4 MB/s (SVG only): $(echo "scale=1; $(rate "$t_cpu") / 8.4" | bc -l)x by CPU time, $(echo "scale=1; $(rate "$t_wall") / 8.4" | bc -l)x by wall time"
fi
