# Cross-checks a tdptrace latency capture (record --latency) against bpftrace's on the same run.
#   awk -v slow_ns=N -f latency-check.awk latency-tdptrace.txt latency-bpftrace.txt
# Independent of tdptrace's parser. Prints one line per check, "PASS name: ..." or "FAIL name: ...".
function value(label,   n, unit) {  # bpftrace hist labels: 512, 1K, 2M (powers of 1024)
  n = label; unit = 1
  if (n ~ /K$/) unit = 1024; else if (n ~ /M$/) unit = 1048576; else if (n ~ /G$/) unit = 1073741824
  sub(/[KMG]$/, "", n)
  return n * unit
}
function median_low(file, probe,   total, half, run, i) {
  total = 0
  for (i = 1; i <= nb[file, probe]; i++) total += bc[file, probe, i]
  half = total / 2; run = 0
  for (i = 1; i <= nb[file, probe]; i++) { run += bc[file, probe, i]; if (run >= half) return blo[file, probe, i] }
  return -1
}
function median_high(file, probe,   total, half, run, i) {
  total = 0
  for (i = 1; i <= nb[file, probe]; i++) total += bc[file, probe, i]
  half = total / 2; run = 0
  for (i = 1; i <= nb[file, probe]; i++) { run += bc[file, probe, i]; if (run >= half) return bhi[file, probe, i] }
  return -1
}
FNR == 1 { file++; section = ""; probe = "" }
# --- tdptrace ---
file == 1 && /^@latency_ns\[/ { probe = substr($0, 13); sub(/,.*/, "", probe); section = "hist"; probes[probe] = 1; next }
file == 1 && /^@latency_stats_ns\[/ { probe = substr($0, 19); sub(/,.*/, "", probe); section = "stats"; depth = 0; next }
file == 1 && section == "stats" && /^    / {
  f = $1; sub(/\+.*/, "", f); if (f == "__handle_changed_spte") depth++; next
}
file == 1 && section == "stats" && /^\]: count / {
  line = $0; sub(/^\]: count /, "", line); split(line, st, /, average |, total /)
  tcount[probe] += st[1]
  if (probe == "kprobe:__handle_changed_spte") { if (depth >= 2) inner += st[3]; else outer += st[3] }
  section = ""; next
}
file == 1 && section == "hist" && /^\[/ {
  split($0, q, /[\[,) ]+/); n = ++nb[1, probe]; blo[1, probe, n] = q[2]; bhi[1, probe, n] = q[3]
  bc[1, probe, n] = $3; next
}
file == 1 && /^@tdptrace_slow\[/ {
  line = substr($0, 16); n = split(line, k, /, /)
  tslow[k[5], k[3]] = tslow[k[5], k[3]] " " k[6]; next
}
file == 1 && /^@tdptrace_latency_lost\[/ { lost = lost " " $0; next }
# --- bpftrace ---
file == 2 && /^@calls\[/ { p2 = substr($0, 8); sub(/\]:.*/, "", p2); bcount[p2] = $NF; next }
file == 2 && /^@ns\[/ { probe = substr($0, 5); sub(/\]:.*/, "", probe); section = "hist"; next }
file == 2 && section == "hist" && /^\[/ {
  split($0, q, /[\[,) ]+/); n = ++nb[2, probe]; blo[2, probe, n] = value(q[2]); bhi[2, probe, n] = value(q[3])
  bc[2, probe, n] = $3; next
}
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
  bad = ""; checked = 0
  for (p in bcount) {
    if (nb[1, p] == 0 || nb[2, p] == 0) continue
    checked++
    t = median_low(1, p); lo = median_low(2, p); hi = median_high(2, p)
    # Within one log2 bucket of bpftrace's median bucket.
    if (t < lo / 2 || t >= hi * 2) bad = bad " " p ":" t "~[" lo "," hi ")"
  }
  if (bad == "") print "PASS latency.median: " checked " functions, medians within one log2 bucket of bpftrace's"
  else print "FAIL latency.median: medians apart:" bad
  if (outer + inner == 0) print "FAIL latency.recursion: no __handle_changed_spte calls timed"
  else if (inner <= outer) print "PASS latency.recursion: __handle_changed_spte nested levels " inner " ns <= outermost " outer " ns"
  else print "FAIL latency.recursion: nested levels " inner " ns > outermost " outer " ns"
  bad = ""; checked = 0
  for (i = 1; i <= ns; i++) {
    split(bslow[i], s, " ")
    if (s[3] < slow_ns * 1.25) continue  # near the threshold the two clocks may disagree
    checked++; found = 0; n = split(tslow[s[1], s[2]], d, " ")
    for (j = 1; j <= n; j++) if (d[j] >= s[3] * 0.75 && d[j] <= s[3] * 1.25) found = 1
    if (!found) bad = bad " " bslow[i]
  }
  if (bad == "") print "PASS latency.outliers: " checked " calls over 1.25x the threshold in bpftrace, all listed by tdptrace"
  else print "FAIL latency.outliers: not listed by tdptrace:" bad
  if (lost != "") print "NOTE latency.lost:" lost
}
