#!/bin/bash
# Regenerates fixtures/flamegraph/expected/ (the FlameGraph conformance oracle read by
# Tests/CLITests/FlameGraphConformanceTests.swift) by running FlameGraph's own
# stackcollapse-perf.pl on its own test inputs, one output per input and option.
#   scripts/flamegraph-oracle.sh [FLAMEGRAPH_CHECKOUT]   (default: ../shared/peers/flamegraph)
# The inputs are copied from the checkout's test/*.txt too, so a newer FlameGraph refreshes both.
# A blank line is appended to each input: perl only saves a sample when it reads the blank line
# after it, so without one it drops a file's last sample (tdptrace keeps it; see
# docs/flamegraph-compat.md). test/results/ is not used: some of those files are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
fg=${1:-../shared/peers/flamegraph}
perl_script="$fg/stackcollapse-perf.pl"
[ -f "$perl_script" ] || { echo "flamegraph-oracle: no $perl_script" >&2; exit 1; }
out=fixtures/flamegraph
mkdir -p "$out/expected"
cp "$fg"/test/*.txt "$out/"
mkdir -p "$out/docs" && cp "$fg/docs/cddl1.txt" "$out/docs/cddl1.txt"
for input in "$fg"/test/*.txt; do
  name=$(basename "$input" .txt)
  for opt in none pid tid kernel jit all addrs; do
    args=()
    [ "$opt" = none ] || args=("--$opt")
    # stderr holds perl's "Filtering for events of type" note, not output.
    perl "$perl_script" "${args[@]}" <(cat "$input"; echo) 2>/dev/null >"$out/expected/$name.$opt.folded"
  done
done
echo "flamegraph-oracle: $(ls "$out/expected" | wc -l) expected outputs in $out/expected"
