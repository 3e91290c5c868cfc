#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The fuzzer in the test machine (Documentation/testing.rst, "The fuzzer"):
# vessel_fuzz for FUZZ_SECONDS (default 60) against a freshly loaded
# vessel.ko, with FUZZ_SEED (default 1); then rmmod must succeed and
# MemAvailable and Slab, after dropping caches, must be back at their
# baseline.  Run with vessel.ko unloaded.
#
# While it runs the console prints kernel warnings and worse (dmesg -n 5)
# and the fuzzer's progress lines: if the machine dies, the serial log
# still has the oops and the seed and iteration it happened in.
. /testbed/tap.sh
ko=/testbed/vessel.ko
seconds=${FUZZ_SECONDS:-60}
seed=${FUZZ_SEED:-1}
progress=${FUZZ_PROGRESS:-2}
out=/tmp/fuzz.out

# MemAvailable and Slab (kB) once the caches are dropped.
mem() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	awk '/^MemAvailable:/ { a = $2 } /^Slab:/ { s = $2 } END { print a, s }' \
		/proc/meminfo
}
# The kernel's own caches (slabs of new sizes, per-CPU lists) grow on
# first use: a short run of another seed first, outside the measurement.
warm_up() {
	insmod $ko $VESSEL_TESTBED_PARAMS &&
		/testbed/vessel_fuzz --seconds 3 --seed 999 >/dev/null 2>&1
	rmmod vessel
}
# Where the console is, so that the tty has sent our marker first.
drain() { stty -F /dev/console 115200 2>/dev/null; }

fuzz() {
	insmod $ko $VESSEL_TESTBED_PARAMS || return 1
	drain
	dmesg -n 5
	/testbed/vessel_fuzz --seconds "$seconds" --seed "$seed" \
		--progress "$progress" >$out 2>&1
	rc=$?
	dmesg -n 1
	sed 's/^#*/#/' $out
	return $rc
}

warm_up
set -- $(mem)
avail0=$1 slab0=$2
ok "vessel_fuzz --seed $seed --seconds $seconds: no oops, WARN, lockup, stall, hang or broken contract" fuzz
ok "rmmod vessel after the fuzzer" rmmod vessel
set -- $(mem)
avail1=$1 slab1=$2
echo "# MemAvailable $avail0 -> $avail1 kB, Slab $slab0 -> $slab1 kB"
# One page leaked per guest episode would be several MB.
ok "MemAvailable back to its baseline (within 1024 kB)" [ $((avail0 - avail1)) -lt 1024 ]
ok "Slab back to its baseline (within 512 kB)" [ $((slab1 - slab0)) -lt 512 ]
tap_done
