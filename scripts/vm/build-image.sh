#!/bin/bash
# Builds (or reuses) the test-bed image: Debian's own kernel, kmod, bpftrace and the runtime
# libraries tdptrace needs, from Debian packages only, with debootstrap. The image lives in
# $VM_CACHE/image-<key>, where the key hashes the resolved package versions, RECIPE and the
# guest's PID 1, so a new point release or a changed recipe builds a new image and an unchanged
# one is reused.
# Prints the image directory on stdout (with --print-dir: only that, building nothing).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# stdout carries only the image directory (callers capture it); everything the steps print
# (mkfs.ext4 -d lists every file even with -q) goes to stderr.
exec 3>&1 1>&2

for tool in debootstrap mkfs.ext4 apt-cache apt-get; do
  command -v "$tool" >/dev/null || vm_die "prerequisites" "$tool is not installed (scripts/packages.txt)"
done
[ "$(id -u)" -eq 0 ] || vm_die "prerequisites" "debootstrap needs root"

# Bump when the way the image is made changes (not for comments).
RECIPE=1
# shellcheck disable=SC2207
BASE_PKGS=(kmod initramfs-tools procps bpftrace $(vm_suite_libs))
# "package version" for each package in $VM_SUITE/main as the host's apt lists know them
# (debootstrap reads the same mirror and suite). One apt-cache call: each costs seconds.
suite_versions() {
  vm_apt apt-cache madison "$@" 2>/dev/null |
    awk -F'|' -v s=" $VM_SUITE/main " 'index($3, s) { gsub(/ /, "", $1); gsub(/ /, "", $2); if (!($1 in v)) { v[$1] = $2; print $1, $2 } }'
}
versions=$(suite_versions linux-image-amd64 "${BASE_PKGS[@]}")
if ! grep -q '^linux-image-amd64 ' <<<"$versions"; then
  vm_step "apt-update" 300 vm_apt apt-get update -qq
  versions=$(suite_versions linux-image-amd64 "${BASE_PKGS[@]}")
fi
meta_ver=$(awk '$1 == "linux-image-amd64" {print $2}' <<<"$versions")
[ -n "$meta_ver" ] || vm_die "resolve-kernel" "linux-image-amd64 not found in $VM_SUITE/main"
KPKG=$(vm_apt apt-cache show "linux-image-amd64=$meta_ver" | sed -n 's/^Depends: *\(linux-image-[^ ,]*\).*/\1/p' | head -n1)
KVER=${KPKG#linux-image-}
[ -n "$KVER" ] || vm_die "resolve-kernel" "cannot read the kernel package linux-image-amd64=$meta_ver depends on"

PKGS=("$KPKG" "${BASE_PKGS[@]}")
keysrc="recipe=$RECIPE suite=$VM_SUITE"$'\n'"$KPKG=$meta_ver"$'\n'
for p in "${BASE_PKGS[@]}"; do
  v=$(awk -v p="$p" '$1 == p {print $2}' <<<"$versions")
  [ -n "$v" ] || vm_die "resolve-packages" "$p not found in $VM_SUITE/main"
  keysrc+="$p=$v"$'\n'
done
keysrc+=$(cat "$(dirname "$0")/guest-init.sh")
key=$(printf '%s' "$keysrc" | sha256sum | cut -c1-16)
IMG="$VM_CACHE/image-$key"
if [ "${1:-}" = "--print-dir" ]; then echo "$IMG" >&3; exit 0; fi

# One build of an image at a time (two runs of the test bed may share the cache).
exec 9>"$IMG.lock"
flock 9
if [ -f "$IMG/ready" ]; then
  vm_log "image cached: $IMG ($KPKG $meta_ver)"
  echo "$IMG" >&3
  exit 0
fi

# --one-file-system: a debootstrap killed midway leaves /proc mounted in the root.
umount -R "$IMG/root/proc" "$IMG/root/sys" 2>/dev/null || true
rm -rf --one-file-system "$IMG"
mkdir -p "$IMG"
printf '%s\n' "$keysrc" | head -n $((${#PKGS[@]} + 1)) >"$IMG/packages.txt"
echo "$KVER" >"$IMG/kver"
echo "$meta_ver" >"$IMG/kernel-pkg-version"
mirror=$(vm_mirror)
vm_log "building image $IMG: $KPKG ($meta_ver) from $mirror $VM_SUITE"
incl=$(IFS=,; echo "${PKGS[*]}")
VM_STEP_LOG="$IMG/debootstrap.log" vm_step "debootstrap" 1200 \
  debootstrap --variant=minbase --include="$incl" "$VM_SUITE" "$IMG/root" "$mirror"
install -m 0755 "$(dirname "$0")/guest-init.sh" "$IMG/root/tdp-init.sh"
[ -f "$IMG/root/boot/vmlinuz-$KVER" ] || vm_die "debootstrap" "no /boot/vmlinuz-$KVER in the root"
[ -f "$IMG/root/boot/initrd.img-$KVER" ] || vm_die "debootstrap" "no initrd for $KVER (initramfs-tools)"
cp "$IMG/root/boot/vmlinuz-$KVER" "$IMG/vmlinuz"
cp "$IMG/root/boot/initrd.img-$KVER" "$IMG/initrd.img"
# Space only: documentation and the apt cache are not needed to boot.
rm -rf "$IMG/root/usr/share/doc" "$IMG/root/usr/share/man" "$IMG/root/usr/share/locale" \
  "$IMG/root/var/cache/apt/archives"/*.deb
vm_step "mkfs-image" 300 mkfs.ext4 -q -F -L tdproot -d "$IMG/root" "$IMG/rootfs.img" 2G
rm -rf "$IMG/root"
touch "$IMG/ready"
vm_log "image ready: $IMG ($(du -sh "$IMG" | cut -f1))"
echo "$IMG" >&3
