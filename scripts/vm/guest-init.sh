#!/bin/sh
# PID 1 of the test-bed guest, baked into the image. Deliberately tiny: it mounts the host's
# 9p share and hands over to /host/init.sh, so changing the guest's behaviour never rebuilds
# the image. Powers the machine off whatever happens.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc 2>/dev/null
mkdir -p /host
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=1048576 host /host; then
  sh /host/init.sh
else
  echo "tdp-init: cannot mount the 9p share 'host'"
fi
sync
echo o >/proc/sysrq-trigger
sleep 60
