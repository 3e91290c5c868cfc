#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The execution cap's benchmark (Documentation/lifecycle.rst): the share
# of a CPU a spinning guest's vCPU actually gets at 25, 50 and 100%. One
# VM, life_mb spinning without exits ('s'), started with --cpu-cap 25 and
# then moved to 50 and 100 through its control socket; each share is the
# vessel process's CPU time (utime + stime, /proc/PID/stat) over the wall
# time of a window of SECONDS (default 10), after a second to settle.
# Prints "cap PERCENT share S%" lines; a figure, never a verdict: the
# status is non-zero only when the VM could not be run or driven.
vessel=/testbed/vessel
sock=/tmp/cap.sock
fifo=/tmp/cap.in
out=/tmp/cap.out
seconds=${1:-10}
hz=100	# USER_HZ, the unit of /proc/PID/stat's times on x86

grep -q '^vessel ' /proc/modules || insmod /testbed/vessel.ko $VESSEL_TESTBED_PARAMS

cpu_ticks() {
	awk '{ print $14 + $15 }' /proc/$vm/stat
}
now_cs() {	# /proc/uptime in hundredths of a second
	awk '{ printf "%d", $1 * 100 }' /proc/uptime
}

# measure PERCENT: print the share over the window.
measure() {
	sleep 1
	c0=$(cpu_ticks) t0=$(now_cs)
	sleep "$seconds"
	c1=$(cpu_ticks) t1=$(now_cs)
	awk -v cap="$1" -v c=$((c1 - c0)) -v t=$((t1 - t0)) -v hz=$hz \
		'BEGIN { printf "cap %d share %.1f%% (%.2f s of CPU in %.2f s)\n",
			 cap, 100 * c / hz / (t / 100), c / hz, t / 100 }'
}

rm -f $fifo $out
mkfifo $fifo
$vessel run --cpu-cap 25 --control $sock /testbed/life_mb.elf <$fifo >$out &
vm=$!
exec 3>$fifo
i=0
until grep -q boot $out 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 200 ] && { echo "cap_bench: life_mb did not boot"; exit 1; }
	sleep 0.1
done
printf s >&3
measure 25
$vessel ctl $sock cap 50 || exit 1
measure 50
$vessel ctl $sock cap 100 || exit 1
measure 100
$vessel ctl $sock poweroff || exit 1
exec 3>&-
wait $vm
