#!/bin/bash
# Rendering benchmark: time `tdptrace report --svg` (and --html) on a large synthetic folded
# file and compare with flamegraph.pl when FlameGraph is available (set FLAMEGRAPH_DIR; it is
# not a Debian package). Without it, compare with the figure measured in
# shared/research/perf-anchors.md: flamegraph.pl renders bpftrace-large.folded (42.9 MB,
# 434,924 lines) in 5.122 s, 8.4 MB/s. The goal is at least 10x that, 84 MB/s.
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

# Best CPU time (user + sys) in seconds of "$@" over 3 runs. CPU time rather than wall time,
# because the development machine is shared (load average often 15 on 2 cores), which
# inflates wall time several fold; on an idle machine the two are about equal.
best() {
  local best=""
  for _ in 1 2 3; do
    local t
    /usr/bin/time -o "$work/time" -f "%U %S" "$@" >/dev/null 2>&1
    t=$(awk '{print $1 + $2}' "$work/time")
    if [ -z "$best" ] || (($(echo "$t < $best" | bc -l))); then best=$t; fi
  done
  echo "$best"
}
rate() { echo "scale=1; $bytes / $1 / 1000000" | bc -l; }

echo "input: $input, $bytes bytes, $lines lines"
t_fold=$(best "$bin" fold "$input")
echo "tdptrace fold (parse + fold only):   ${t_fold}s  $(rate "$t_fold") MB/s"
t_svg=$(best "$bin" report --svg "$work/out.svg" "$input")
echo "tdptrace report --svg (with text report): ${t_svg}s  $(rate "$t_svg") MB/s"
t_svgonly=$(best "$bin" report --svg - "$input")
echo "tdptrace report --svg - (SVG only):  ${t_svgonly}s  $(rate "$t_svgonly") MB/s  ($(stat -c %s "$work/out.svg") bytes of SVG)"
t_html=$(best "$bin" report --html - "$input")
echo "tdptrace report --html -:            ${t_html}s  $(rate "$t_html") MB/s"
if [ -n "${FLAMEGRAPH_DIR:-}" ] && [ -x "$FLAMEGRAPH_DIR/flamegraph.pl" ]; then
  t_pl=$(best perl "$FLAMEGRAPH_DIR/flamegraph.pl" "$input")
  echo "flamegraph.pl:                       ${t_pl}s  $(rate "$t_pl") MB/s"
  echo "speedup (SVG only): $(echo "scale=1; $t_pl / $t_svgonly" | bc -l)x"
else
  echo "flamegraph.pl: not available (set FLAMEGRAPH_DIR); reference 8.4 MB/s from research/perf-anchors.md"
  echo "speedup vs 8.4 MB/s (SVG only): $(echo "scale=1; $(rate "$t_svgonly") / 8.4" | bc -l)x"
fi
