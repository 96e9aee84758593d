# Cross-checks a tdptrace latency capture (record --latency) against bpftrace's on the same run.
#   awk -v slow_ns=N [-v short_ns=262144] -f latency-check.awk latency-tdptrace.txt latency-bpftrace.txt
# Independent of tdptrace's parser. Prints one line per check, "PASS name: ..." or "FAIL name: ...".
function value(label,   n, unit) {  # bpftrace hist labels: 512, 1K, 2M (powers of 1024)
  n = label; unit = 1
  if (n ~ /K$/) unit = 1024; else if (n ~ /M$/) unit = 1048576; else if (n ~ /G$/) unit = 1073741824
  sub(/[KMG]$/, "", n)
  return n * unit
}
# Adds `n` calls in [lo, hi) to the histogram of (file, probe); buckets of every stack merge.
function add(file, probe, lo, hi, n,   k) {
  k = file SUBSEP probe
  if (!((k, lo) in cnt)) { los[k, ++nlo[k]] = lo; his[k, lo] = hi }
  cnt[k, lo] += n
}
# Calls of tdptrace's histograms of `probe` at or over `ns`: strict counts buckets wholly over it,
# else also the bucket that straddles it.
function tail(probe, ns, strict,   k, i, lo, n) {
  k = 1 SUBSEP probe; n = 0
  for (i = 1; i <= nlo[k]; i++) { lo = los[k, i] + 0; if (lo >= ns || (!strict && his[k, lo] + 0 > ns)) n += cnt[k, lo] }
  return n
}
# The bucket [lo, hi) holding the call at quantile q (0.5: the median) of (file, probe), as
# "lo hi", buckets sorted by lo.
function quantile(file, probe, q,   k, n, i, j, t, total, run) {
  k = file SUBSEP probe; n = nlo[k]
  for (i = 1; i <= n; i++) sorted[i] = los[k, i] + 0
  for (i = 2; i <= n; i++) { t = sorted[i]; for (j = i - 1; j >= 1 && sorted[j] > t; j--) sorted[j + 1] = sorted[j]; sorted[j + 1] = t }
  total = 0
  for (i = 1; i <= n; i++) total += cnt[k, sorted[i]]
  run = 0
  for (i = 1; i <= n; i++) { run += cnt[k, sorted[i]]; if (run >= q * total) return sorted[i] " " his[k, sorted[i]] }
  return "-1 -1"
}
BEGIN { if (short_ns == "") short_ns = 262144; if (recursive == "") recursive = "__handle_changed_spte" }
FNR == 1 { file++; section = ""; probe = "" }
# --- tdptrace ---
file == 1 && /^@latency_ns\[/ { probe = substr($0, 13); sub(/,.*/, "", probe); section = "hist"; probes[probe] = 1; next }
file == 1 && /^@latency_stats_ns\[/ { probe = substr($0, 19); sub(/,.*/, "", probe); section = "stats"; depth = 0; next }
file == 1 && section == "stats" && /^    / {
  f = $1; sub(/\+.*/, "", f); if (f == recursive) depth++; next
}
file == 1 && section == "stats" && /^\]: count / {
  line = $0; sub(/^\]: count /, "", line); split(line, st, /, average |, total /)
  tcount[probe] += st[1]
  if (probe == "kprobe:" recursive) {
    if (depth >= 2) inner += st[3]; else outer += st[3]
    level[depth < 1 ? 1 : depth] += st[3]; if (depth > deepest) deepest = depth
  }
  section = ""; next
}
file == 1 && section == "hist" && /^\[/ { split($0, q, /[\[,) ]+/); add(1, probe, q[2] + 0, q[3] + 0, $3); next }
file == 1 && /^@tdptrace_slow\[/ {
  line = substr($0, 16); split(line, sf, /, /)
  tslow[sf[5], sf[3]]++; tlisted[sf[5]]++; next
}
file == 1 && /^@tdptrace_latency_lost\[/ { lost = lost " " $0; next }
# --- bpftrace ---
file == 2 && /^@calls\[/ { p2 = substr($0, 8); sub(/\]:.*/, "", p2); bcount[p2] = $NF; next }
file == 2 && /^@ns\[/ { probe = substr($0, 5); sub(/\]:.*/, "", probe); section = "hist"; next }
file == 2 && section == "hist" && /^\[/ { split($0, q, /[\[,) ]+/); add(2, probe, value(q[2]), value(q[3]), $3); next }
file == 2 && /^SLOW / { bslow[++ns] = $2 " " $3 " " $4; next }
file == 2 && /^$/ { section = "" }
END {
  bad = ""; checked = 0
  for (p in bcount) { checked++; if (tcount[p] + 0 != bcount[p] + 0) bad = bad " " p "=" tcount[p] + 0 "/" bcount[p] }
  only = ""
  for (p in tcount) if (!(p in bcount)) only = only " " p
  if (checked == 0) print "FAIL latency.counts: bpftrace counted no calls"
  else if (bad == "") print "PASS latency.counts: " checked " functions, call counts equal to bpftrace's"
  else print "FAIL latency.counts: tdptrace/bpftrace calls differ:" bad
  # bpftrace timed no call of these (it could not load them, or they never ran under it).
  if (only != "") print "NOTE latency.only-tdptrace:" only
  # Medians: tdptrace's median bucket within one log2 bucket of bpftrace's. Both tracers run at
  # once, and bpftrace's handlers run inside tdptrace's intervals; under TCG a handler costs
  # tens of microseconds, so for medians under short_ns a disagreement measures the tracers
  # more than the function: it is listed with both values, not failed. tdptrace's median is
  # compared with bpftrace's 40th to 60th percentiles, not with its median alone: a dozen calls
  # of kvm_set_memslot split between ~1 ms (create) and ~70 ms (delete) put the median on the
  # edge of the two modes, where the other tracer's handlers in one call move it across (seen on
  # 6.12: tdptrace [3145728, 3407872) against bpftrace's [512K, 1M), 60th percentile 64M).
  # A function called fewer than few_calls times has no median to speak of: its middle call
  # decides alone, and one of the other tracer's handlers inside it moves it across a bucket
  # (seen on 6.12: kvm_tdp_mmu_unmap_gfn_range, 3 calls, 1 run in 14). Such functions are
  # listed with both medians, not failed; their call counts are still checked exactly above.
  if (few_calls == "") few_calls = 5
  bad = ""; checked = 0; short = ""; few = ""
  for (p in bcount) {
    if (nlo[1 SUBSEP p] == 0 || nlo[2 SUBSEP p] == 0) continue
    split(quantile(1, p, 0.5), m1, " "); split(quantile(2, p, 0.5), m2, " ")
    if (bcount[p] + 0 < few_calls) {
      few = few " " p "(" bcount[p] " calls):[" m1[1] "," m1[2] ")~[" m2[1] "," m2[2] ")"
      continue
    }
    split(quantile(2, p, 0.4), q4, " "); split(quantile(2, p, 0.6), q6, " ")
    checked++
    if (m1[1] >= q4[1] / 2 && m1[1] < q6[2] * 2) { agree++; continue }
    if (m2[1] < short_ns) short = short " " p ":[" m1[1] "," m1[2] ")~[" m2[1] "," m2[2] ")"
    else bad = bad " " p ":[" m1[1] "," m1[2] ")~[" m2[1] "," m2[2] ")"
  }
  if (checked == 0) print "FAIL latency.median: no function timed by both" (few == "" ? "" : " with " few_calls " calls or more")
  else if (bad == "") print "PASS latency.median: " agree " of " checked " functions with tdptrace's median within one log2 bucket of bpftrace's 40th-60th percentiles (all over " short_ns " ns are)"
  else print "FAIL latency.median: medians apart:" bad
  if (few != "") print "NOTE latency.median-few: fewer than " few_calls " calls, medians not compared (tdptrace~bpftrace median buckets, ns):" few
  if (short != "") print "NOTE latency.median-short: apart, under " short_ns " ns where the other tracer's handlers weigh (tdptrace~bpftrace median buckets, ns):" short
  if (outer + inner == 0) print "FAIL latency.recursion: no " recursive " calls timed"
  else {
    # Each call at depth d runs inside one call at depth d-1, so level by level the time can only
    # shrink. (All nested levels together may exceed the outermost: depth 3 lies inside depth 2.)
    bad = ""
    for (d = 2; d <= deepest; d++) if (level[d] > level[d - 1]) bad = bad " depth " d ": " level[d] " ns > depth " d - 1 ": " level[d - 1] " ns;"
    if (bad == "") print "PASS latency.recursion: " recursive " at each nesting depth takes no more time than the depth above (" deepest " levels; nested " inner " ns, outermost " outer " ns)"
    else print "FAIL latency.recursion:" bad
  }
  # The slow-call list is complete: per probe, tdptrace lists every call its own histogram has
  # over the threshold (calls in the bucket that straddles it may go either way).
  bad = ""; checked = 0
  for (p in tcount) {
    above = tail(p, slow_ns, 1); maybe = tail(p, slow_ns, 0); listed = tlisted[p] + 0
    checked += listed
    if (listed < above || listed > maybe) bad = bad " " p ": " listed " listed, histogram " above "-" maybe
  }
  if (bad == "") print "PASS latency.outliers: " checked " calls over " slow_ns " ns listed, every one the histograms hold"
  else print "FAIL latency.outliers: the slow-call list and the histograms disagree:" bad
  # Against bpftrace, which attached first so that its intervals lie inside tdptrace's (see
  # guest-tests.sh): every call it timed over the threshold tdptrace lists too, per (probe,
  # thread), whose calls follow one another. Near the threshold the clocks may disagree.
  other = ""; seen = 0
  for (i = 1; i <= ns; i++) {
    split(bslow[i], sb, " ")
    if (sb[3] < slow_ns * 1.25) continue
    seen++; want[sb[1], sb[2]]++
  }
  for (w in want) if (tslow[w] + 0 < want[w]) { split(w, ww, SUBSEP); other = other " " ww[1] " tid " ww[2] ": " want[w] " in bpftrace, " tslow[w] + 0 " in tdptrace" }
  if (other == "") print "PASS latency.outliers-vs-bpftrace: " seen " calls bpftrace timed over 1.25x the threshold, all listed by tdptrace"
  else print "FAIL latency.outliers-vs-bpftrace: listed by bpftrace, not by tdptrace:" other
  if (lost != "") print "NOTE latency.lost:" lost
}
