#!/bin/bash
# Puts kvm.ko and kvm-amd.ko with DWARF for the guest kernel KVER into DIR (cached there).
#   fetch-debuginfo.sh KVER PKG_VERSION DIR
# The committed fixtures/debuginfo/kvm-KVER.ko.xz is used when it matches KVER exactly;
# otherwise only those two paths are extracted from linux-image-KVER-dbg (an ~850 MB .deb).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
KVER="$1" VER="$2" DIR="$3"
mkdir -p "$DIR"
[ -s "$DIR/kvm.ko" ] && { vm_log "debuginfo cached: $DIR"; exit 0; }

fx="$VM_ROOT/fixtures/debuginfo"
if [ -f "$fx/kvm-$KVER.ko.xz" ]; then
  # kvm.ko is what the checks need (every TDP MMU frame is in kvm); kvm-amd.ko when committed.
  xz -dc "$fx/kvm-$KVER.ko.xz" >"$DIR/kvm.ko.tmp" && mv "$DIR/kvm.ko.tmp" "$DIR/kvm.ko"
  if [ -f "$fx/kvm-amd-$KVER.ko.xz" ]; then
    xz -dc "$fx/kvm-amd-$KVER.ko.xz" >"$DIR/kvm-amd.ko.tmp" && mv "$DIR/kvm-amd.ko.tmp" "$DIR/kvm-amd.ko"
  fi
  echo "fixtures/debuginfo (committed, $KVER)" >"$DIR/source"
  vm_log "debuginfo from the committed fixtures for $KVER"
  exit 0
fi

tmp="$DIR/dl"
rm -rf "$tmp" && mkdir -p "$tmp"
# From $VM_SUITE's own lists (lib.sh: vm_apt), so a guest kernel of another suite resolves too.
dl() { cd "$1" && vm_apt apt-get download -q "linux-image-$2-dbg=$3"; }
vm_step "debuginfo-download" 900 dl "$tmp" "$KVER" "$VER"
deb=$(ls "$tmp"/*.deb)
# Stream the data tarball and keep only the two modules; the rest (5 GB) never touches the disk.
vm_step "debuginfo-extract" 900 sh -c "dpkg-deb --fsys-tarfile '$deb' |
  tar -x -C '$tmp' --wildcards '*/kernel/arch/x86/kvm/kvm.ko' '*/kernel/arch/x86/kvm/kvm-amd.ko'"
find "$tmp" -name kvm.ko -exec mv {} "$DIR/kvm.ko" \;
find "$tmp" -name kvm-amd.ko -exec mv {} "$DIR/kvm-amd.ko" \;
rm -rf "$tmp"
[ -s "$DIR/kvm.ko" ] || vm_die "debuginfo-extract" "kvm.ko not found in linux-image-$KVER-dbg"
echo "linux-image-$KVER-dbg=$VER" >"$DIR/source"
