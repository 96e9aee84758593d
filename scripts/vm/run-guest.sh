#!/bin/bash
# Boots the test-bed image once, runs SHARE/guest.sh inside, collects its output, powers off.
#   run-guest.sh IMAGE_DIR SHARE_DIR [TIMEOUT_SECONDS]
# SHARE_DIR is shared read-write over virtio-9p as /host. Results: SHARE/guest.log (the
# script's output), SHARE/guest.rc (its exit status), SHARE/console.log (serial console).
# Exits non-zero, naming the step, when QEMU fails, times out, or guest.sh fails.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

IMG="${1:?usage: run-guest.sh IMAGE_DIR SHARE_DIR [TIMEOUT]}"
SHARE="$(cd "${2:?usage: run-guest.sh IMAGE_DIR SHARE_DIR [TIMEOUT]}" && pwd)"
LIMIT="${3:-900}"
[ -f "$IMG/ready" ] || vm_die "boot" "no image in $IMG (run build-image.sh)"
[ -f "$SHARE/guest.sh" ] || vm_die "boot" "no guest.sh in $SHARE"
command -v qemu-system-x86_64 >/dev/null || vm_die "boot" "qemu-system-x86_64 is not installed"

install -m 0755 "$(dirname "$0")/share-init.sh" "$SHARE/init.sh"
rm -f "$SHARE/guest.rc" "$SHARE/guest.log" "$SHARE/console.log"

# thread=single: the default multi-threaded TCG freezes the guest while KVM patches its own
# code (static keys flipped on every VM create/destroy); see docs/vm.md.
# The image is opened with snapshot=on so a run never modifies the cached image.
VM_STEP_LOG="$SHARE/console.log" vm_step "qemu" "$LIMIT" \
  qemu-system-x86_64 -accel tcg,thread=single -cpu max -smp 2 -m "${TDPTRACE_VM_MEM:-2G}" -M pc \
  -kernel "$IMG/vmlinuz" -initrd "$IMG/initrd.img" \
  -append "console=ttyS0 root=/dev/vda rw init=/tdp-init.sh panic=-1 mitigations=off loglevel=4" \
  -drive "file=$IMG/rootfs.img,format=raw,if=virtio,cache=unsafe,snapshot=on" \
  -virtfs "local,path=$SHARE,mount_tag=host,security_model=none,id=host" \
  -display none -serial stdio -monitor none -no-reboot -net none

[ -f "$SHARE/guest.rc" ] || vm_die "guest" "guest.sh never finished (see $SHARE/console.log)"
rc=$(cat "$SHARE/guest.rc")
if [ "$rc" != 0 ]; then
  tail -n 30 "$SHARE/guest.log" >&2 || true
  vm_die "guest" "guest.sh exited $rc (see $SHARE/guest.log)"
fi
vm_log "guest.sh done"
