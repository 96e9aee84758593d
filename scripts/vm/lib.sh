# Shared helpers for the QEMU test bed (sourced, not run).
# Every step runs under a timeout, prints its wall time, and a failure names the step.

VM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VM_CACHE="${TDPTRACE_VM_CACHE:-$VM_ROOT/.vm-cache}"
VM_SUITE="${TDPTRACE_VM_SUITE:-bookworm}"

vm_log() { printf '[vm %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# vm_die STEP REASON: the one failure line every caller greps for.
vm_die() {
  printf 'vm: FAILED at step "%s": %s\n' "$1" "$2" >&2
  exit 1
}

# vm_step NAME TIMEOUT_SECONDS CMD...: runs CMD under `timeout`, prints its duration, and
# fails naming the step (and whether it timed out). With VM_STEP_LOG set, CMD's output goes
# to that file and its tail is shown on failure.
vm_step() {
  local name="$1" limit="$2"
  shift 2
  local t0 rc
  t0=$(date +%s.%N)
  vm_log "step $name: start (timeout ${limit}s)"
  # `timeout` runs programs only: a shell function runs in a child bash (variables it
  # uses must be exported).
  local cmd=("$@")
  if declare -F "$1" >/dev/null; then
    cmd=(bash -c "$(declare -f vm_log "$1"); set -euo pipefail; $(printf '%q ' "$@")")
  fi
  set +e
  if [ -n "${VM_STEP_LOG:-}" ]; then
    timeout --kill-after=10 "$limit" "${cmd[@]}" >"$VM_STEP_LOG" 2>&1
  else
    timeout --kill-after=10 "$limit" "${cmd[@]}"
  fi
  rc=$?
  set -e
  if [ "$rc" -ne 0 ] && [ -n "${VM_STEP_LOG:-}" ]; then
    vm_log "last lines of $VM_STEP_LOG:"
    tail -n 20 "$VM_STEP_LOG" >&2
  fi
  local dt
  dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    vm_die "$name" "timed out after ${limit}s"
  elif [ "$rc" -ne 0 ]; then
    vm_die "$name" "exit status $rc after ${dt}s"
  fi
  vm_log "step $name: done in ${dt}s"
  printf '%s\t%s\n' "$name" "$dt" >>"${VM_TIMINGS:-/dev/null}"
}

# The mirror the host's apt uses (deb822 .sources first, then sources.list).
vm_mirror() {
  local m=""
  if [ -n "${TDPTRACE_VM_MIRROR:-}" ]; then echo "$TDPTRACE_VM_MIRROR"; return; fi
  m=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
  if [ -z "$m" ]; then
    m=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' |
      grep -v -- '-security' | head -n1 || true)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}
