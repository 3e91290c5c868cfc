#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# CPU hotplug with vessel.ko loaded (needs a machine with two CPUs).
. /testbed/tap.sh
cpu1=/sys/devices/system/cpu/cpu1/online
info_ok() { /testbed/vessel info >/dev/null; }

ok "two CPUs" [ -e $cpu1 ]
ok "insmod vessel.ko" insmod /testbed/vessel.ko
ok "CPU 1 goes offline" sh -c "echo 0 > $cpu1"
ok "vessel info with one CPU offline" info_ok
ok "CPU 1 comes back online" sh -c "echo 1 > $cpu1"
ok "vessel info after hotplug" info_ok
ok "CPU 1 offline again" sh -c "echo 0 > $cpu1"
ok "rmmod with a CPU offline" rmmod vessel
ok "CPU 1 online without vessel" sh -c "echo 1 > $cpu1"
ok "insmod checks VMX on the returned CPU" insmod /testbed/vessel.ko
ok "rmmod vessel" rmmod vessel
tap_done
