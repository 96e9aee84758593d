#!/bin/sh
# Runs inside the test-bed guest (as /host/guest.sh): loads kvm_amd, then captures real TDP MMU
# stacks with tdptrace (kprobe and fentry) and with the guest's bpftrace (0.17 on 6.1, 0.23 on
# 6.12) kprobes on the same workload, then with bpftrace kfunc probes. The same script runs on
# every kernel: what differs is read from `tdptrace probes` on that kernel.
# Writes everything under /host/out; the host checks it (scripts/vm/check-captures.sh).
# Capture only: analysis runs on the host, where the CPU is not emulated.
# A tdptrace feature that this build lacks is recorded as "not available in this build".
set -u
H=/host
OUT=$H/out
mkdir -p "$OUT"
export LD_LIBRARY_PATH=$H/lib
TDP=$H/bin/tdptrace
ITER=${ITER:-3}
PAGES=${PAGES:-16}
t() { echo "[$(cut -d' ' -f1 /proc/uptime)] $*"; }
stage() { t "stage: $*"; }
fail=0

stage "setup"
{
  echo "kernel: $(uname -r)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
  echo "svm flags: $(grep -m1 -o -w -E 'svm|npt' /proc/cpuinfo | sort -u | tr '\n' ' ')"
  echo "bpftrace: $(bpftrace --version 2>&1 | head -n 1)"
} >"$OUT/setup.txt"
if ! modprobe kvm_amd; then
  echo "modprobe kvm_amd failed" >>"$OUT/setup.txt"
  t "FAILED: modprobe kvm_amd"
  exit 1
fi
for p in kvm/parameters/tdp_mmu kvm_amd/parameters/npt kvm_amd/parameters/nested; do
  echo "$p=$(cat /sys/module/$p)" >>"$OUT/setup.txt"
done
grep -E ' (t|T) ' /proc/kallsyms | grep -E '\[kvm(_amd)?\]' | awk '{print $3, $4}' | sort >"$OUT/kallsyms-kvm.txt"
cat "$OUT/setup.txt"
grep -q 'tdp_mmu=Y' "$OUT/setup.txt" || { t "FAILED: kvm.tdp_mmu is not Y"; exit 1; }
grep -q 'npt=Y' "$OUT/setup.txt" || { t "FAILED: kvm_amd.npt is not Y"; exit 1; }

# The workload: the zap driver (every zap path), plus the VM loop from the live tests if built.
cat >"$H/workload.sh" <<WL
#!/bin/sh
$H/bin/zap-driver --quiet $ITER $PAGES >>$OUT/workload.log 2>&1 || echo "zap-driver failed" >>$OUT/workload.log
for p in $H/bin/guest-*; do [ -x "\$p" ] && "\$p" $ITER >>$OUT/workload.log 2>&1; done
sleep 1
WL
stage "workload alone"
: >"$OUT/workload.log"
sh "$H/workload.sh"
cat "$OUT/workload.log"

# Which tdptrace features this build has: decided on the host (scripts/vm/run-tests.sh), where
# running the binary is cheap, and written to /host/features as "probes", "record" lines.
has() { grep -qx "$1" "$H/features" 2>/dev/null; }
unavailable() { echo "not available in this build: $*" >"$OUT/$1.unavailable"; t "$*: not available in this build"; }

stage "tdptrace probes"
if has probes; then
  "$TDP" probes --preset tdp-mmu >"$OUT/probes.txt" 2>"$OUT/probes.err"
  echo $? >"$OUT/probes.rc"
  cat "$OUT/probes.txt" "$OUT/probes.err"
  # Per attach kind, so every fentry refusal is shown with its reason, not only auto's choice.
  "$TDP" probes --preset tdp-mmu --attach fentry >"$OUT/probes-fentry.txt" 2>&1
  cat "$OUT/probes-fentry.txt"
  # What `record --attach kprobe` takes: under auto, from 6.4 the spte-change group counts its
  # tracepoint instead of handle_changed_spte, which kprobe-only requests keep.
  "$TDP" probes --preset tdp-mmu --attach kprobe >"$OUT/probes-kprobe.txt" 2>&1
