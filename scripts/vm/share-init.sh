#!/bin/sh
# Runs as PID 1's child in the guest (copied to /host/init.sh by run-guest.sh). Sets up the
# pseudo filesystems, runs /host/guest.sh with its output in /host/guest.log, and records its
# exit status in /host/guest.rc, which run-guest.sh reads.
mount -t sysfs sysfs /sys 2>/dev/null
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
ulimit -l unlimited
echo "tdp-init: uptime $(cut -d' ' -f1 /proc/uptime)s, running /host/guest.sh"
sh /host/guest.sh >/host/guest.log 2>&1
rc=$?
echo "$rc" >/host/guest.rc
echo "tdp-init: guest.sh exit $rc at uptime $(cut -d' ' -f1 /proc/uptime)s"
