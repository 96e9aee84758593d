# Shared helpers for the QEMU test bed (sourced, not run).
# Every step runs under a timeout, prints its wall time, and a failure names the step.

VM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VM_CACHE="${TDPTRACE_VM_CACHE:-$VM_ROOT/.vm-cache}"
# VM_SUITE when a caller set it (run-tests.sh runs one kernel per suite), else the user's choice.
VM_SUITE="${VM_SUITE:-${TDPTRACE_VM_SUITE:-bookworm}}"
# Exported: vm_step runs shell functions in a child bash.
export VM_ROOT VM_CACHE VM_SUITE

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
    cmd=(bash -c "$(declare -f); set -euo pipefail; $(printf '%q ' "$@")")
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

# The kernel generations the test bed boots (scripts/vm/run-tests.sh runs each): Debian 12's
# 6.1 and Debian 13's 6.12. TDPTRACE_VM_SUITES narrows the list (e.g. "bookworm").
VM_SUITES="${TDPTRACE_VM_SUITES:-bookworm trixie}"

# The runtime libraries tdptrace links, by their package names in $VM_SUITE: trixie renamed
# libelf1 and libdw1 in the 64-bit time_t transition (the sonames did not change).
vm_suite_libs() {
  case "$VM_SUITE" in
    bookworm | bullseye) echo "libbpf1 libelf1 libdw1 zlib1g" ;;
    *) echo "libbpf1 libelf1t64 libdw1t64 zlib1g" ;;
  esac
}

# apt for $VM_SUITE with its own source list and lists under $VM_CACHE/apt-$VM_SUITE, so a
# suite the host's sources do not carry (trixie on a bookworm host) resolves and downloads the
# same way as the host's own. Usage: vm_apt apt-cache madison PKG / vm_apt apt-get update.
vm_apt() {
  local d="$VM_CACHE/apt-$VM_SUITE"
  if [ ! -f "$d/sources.list" ]; then
    mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(vm_mirror) $VM_SUITE main" \
      >"$d/sources.list"
  fi
  local tool="$1"
  shift
  "$tool" -o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
    -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" -o APT::Get::List-Cleanup=0 "$@"
}

# The fixture folder of a kernel's captures: 6.1 keeps the first test bed's name.
vm_fixture_dir() {
  case "$1" in
    6.1.*) echo fixtures/qemu-tdp ;;
    *) echo "fixtures/qemu-tdp-$(echo "$1" | cut -d. -f1,2)" ;;
  esac
}
