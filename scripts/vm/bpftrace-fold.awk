# bpftrace text maps keyed [probe, kstack] -> "probe<TAB>leaf;...;root<TAB>count".
# A test oracle for the guest checks, independent of tdptrace's own parser on purpose.
# One-line entries (@name[key]: N, e.g. drop counters) and other text are ignored.
/^@[A-Za-z0-9_]*\[[^]]*, *$/ {
  inmap = 1; probe = $0; sub(/^@[A-Za-z0-9_]*\[/, "", probe); sub(/, *$/, "", probe); frames = ""
  next
}
inmap && /^\]: *[0-9]+/ {
  n = $0; sub(/^\]: */, "", n)
  print probe "\t" frames "\t" n
  inmap = 0
  next
}
inmap { f = $1; frames = frames (frames == "" ? "" : ";") f }