else
  unavailable probes "tdptrace probes --preset"
fi

# Starts `tdptrace record` in the background and waits until it says it attached.
# $1: attach kind, $2: output name, then more record options (default: --preset tdp-mmu).
RPID=
start_record() {
  kind=$1 name=$2
  shift 2
  [ $# -gt 0 ] || set -- --preset tdp-mmu
  rm -f "$OUT/$name.txt" "$OUT/$name.err"
  "$TDP" record "$@" --attach "$kind" --output "$OUT/$name.txt" 2>"$OUT/$name.err" &
  RPID=$!
  n=0
  while [ $n -lt 240 ]; do
    if grep -qs -i 'attach' "$OUT/$name.err" "$OUT/$name.txt"; then sleep 1; return 0; fi
    kill -0 $RPID 2>/dev/null || return 1
    sleep 0.5
    n=$((n + 1))
  done
  t "tdptrace record --attach $kind did not report attaching within 120 s; continuing"
}
stop_record() {
  kill -INT $RPID 2>/dev/null
  n=0
  while kill -0 $RPID 2>/dev/null && [ $n -lt 120 ]; do sleep 0.5; n=$((n + 1)); done
  if kill -0 $RPID 2>/dev/null; then
    echo "tdptrace record did not exit within 60 s of SIGINT" >>"$OUT/$1.err"
    kill -KILL $RPID
    echo 124 >"$OUT/$1.rc"
  else
    wait $RPID
    echo $? >"$OUT/$1.rc"
  fi
}

# bpftrace probes what tdptrace record --attach kprobe attaches: every preset function `probes
# --attach kprobe` found on this kernel, so the two captures cover the same functions on 6.1 and
# 6.12 alike. Without probes-kprobe.txt, the 6.1 list.
KPROBES=$(awk '$2 == "ok" && $3 ~ /^kprobe:/ { sub(/^[a-z]+:/, "", $3); print $3 }' "$OUT/probes-kprobe.txt" 2>/dev/null | sort -u)
[ -n "$KPROBES" ] || KPROBES="kvm_tdp_mmu_map tdp_mmu_init_sp __handle_changed_spte __tdp_mmu_zap_root
  kvm_tdp_mmu_zap_all kvm_tdp_mmu_zap_invalidated_roots kvm_tdp_mmu_invalidate_all_roots
  kvm_tdp_mmu_unmap_gfn_range tdp_mmu_zap_leafs kvm_tdp_mmu_zap_leafs kvm_tdp_mmu_put_root
  kvm_tdp_mmu_get_vcpu_root_hpa tdp_mmu_link_sp"
echo "$KPROBES" | tr '\n' ' ' >"$OUT/bpftrace-kprobe.functions"
bt_probes=$(for f in $KPROBES; do printf 'kprobe:%s,' "$f"; done | sed 's/,$//')

stage "kprobe capture: tdptrace record --attach kprobe and bpftrace kprobes on the same run"
recording=0
if has record; then
  if start_record kprobe tdptrace-kprobe; then recording=1; else
    t "tdptrace record --attach kprobe exited early"; wait $RPID; echo $? >"$OUT/tdptrace-kprobe.rc"
  fi
else
  unavailable tdptrace-kprobe "tdptrace record --attach kprobe"
fi
# -c: bpftrace attaches, runs the workload, and prints its maps when the workload ends.
timeout 300 bpftrace -c "/bin/sh $H/workload.sh" -e "$bt_probes { @[probe, kstack] = count(); }" \
  >"$OUT/bpftrace-kprobe.txt" 2>"$OUT/bpftrace-kprobe.err"
echo $? >"$OUT/bpftrace-kprobe.rc"
[ $recording = 1 ] && stop_record tdptrace-kprobe
t "bpftrace rc=$(cat "$OUT/bpftrace-kprobe.rc"), $(grep -c '^@' "$OUT/bpftrace-kprobe.txt") stacks"

stage "fentry capture: tdptrace record --attach fentry"
if has record; then
  if start_record fentry tdptrace-fentry; then
    sh "$H/workload.sh"
    stop_record tdptrace-fentry
  else
    t "tdptrace record --attach fentry exited early"; wait $RPID; echo $? >"$OUT/tdptrace-fentry.rc"
  fi
  cat "$OUT/tdptrace-fentry.err"
else
  unavailable tdptrace-fentry "tdptrace record --attach fentry"
fi

# bpftrace's own kfunc capture, as a user saves it: bpftrace 0.17 puts the BPF program and its
# trampoline above the probed function (issue 20), which tdptrace's fold and report trim. Only the
# preset functions that attach by fentry on this kernel (probes-fentry.txt, else the 6.1 list),
# since bpftrace gives up when one probe fails to attach.
stage "kfunc capture: bpftrace kfunc probes"
KFUNCS=$(awk '$2 == "ok" && $3 ~ /^kfunc:/ { sub(/^kfunc:/, "", $3); print $3 }' "$OUT/probes-fentry.txt" 2>/dev/null)
[ -n "$KFUNCS" ] || KFUNCS="kvm_tdp_mmu_map tdp_mmu_link_sp tdp_mmu_init_child_sp kvm_tdp_mmu_get_vcpu_root_hpa
  kvm_tdp_mmu_zap_leafs tdp_mmu_zap_leafs kvm_tdp_mmu_zap_all __tdp_mmu_zap_root kvm_tdp_mmu_zap_sp
  kvm_tdp_mmu_invalidate_all_roots kvm_tdp_mmu_zap_invalidated_roots kvm_tdp_mmu_unmap_gfn_range
  kvm_tdp_mmu_put_root kvm_tdp_mmu_write_protect_gfn kvm_tdp_mmu_wrprot_slot kvm_tdp_mmu_clear_dirty_slot
  kvm_tdp_mmu_clear_dirty_pt_masked"
bt_kfuncs=$(for f in $KFUNCS; do printf 'kfunc:kvm:%s,' "$f"; done | sed 's/,$//')
timeout 300 bpftrace -c "/bin/sh $H/workload.sh" -e "$bt_kfuncs { @[probe, kstack] = count(); }" \
  >"$OUT/bpftrace-kfunc.txt" 2>"$OUT/bpftrace-kfunc.err"
echo $? >"$OUT/bpftrace-kfunc.rc"
t "bpftrace kfunc rc=$(cat "$OUT/bpftrace-kfunc.rc"), $(grep -c '^@' "$OUT/bpftrace-kfunc.txt") stacks"

# Interval captures (issue 17): on one run of the workload, bpftrace printing every 500 ms with
# clear() (intervals-cleared.txt), without it (running totals, intervals-cumulative.txt), the
# cleared script in -f json (intervals-cleared.json), and tdptrace record --interval
# (intervals-tdptrace.txt). All four count the same functions over the whole run, so their
# totals per probe must be equal (check-captures.sh); the readers' totals must equal them too.
stage "intervals: bpftrace interval prints and tdptrace record --interval on one run"
if has interval; then
  ival() { # name, extra bpftrace options, body of the interval probe
    # BEGIN runs once every probe is attached: its line says this capture misses nothing.
    timeout 600 bpftrace $2 -e "BEGIN { printf(\"tdptrace-ready\\n\"); } $bt_probes { @[probe, kstack] = count(); } interval:ms:500 { time(); $3 }" \
      >"$OUT/intervals-$1" 2>"$OUT/intervals-$1.err" &
  }
  ival cleared.txt "" "print(@); clear(@);"
  P1=$!
  ival cumulative.txt "" "print(@);"
  P2=$!
  ival cleared.json "-f json" "print(@); clear(@);"
  P3=$!
  if start_record kprobe intervals-tdptrace --preset tdp-mmu --interval 500ms; then
    n=0
    while [ $n -lt 480 ] && [ "$(grep -ls tdptrace-ready "$OUT"/intervals-cleared.txt "$OUT"/intervals-cumulative.txt "$OUT"/intervals-cleared.json | wc -l)" -lt 3 ]; do
      sleep 0.5; n=$((n + 1))
    done
    sleep 1
    sh "$H/workload.sh"
    # The VM's teardown (kvm_tdp_mmu_put_root of its roots) can run after the workload's
    # process exits; under TCG 1 s was once too little and tdptrace stopped before the last
    # 30 events the bpftrace runs, still attached, counted.
    sleep 3
    stop_record intervals-tdptrace
  fi
  for p in $P1 $P2 $P3; do kill -INT $p 2>/dev/null; done
  for p in $P1 $P2 $P3; do wait $p; done
  t "intervals: $(grep -c '^[0-9][0-9]:' "$OUT/intervals-cleared.txt") cleared blocks, $(grep -c '^[0-9][0-9]:' "$OUT/intervals-tdptrace.txt" 2>/dev/null) tdptrace blocks"
else
  unavailable intervals-tdptrace "tdptrace record --interval"
fi

# top --latency --batch (issue 17) while bpftrace counts calls of the functions top timed by
# kprobe, on one run of the workload: top's CSV (top-latency.csv) must account for every call
# bpftrace counted (top-latency-bpftrace.txt), and give a p99 to the rows that had calls.
stage "top: tdptrace top --latency --batch and a bpftrace count on the same run"
if has top; then
  rm -f "$OUT/top-latency.csv" "$OUT/top-latency.err"
  "$TDP" top --latency --batch --attach kprobe --interval 1s >"$OUT/top-latency.csv" 2>"$OUT/top-latency.err" &
  TPID=$!
  n=0
  while [ $n -lt 480 ] && kill -0 $TPID 2>/dev/null && ! grep -qs 'Attaching' "$OUT/top-latency.err"; do sleep 0.5; n=$((n + 1)); done
  sleep 1
  TFUNCS=$(sed -n 's/^tdptrace: ok  *kprobe:\([A-Za-z0-9_]*\) via kprobe.*/\1/p' "$OUT/top-latency.err" | sort -u)
  tprobes=$(for f in $TFUNCS; do printf 'kprobe:%s,' "$f"; done | sed 's/,$//')
  if [ -n "$tprobes" ]; then
    timeout 300 bpftrace -c "/bin/sh $H/workload.sh" -e "$tprobes { @[probe] = count(); }" \
      >"$OUT/top-latency-bpftrace.txt" 2>"$OUT/top-latency-bpftrace.err"
  fi
  sleep 2
  kill -INT $TPID 2>/dev/null
  wait $TPID
  echo $? >"$OUT/top-latency.rc"
  t "top: rc=$(cat "$OUT/top-latency.rc"), $(wc -l <"$OUT/top-latency.csv") CSV lines"
else
  unavailable top-latency "tdptrace top"
fi

# Latency: tdptrace record --latency (kprobe and kretprobe, the tdp-mmu-latency preset) and a
# bpftrace script timing the same functions, on one run of the workload. The bpftrace script
# keeps a start time per (thread, depth), so a recursive call (__handle_changed_spte) is timed at
# every level as tdptrace does; both key their histograms by "kprobe:FUNC" first.
SLOW_NS=${SLOW_NS:-2000000}
# Writes the bpftrace script for the functions in $1 (names) to $2.
latency_script() {
  : >"$2"
  for f in $1; do
    cat >>"$2" <<BT
kprobe:$f { @d_$f[tid]++; @s_$f[tid, @d_$f[tid]] = nsecs; }
kretprobe:$f /@d_$f[tid]/ {
  \$ns = nsecs - @s_$f[tid, @d_$f[tid]];
  @ns["kprobe:$f"] = hist(\$ns);
  @calls["kprobe:$f"] = count();
  if (\$ns >= $SLOW_NS) { printf("SLOW kprobe:$f %d %d\\n", tid, \$ns); }
  delete(@s_$f[tid, @d_$f[tid]]);
  @d_$f[tid]--;
}
BT
  done
  printf 'END {' >>"$2"
  for f in $1; do printf ' clear(@d_%s); clear(@s_%s);' "$f" "$f" >>"$2"; done
  echo ' }' >>"$2"
}

stage "latency: tdptrace record --latency and bpftrace kprobe/kretprobe on the same run"
# Kprobes on one address run newest first, and kretprobe return hooks unwind last in, first out,
# so the tracer attached last times each call from outside the other's handlers. bpftrace
# attaches first: its intervals then lie inside tdptrace's, and every call bpftrace times over
# the threshold must be over it in tdptrace too (latency-check.awk). The functions are those
# `probes --latency` attaches by kprobe; bpftrace 0.17 refuses to load some kretprobes that
# tdptrace attaches (seen on 6.1: kvm_tdp_mmu_try_split_huge_pages), so such a function is left
# out of its script and named in latency-bpftrace.dropped.
if has latency; then
  "$TDP" probes --latency --attach kprobe >"$OUT/latency-probes.txt" 2>&1
  LFUNCS=$(sed -n 's/.*ok  *kprobe:\([A-Za-z0-9_]*\) via kprobe.*/\1/p' "$OUT/latency-probes.txt" | sort -u)
  : >"$OUT/latency-bpftrace.dropped"
  # bpftrace -c starts this only once all its probes are attached: tdptrace attaches after it.
  cat >"$H/latency-run.sh" <<RUN
#!/bin/sh
"$TDP" record --latency --attach kprobe --slower-than $SLOW_NS --output "$OUT/latency-tdptrace.txt" \\
  2>"$OUT/latency-tdptrace.err" &
RPID=\$!
n=0
while [ \$n -lt 480 ] && kill -0 \$RPID 2>/dev/null && ! grep -qs 'recording' "$OUT/latency-tdptrace.err"; do
  sleep 0.5; n=\$((n + 1))
done
sleep 1
sh "$H/workload.sh"
kill -INT \$RPID
wait \$RPID
echo \$? >"$OUT/latency-tdptrace.rc"
RUN
  for attempt in 1 2 3 4; do
    latency_script "$LFUNCS" "$H/latency.bt"
    rm -f "$OUT/latency-tdptrace.txt" "$OUT/latency-tdptrace.rc"
    timeout 600 bpftrace -c "/bin/sh $H/latency-run.sh" "$H/latency.bt" \
      >"$OUT/latency-bpftrace.txt" 2>"$OUT/latency-bpftrace.err"
    echo $? >"$OUT/latency-bpftrace.rc"
    bad=$(sed -n 's/.*Error loading program: k\(ret\)\{0,1\}probe:\([A-Za-z0-9_]*\).*/\2/p' "$OUT/latency-bpftrace.err" | head -n 1)
    [ -n "$bad" ] || break
    echo "$bad" >>"$OUT/latency-bpftrace.dropped"
    t "bpftrace could not load its probe on $bad (attempt $attempt); timing without it"
    LFUNCS=$(echo "$LFUNCS" | grep -v -x "$bad")
  done
  t "latency: bpftrace rc=$(cat "$OUT/latency-bpftrace.rc"), tdptrace rc=$(cat "$OUT/latency-tdptrace.rc" 2>/dev/null)"
  tail -n 3 "$OUT/latency-tdptrace.err" 2>/dev/null
else
  unavailable latency-tdptrace "tdptrace record --latency"
fi

# The fentry/fexit pair of record --latency, alone on another run of the workload.
stage "latency: tdptrace record --latency --attach fentry"
if has latency; then
  if start_record fentry latency-fentry --latency; then
    sh "$H/workload.sh"
    stop_record latency-fentry
  else
    t "tdptrace record --latency --attach fentry exited early"; wait $RPID; echo $? >"$OUT/latency-fentry.rc"
  fi
  tail -n 3 "$OUT/latency-fentry.err"
fi

# SPTE ledger (issue 16): tdptrace record --spte and a bpftrace script on the same tracepoint,
# attached together over one run of spte-driver (every kind of change it can make). bpftrace
# counts each change by (level, old present, new present, old leaf, new leaf), computed from the
# raw SPTEs by KVM's definitions (present: bit 11, SPTE_MMU_PRESENT_MASK; leaf: level 1 or bit 7,
# PT_PAGE_SIZE_MASK), plus the splits and the flushes; tdptrace's classes must give the same
# buckets (check-captures.sh).
# Fault anatomy (issue 15): tdptrace record --faults and a bpftrace count of kvm_mmu_page_fault
# per thread on one run of fault-driver, whose output maps each vCPU to its thread.
stage "faults: tdptrace record --faults and bpftrace counting kvm_mmu_page_fault, one run of fault-driver"
if has faults; then
  rm -f "$OUT/faults-bpftrace.txt"
  timeout 600 bpftrace -e 'BEGIN { printf("tdptrace-ready\n"); } kprobe:kvm_mmu_page_fault { @faults[pid, tid] = count(); }' \
    >"$OUT/faults-bpftrace.txt" 2>"$OUT/faults-bpftrace.err" &
  BPID=$!
  if start_record auto faults-tdptrace --faults; then
    n=0
    while [ $n -lt 480 ] && ! grep -qs tdptrace-ready "$OUT/faults-bpftrace.txt"; do sleep 0.5; n=$((n + 1)); done
    sleep 1
    $H/bin/fault-driver ${FAULT_ROUNDS:-30} 32 >"$OUT/faults-workload.log" 2>&1 || echo "fault-driver failed" >>"$OUT/faults-workload.log"
    sleep 1
    stop_record faults-tdptrace
  fi
  kill -INT $BPID 2>/dev/null
  wait $BPID
  cat "$OUT/faults-workload.log" "$OUT/faults-tdptrace.err"
  t "faults: $(grep -c '^@faults\[' "$OUT/faults-tdptrace.txt" 2>/dev/null) tdptrace entries, $(grep -c '^@faults\[' "$OUT/faults-bpftrace.txt") bpftrace threads"
else
  unavailable faults-tdptrace "tdptrace record --faults"
fi

# mmu_lock waits (issue 15): fault-driver, long enough for its vCPUs to wait behind its memslot
# and notifier paths under TCG (30 rounds saw none or one), run alone, under tdptrace record
# --mmu-lock (lock-tdptrace.txt, checked by lock.holders), under the equivalent bpftrace script
# (the same attach points: the vCPU entry, both contention tracepoints with the waiter's stack,
# entry and return of the write holders fault-driver takes; waits timed into a histogram keyed
# by VM, holder and stack), and alone again: the wall times are record --mmu-lock's overhead.
# Each line of lock-overhead.txt is one run: its kind and its wall time in ns.
stage "mmu-lock: fault-driver alone, under tdptrace record --mmu-lock, under bpftrace, alone"
if has mmulock; then
  : >"$OUT/lock-overhead.txt"
  holders=$(for f in kvm_mmu_notifier_invalidate_range_start kvm_set_memslot kvm_mmu_zap_all_fast; do
    grep -qw "$f" /proc/kallsyms && echo "$f"; done)
  probes_of() { echo "$holders" | sed "s/^/$1:/" | paste -sd, -; }
  # The holder probes come before their reader (bpftrace 0.23 types a map at its first use);
  # the stack at contention_end is the waiter's, as tdptrace's at contention_begin.
  cat >"$OUT/lock-overhead.bt" <<BT
BEGIN { printf("tdptrace-ready\n"); }
kprobe:kvm_mmu_page_fault { @vm[pid] = 1; }
$(probes_of kprobe) { @holder[pid] = func; }
$(probes_of kretprobe) { delete(@holder[pid]); }
tracepoint:lock:contention_begin /@vm[pid]/ { @start[tid] = nsecs; }
tracepoint:lock:contention_end /@start[tid]/ {
  @wait_ns[pid, @holder[pid], kstack] = hist(nsecs - @start[tid]);
  delete(@start[tid]);
}
BT
  run_driver() {
    local t0 t1
    t0=$(date +%s%N)
    $H/bin/fault-driver ${LOCK_ROUNDS:-6000} 32 >>"$OUT/lock-overhead.log" 2>&1 || echo "fault-driver failed" >>"$OUT/lock-overhead.log"
    t1=$(date +%s%N)
    echo "$1 $((t1 - t0))" >>"$OUT/lock-overhead.txt"
  }
  with_tdptrace() {
    if start_record auto lock-tdptrace --mmu-lock; then
      run_driver tdptrace
      stop_record lock-tdptrace
    else
      wait $RPID
      echo $? >"$OUT/lock-tdptrace.rc"
    fi
  }
  # One bpftrace run: its output, errors and exit status in lock-overhead-bpftrace.{txt,err}
  # and one line of lock-overhead-bpftrace.runs ("N ready|not-ready rc R"). A run whose
  # bpftrace died before it printed its BEGIN line timed nothing: it is tried once more, and
  # the check names every such run (lock.overhead), with the guest's last OOM message if any.
  with_bpftrace() {
    local try
    for try in 1 2; do
      timeout 600 bpftrace "$OUT/lock-overhead.bt" >"$OUT/lock-overhead-bpftrace.txt" 2>"$OUT/lock-overhead-bpftrace.err" &
      local pid=$! n=0 rc ready=not-ready
      while [ $n -lt 480 ] && ! grep -qs tdptrace-ready "$OUT/lock-overhead-bpftrace.txt"; do
        kill -0 $pid 2>/dev/null || break
        sleep 0.5; n=$((n + 1))
      done
      grep -qs tdptrace-ready "$OUT/lock-overhead-bpftrace.txt" && ready=ready
      [ $ready = ready ] && run_driver bpftrace
      kill -INT $pid 2>/dev/null; wait $pid
      rc=$?
      bpftrace_runs=$((bpftrace_runs + 1))
      echo "$bpftrace_runs $ready rc $rc" >>"$OUT/lock-overhead-bpftrace.runs"
      if [ $ready = not-ready ]; then
        cat "$OUT/lock-overhead-bpftrace.err" >>"$OUT/lock-overhead-bpftrace.failed"
        dmesg | grep -i "out of memory\|oom-kill" | tail -n 2 >>"$OUT/lock-overhead-bpftrace.failed"
        continue
      fi
      return 0
    done
  }
  bpftrace_runs=0
  : >"$OUT/lock-overhead-bpftrace.runs"
  # Each kind twice, in both orders, and bare between: the spread of the bare runs is the
  # run-to-run noise under TCG.
  run_driver bare; with_tdptrace; with_bpftrace; run_driver bare; with_bpftrace; with_tdptrace; run_driver bare
  cat "$OUT/lock-overhead.txt"
  tail -n 2 "$OUT/lock-tdptrace.err" "$OUT/lock-overhead-bpftrace.err" "$OUT/lock-overhead-bpftrace.runs"
else
  unavailable lock-overhead "tdptrace record --mmu-lock"
fi

stage "spte: tdptrace record --spte and bpftrace on kvm_tdp_mmu_spte_changed, one run of spte-driver"
if has spte; then
  rm -f "$OUT/spte-bpftrace.txt"
  timeout 600 bpftrace -e 'BEGIN { printf("tdptrace-ready\n"); }
    tracepoint:kvmmmu:kvm_tdp_mmu_spte_changed {
      $o = args->old_spte; $n = args->new_spte; $op = ($o >> 11) & 1; $np = ($n >> 11) & 1;
      @spte_bpftrace[args->level, $op, $np, $op && (args->level == 1 || (($o >> 7) & 1)),
        $np && (args->level == 1 || (($n >> 7) & 1))] = count();
      if (@in_memslot[tid]) { @memslot_changes = count(); }
    }
    tracepoint:kvmmmu:kvm_mmu_split_huge_page { @splits[args->level, args->errno] = count(); }
    kprobe:kvm_flush_remote_tlbs { @flushes = count(); }
    kprobe:kvm_set_memslot { @ops[probe] = count(); @in_memslot[tid] = 1; }
    kretprobe:kvm_set_memslot { delete(@in_memslot[tid]); }
    kprobe:kvm_mmu_notifier_invalidate_range_start { @ops[probe] = count(); }' \
    >"$OUT/spte-bpftrace.txt" 2>"$OUT/spte-bpftrace.err" &
  BPID=$!
  if start_record auto spte-tdptrace --spte; then
    n=0
    while [ $n -lt 480 ] && ! grep -qs tdptrace-ready "$OUT/spte-bpftrace.txt"; do sleep 0.5; n=$((n + 1)); done
    sleep 1
    $H/bin/spte-driver $ITER >"$OUT/spte-workload.log" 2>&1 || echo "spte-driver failed" >>"$OUT/spte-workload.log"
    sleep 1
    stop_record spte-tdptrace
  fi
  kill -INT $BPID 2>/dev/null
  wait $BPID
  cat "$OUT/spte-workload.log"
  t "spte: $(grep -c '^@spte\[' "$OUT/spte-tdptrace.txt" 2>/dev/null) tdptrace entries, $(grep -c '^@spte_bpftrace\[' "$OUT/spte-bpftrace.txt") bpftrace buckets"
else
  unavailable spte-tdptrace "tdptrace record --spte"
fi

# The overhead benchmark (TDPTRACE_VM_BENCH=1 on the host): the workload alone, under
# tdptrace record --latency, and under the bpftrace script for the same functions, in turn.
if [ -f "$H/bench" ] && has latency && [ -n "${LFUNCS:-}" ]; then
  stage "latency overhead benchmark"
  elapsed() { s=$(cut -d' ' -f1 /proc/uptime); "$@" >/dev/null 2>&1; e=$(cut -d' ' -f1 /proc/uptime); awk -v s="$s" -v e="$e" 'BEGIN { printf "%.2f\n", e - s }'; }
  : >"$OUT/latency-overhead.txt"
  for round in 1 2 3; do
    echo "alone $(elapsed sh "$H/workload.sh")" >>"$OUT/latency-overhead.txt"
    if start_record kprobe latency-bench --latency; then
      echo "tdptrace $(elapsed sh "$H/workload.sh")" >>"$OUT/latency-overhead.txt"
      stop_record latency-bench
    fi
    bpftrace "$H/latency.bt" >/dev/null 2>"$OUT/latency-bench-bt.err" &
    BPID=$!
    n=0
    while ! grep -qs 'Attaching' "$OUT/latency-bench-bt.err" && [ $n -lt 240 ]; do sleep 0.5; n=$((n + 1)); done
    sleep 1
    echo "bpftrace $(elapsed sh "$H/workload.sh")" >>"$OUT/latency-overhead.txt"
    kill -INT $BPID; wait $BPID
  done
  cat "$OUT/latency-overhead.txt"
fi

stage "done"
exit $fail
