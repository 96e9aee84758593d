#!/bin/bash
# The main job on the bundled sample capture: installs missing packages, builds tdptrace, and
# reports on a real TDP MMU capture (bpftrace kprobes on Debian's 6.1 kernel, QEMU guest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product tdptrace >&2
bin="$(swift build -c release --show-bin-path)/tdptrace"
sample=fixtures/bpftrace/qemu-tdp-bpftrace-kprobe-kstack.txt
echo "== tdptrace report --tdp $sample"
"$bin" report --tdp "$sample"
echo
echo "== tdptrace report --callers tdp_mmu_init_sp $sample"
"$bin" report --callers tdp_mmu_init_sp "$sample"
echo
echo "== tdptrace report $sample --svg /tmp/tdptrace-sample.svg --html /tmp/tdptrace-sample.html"
"$bin" report "$sample" --svg /tmp/tdptrace-sample.svg --html /tmp/tdptrace-sample.html
echo
echo "== inlined frames from DWARF (kvm.ko of the same kernel): who calls handle_removed_pt"
"$bin" report --callers handle_removed_pt --module kvm=fixtures/debuginfo/kvm-6.1.0-50-amd64.ko.xz "$sample"
