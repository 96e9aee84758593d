#!/bin/bash
# Benchmark of `tdptrace fold` and `tdptrace report` on a generated bpftrace capture with many
# unique stacks (a speed measurement, not a test). Usage: scripts/bench-fold.sh [stacks] [frames]
# Builds the release binary, writes the input under /tmp, prints wall time, MB/s and max RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
STACKS=${1:-100000}
FRAMES=${2:-12}
INPUT=/tmp/tdptrace-bench-$STACKS-$FRAMES.txt
swift build -c release --product tdptrace >/dev/null
BIN=$(swift build -c release --show-bin-path)/tdptrace
if [ ! -s "$INPUT" ]; then
  python3 - "$STACKS" "$FRAMES" "$INPUT" <<'PY'
import random, sys
stacks, frames, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(42)
funcs = ["kvm_tdp_mmu_map", "tdp_mmu_init_sp", "__handle_changed_spte", "direct_page_fault",
         "kvm_mmu_page_fault", "vmx_handle_exit", "kvm_arch_vcpu_ioctl_run", "kvm_vcpu_ioctl",
         "__x64_sys_ioctl", "do_syscall_64", "tdp_mmu_zap_leafs", "__tdp_mmu_zap_root"] + \
        ["fn_%d" % i for i in range(500)]
seen = set()
with open(path, "w") as out:
    out.write("Attaching 1 probe...\n\n\n")
    while len(seen) < stacks:
        key = tuple("%s+%d" % (rng.choice(funcs), rng.randrange(2000)) for _ in range(frames))
        if key in seen:
            continue
        seen.add(key)
        out.write("@[\n" + "".join("    %s\n" % f for f in key) + "]: %d\n" % rng.randrange(1, 100000))
PY
fi
SIZE=$(stat -c %s "$INPUT")
echo "input: $INPUT, $STACKS unique stacks of $FRAMES frames, $((SIZE / 1000000)) MB"
for cmd in "fold" "report" "report --json" "report --callers kvm_tdp_mmu_map"; do
  /usr/bin/time -f "%e %M %U" -o /tmp/tdptrace-bench-time $BIN $cmd "$INPUT" >/dev/null
  read -r secs rss user </tmp/tdptrace-bench-time
  echo "tdptrace $cmd: ${secs}s wall, ${user}s user, $(python3 -c "print(round($SIZE/1e6/max($secs,0.001),1))") MB/s, max RSS $((rss / 1024)) MB"
done
