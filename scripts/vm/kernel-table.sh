#!/bin/bash
# Prints the markdown table of docs/vm.md "What fires where": for every tdp-mmu preset probe,
# how `probes` resolved it on each kernel generation's committed captures, and how many events
# the kprobe capture (tdptrace record --attach kprobe) counted for it on the workload.
#   kernel-table.sh FIXTURE_DIR... (default: every fixtures/qemu-tdp*/)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -gt 0 ] || set -- fixtures/qemu-tdp*/
awk '
  FNR == 1 { k++; split(FILENAME, p, "/"); dir[k] = p[length(p) - 1]; kind = "" }
  FILENAME ~ /probes-fentry.txt$/ { kind = "fentry" }
  FILENAME ~ /probes.txt$/ { kind = "auto" }
  FILENAME ~ /tdptrace-kprobe.txt$/ { kind = "events" }
  kind == "auto" && /^# kernel/ { ver[dir[k]] = $3; sub(/;$/, "", ver[dir[k]]) }
  (kind == "auto" || kind == "fentry") && $2 ~ /^(ok|FAIL|skip)$/ {
    f = $3; sub(/^[a-z]+:/, "", f); sub(/^kvmmmu:/, "", f); sub(/:$/, "", f)
    if (!(f in seen)) { seen[f] = 1; order[++n] = f; group[f] = $1 }
    r = $2 == "ok" ? ($0 ~ /via fentry/ ? "fentry" : $0 ~ /via kprobe/ ? "kprobe" : $0 ~ /instead of/ ? "tracepoint, instead of the function" : "tracepoint") : $2 == "skip" ? ($0 ~ /tracepoint counts instead/ ? "its tracepoint counts instead (6.4+)" : "tracepoint (not needed)") : ($0 ~ /its other name/ ? "absent (other name here)" : $0 ~ /not in kallsyms/ ? "not in kallsyms" : $0 ~ /UNION/ ? "refused (union argument)" : $0 ~ /ENOTSUPP/ ? "refused (7 arguments)" : "refused")
    if (kind == "auto") res[dir[k], f] = r
    else if ($2 == "FAIL" && r ~ /^refused/) fres[dir[k], f] = r
  }
  kind == "events" && /^@\[kprobe:/ { cur = $0; sub(/^@\[kprobe:/, "", cur); sub(/,.*/, "", cur) }
  kind == "events" && /^\]: / { ev[dir[k], cur] += $2 }
  END {
    for (d in ver) dirs[++m] = d
    # 6.1 first: sort by version.
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (ver[dirs[j]] < ver[dirs[i]]) { t = dirs[i]; dirs[i] = dirs[j]; dirs[j] = t }
    printf "| group | probe |"; for (i = 1; i <= m; i++) printf " %s |", ver[dirs[i]]; print ""
    printf "|---|---|"; for (i = 1; i <= m; i++) printf "---|"; print ""
    for (x = 1; x <= n; x++) {
      f = order[x]; printf "| %s | `%s` |", group[f], f
      for (i = 1; i <= m; i++) {
        d = dirs[i]; r = ((d, f) in res) ? res[d, f] : "-"
        if ((d, f) in fres && r != "fentry") r = r ", fentry " fres[d, f]
        if ((d, f) in ev) r = r ": " ev[d, f] " events"
        printf " %s |", r
      }
      print ""
    }
  }' $(for d in "$@"; do echo "${d%/}/probes.txt" "${d%/}/probes-fentry.txt" "${d%/}/tdptrace-kprobe.txt"; done)
