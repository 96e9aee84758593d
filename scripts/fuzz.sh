#!/bin/bash
# Builds and runs the libFuzzer targets in Fuzz/ (see docs/fuzzing.md).
#
#   scripts/fuzz.sh NAME [libFuzzer flags...]   # e.g. scripts/fuzz.sh folded -runs=100000
#   scripts/fuzz.sh --list
#   scripts/fuzz.sh --ci                        # every target for a fixed number of runs (~1 min)
#   scripts/fuzz.sh --seed                      # rewrite fuzz/corpus/ from fixtures/
#
# A target is Fuzz/NAME.swift compiled with swiftc -sanitize=fuzzer,address into one module
# with the sources it tests (Sources/TraceParse for the parsers, Sources/Symbolize/SymbolSpec.swift
# for symbol-spec), so no SwiftPM target links libFuzzer's main. Binaries go to .build/fuzz/.
# Runs start from fuzz/corpus/NAME/ (committed seeds); new inputs go to .build/fuzz/corpus/NAME/
# and crashes to fuzz/crashes/NAME/ (commit them with the fix).
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(bpftrace-text bpftrace-json perf-script folded symbol-spec)
# Runs per parser target for --ci, tuned to about a minute in all on the 2-core VM (the spec
# parser is a hundred times faster and gets twenty times as many).
ci_runs=${TDPTRACE_FUZZ_CI_RUNS:-8000}

sources() {
  case "$1" in
    symbol-spec) echo Sources/Symbolize/SymbolSpec.swift ;;
    *) echo Sources/TraceParse/*.swift Fuzz/Support/ParserFuzz.swift ;;
  esac
}

build() {
  local name=$1 out=.build/fuzz/$1
  mkdir -p .build/fuzz
  local newest
  # Rebuilt when a source is newer; after changing the flags below, rm -rf .build/fuzz.
  newest=$(ls -t Fuzz/"$name".swift $(sources "$name") | head -1)
  if [ -x "$out" ] && [ "$out" -nt "$newest" ]; then return; fi
  echo "fuzz.sh: building $name" >&2
  # ld.gold warns about every ASan symbol it cannot export; only errors matter.
  swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name FuzzTarget -package-name tdptrace \
    Fuzz/"$name".swift $(sources "$name") -o "$out" 2>&1 | grep -v "Cannot export local symbol" >&2 || true
  [ -x "$out" ] || { echo "fuzz.sh: build of $name failed" >&2; exit 1; }
}

run() {
  local name=$1
  shift
  build "$name"
  mkdir -p ".build/fuzz/corpus/$name" "fuzz/crashes/$name"
  ".build/fuzz/$name" -artifact_prefix="fuzz/crashes/$name/" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    "$@" ".build/fuzz/corpus/$name" "fuzz/corpus/$name"
}

# Seeds: the first 8 KB (cut at a line end) of each fixture of the target's format.
seed() {
  local name=$1
  shift
  rm -rf "fuzz/corpus/$name"
  mkdir -p "fuzz/corpus/$name"
  local f
  for f in "$@"; do
    [ -f "$f" ] || continue
    LC_ALL=C awk '{ n += length($0) + 1; if (n > 8192 && NR > 1) exit; print }' "$f" \
      >"fuzz/corpus/$name/$(echo "$f" | tr / _)"
  done
}

case "${1:-}" in
  "" | -h | --help) sed -n 2,13p "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  --seed)
    seed bpftrace-text fixtures/bpftrace/*.txt fixtures/seed/*.txt fixtures/qemu-tdp/bpftrace-kprobe.txt \
      fixtures/qemu-tdp/tdptrace-*.txt fixtures/record/*.txt
    seed bpftrace-json fixtures/bpftrace/*.json
    seed perf-script fixtures/perf/*.txt
    seed folded fixtures/folded/*.folded fixtures/hostile/*.folded fixtures/perf/*.folded fixtures/expected/fold/*.folded
    mkdir -p fuzz/corpus/symbol-spec
    printf 'direct_page_fault+862\nkvm:kvm_mmu_load+1566\n0xffffffff81000130\nf+0x35e\n' >fuzz/corpus/symbol-spec/specs
    du -sh fuzz/corpus
    exit 0
    ;;
  --list) printf '%s\n' "${targets[@]}"; exit 0 ;;
  --ci)
    for name in "${targets[@]}"; do
      runs=$ci_runs
      [ "$name" = symbol-spec ] && runs=$((ci_runs * 20))
      echo "fuzz.sh: $name, $runs runs" >&2
      run "$name" -runs="$runs" -print_final_stats=0 2>&1 | grep -E "^(Done [0-9]+ runs|==[0-9]+==|SUMMARY|Test unit written)" || true
      # libFuzzer exits non-zero on a crash; grep above hides that, so look for artifacts.
      if compgen -G "fuzz/crashes/$name/*-*" >&2; then
        echo "fuzz.sh: $name has crash inputs in fuzz/crashes/$name/" >&2
        exit 1
      fi
    done
    ;;
  *)
    name=$1
    shift
    [[ " ${targets[*]} " == *" $name "* ]] || { echo "fuzz.sh: no target $name (see --list)" >&2; exit 2; }
    run "$name" "$@"
    ;;
esac
