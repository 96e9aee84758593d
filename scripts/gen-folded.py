#!/usr/bin/env python3
"""Writes a large synthetic folded file for the rendering benchmark: kernel-like stacks (4-11
frames, names like real kernel and KVM symbols) from a fixed call graph, so prefixes are shared
as in real captures. Deterministic: the same arguments give the same bytes.

Usage: gen-folded.py LINES > out.folded   (434924 lines is about 43 MB, like the
bpftrace-large.folded input flamegraph.pl was timed on in research/perf-anchors.md)
"""
import random
import sys

lines = int(sys.argv[1]) if len(sys.argv) > 1 else 434924
rng = random.Random(42)
parts = ["kvm", "tdp_mmu", "handle", "page", "fault", "spte", "zap", "root", "vcpu", "ioctl", "mmu",
         "alloc", "free", "work", "sched", "irq", "lock", "slab", "ext4", "iomap", "filemap", "mem"]
names = []
for i in range(3000):
    n = "_".join(rng.choice(parts) for _ in range(rng.randint(1, 2)))
    names.append(("__" if i % 7 == 0 else "") + n + ("_%d" % i))
# Real call graphs are narrow near the root and fan out towards the leaves: entry points have
# few callees, so stacks share long prefixes as in real captures.
children = {i: rng.sample(range(len(names)), rng.randint(1, 3 if i < 300 else 6)) for i in range(len(names))}
entries = {r: rng.sample(range(300), 4) for r in range(5)}
roots = ["entry_SYSCALL_64_after_hwframe", "ret_from_fork", "asm_sysvec_apic_timer_interrupt",
         "secondary_startup_64_no_verify", "asm_exc_page_fault"]
out = sys.stdout
buf = []
for n in range(lines):
    r = rng.randrange(len(roots))
    frames = [roots[r]]
    node = rng.choice(entries[r])
    for _ in range(rng.randint(3, 10)):
        frames.append(names[node])
        node = rng.choice(children[node])
    buf.append(";".join(frames) + " " + str(rng.randint(1, 500)) + "\n")
    if len(buf) >= 10000:
        out.write("".join(buf))
        buf = []
out.write("".join(buf))
