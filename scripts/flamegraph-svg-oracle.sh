#!/usr/bin/env bash
# Regenerates fixtures/flamegraph-svg/ from FlameGraph's perl scripts (the oracle for
# `tdptrace report --svg`): folded inputs made from FlameGraph's test/*.txt with
# stackcollapse-perf.pl, a fractional and a differential input, and for each case the frames of
# flamegraph.pl's SVG (depth, x, width, count, name) as a TSV. Tests read only the committed
# outputs, so CI needs neither perl nor FlameGraph. The perl scripts are not vendored.
#
#   scripts/flamegraph-svg-oracle.sh [path/to/FlameGraph]   (default ../shared/peers/flamegraph)
set -euo pipefail
cd "$(dirname "$0")/.."
FG=${1:-${FLAMEGRAPH:-../shared/peers/flamegraph}}
[ -f "$FG/flamegraph.pl" ] || { echo "flamegraph.pl not found in $FG" >&2; exit 1; }
OUT=fixtures/flamegraph-svg
mkdir -p "$OUT"
# fractional.folded is written by hand (see README.md); everything else is made here.
find "$OUT" -name "*.folded" ! -name fractional.folded -delete
rm -f "$OUT"/*.frames "$OUT"/cases.tsv
cp "$FG/docs/cddl1.txt" "$OUT/cddl1.txt"

# Folded inputs. `<(cat FILE; echo)`: the test files lack a final newline.
for f in "$FG"/test/*.txt; do
  name=$(basename "$f" .txt)
  perl "$FG/stackcollapse-perf.pl" <(cat "$f"; echo) > "$OUT/$name.folded"
done
# Some collapsed with stackcollapse-perf.pl options: annotations (_[k], _[j]) and pids.
perl "$FG/stackcollapse-perf.pl" --all <(cat "$FG/test/perf-java-stacks-01.txt"; echo) > "$OUT/perf-java-stacks-01-all.folded"
perl "$FG/stackcollapse-perf.pl" --pid <(cat "$FG/test/perf-iperf-stacks-pidtid-01.txt"; echo) > "$OUT/perf-iperf-stacks-pidtid-01-pid.folded"
# Fractional counts as austin and converters write them: two decimals, plus the hand-written
# fractional.folded (comments, `31.0`, `6.`, mixed precision) which is committed, not made here.
perl -pe 's/(\d+)$/sprintf("%.2f", $1 \/ 3)/e' "$OUT/perf-numa-stacks-01.folded" > "$OUT/perf-numa-stacks-01-thirds.folded"
# A differential input as difffolded.pl writes it: AFTER drops every fifth stack and changes
# the counts of the others.
perl -ne 'next if $. % 5 == 0; s/(\d+)$/$1 + ($. % 3) * 7/e; print' "$OUT/perf-vertx-stacks-01.folded" > "$OUT/.after"
perl "$FG/difffolded.pl" "$OUT/perf-vertx-stacks-01.folded" "$OUT/.after" > "$OUT/perf-vertx-stacks-01-diff.folded"
# Another where no stack vanishes (every AFTER count above 0) but some are new: flamegraph.pl
# --reverse loses frames when a zero-count stack follows one sharing a frame at the same depth
# (their "func;depth;end" keys collide), so the --reverse case uses this one.
perl -ne 's/(\d+)$/$1 + ($. % 4)/e; print; print "java;new_in_after;leaf$. 3\n" if $. % 50 == 0' "$OUT/perf-vertx-stacks-01.folded" > "$OUT/.after"
perl "$FG/difffolded.pl" "$OUT/perf-vertx-stacks-01.folded" "$OUT/.after" > "$OUT/perf-vertx-stacks-01-grow.folded"
rm -f "$OUT/.after"

# The frames of flamegraph.pl's SVG: depth (from the rect's row), x, width, count, name, fill.
frames() { # svg inverted
  perl -e '
    my ($inverted) = @ARGV; my @f; local $/; my $svg = <STDIN>;
    while ($svg =~ m{<g >\n<title>(.*?)</title><rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="[\d.]+" fill="([^"]*)"}g) {
      my ($t, $x, $y, $w, $fill) = ($1, $2, $3, $4, $5);
      $t =~ /^(.*) \(([\d,.]+) / or die "no count in $t";
      my ($name, $count) = ($1, $2); $count =~ s/,//g;
      for ($name) { s/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&amp;/&/g; }
      push @f, [$y, $x, $w, $count, $name, $fill];
    }
    my %ys; $ys{$_->[0]} = 1 for @f;
    my @rows = sort { $inverted ? $a <=> $b : $b <=> $a } keys %ys;
    my %depth; @depth{@rows} = 0 .. $#rows;
    for (sort { $depth{$a->[0]} <=> $depth{$b->[0]} || $a->[1] <=> $b->[1] } @f) {
      print join("\t", $depth{$_->[0]}, $_->[1], $_->[2], $_->[3], $_->[4], $_->[5]), "\n";
    }' "$2"
}

case_() { # input options...
  local input=$1; shift
  local tag=default
  [ $# -gt 0 ] && tag=$(echo "$*" | tr -c 'a-zA-Z0-9%.\n' '_' | sed 's/^_*//; s/_*$//')
  local inverted=0
  for o in "$@"; do [ "$o" = --inverted ] && inverted=1; done
  local frames="$input.$tag.frames"
  perl "$FG/flamegraph.pl" "$@" "$OUT/$input.folded" 2>/dev/null | frames /dev/stdin $inverted > "$OUT/$frames"
  printf '%s\t%s\t%s\n' "$input.folded" "$*" "$frames" >> "$OUT/cases.tsv"
}

for f in "$OUT"/*.folded; do case_ "$(basename "$f" .folded)"; done
for input in perf-vertx-stacks-01 perf-java-stacks-01-all perf-rust-Yamakaky-dcpu; do
  case_ $input --reverse
  case_ $input --inverted
  case_ $input --flamechart
  case_ $input --minwidth 2
  case_ $input --minwidth 0.5%
done
case_ perf-iperf-stacks-pidtid-01-pid --factor 0.25 --countname ms
case_ perf-numa-stacks-01 --factor 3
case_ perf-dd-stacks-01 --countname bytes --minwidth 0
case_ fractional --reverse
# Palettes: fills computed as flamegraph.pl computes them.
case_ perf-vertx-stacks-01 --colors hot
case_ perf-java-stacks-01-all --colors java
case_ perf-js-stacks-01 --colors js
case_ perf-numa-stacks-01 --colors mem --hash
case_ perf-dd-stacks-01 --colors perl
case_ perf-mirageos-stacks-01 --colors orange
case_ perf-rust-Yamakaky-dcpu --colors purple --hash
case_ perf-numa-stacks-01-thirds --inverted
case_ perf-vertx-stacks-01-diff --negate
case_ perf-vertx-stacks-01-grow --reverse
case_ perf-vertx-stacks-01-diff --inverted --minwidth 1
echo "wrote $(wc -l < "$OUT/cases.tsv") cases to $OUT"
