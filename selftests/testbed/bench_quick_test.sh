#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The benchmarks' smoke run: bench_vessel and bench_kvm --quick print a
# positive figure for every workload (speed is never judged).  Loads what
# it needs and leaves vessel.ko and KVM loaded or not, as it found them.
. /testbed/tap.sh
workloads="cpuid wbinvd msr_read msr_write pio_out pio_in mmio_write mmio_read compute memory apic_eoi apic_tpr self_ipi tsc_deadline cr8_write ipi_remote ipi_halted lm_cpuid lm_wbinvd lm_msr_read lm_pio_in lm_tsc_deadline lm_self_ipi lm_kvm_hc lm_kvm_hc_unknown lm_hv_hc lm_hv_hc_unknown"

loaded() { grep -q "^$1 " /proc/modules; }
state() { if loaded "$1"; then echo yes; else echo no; fi; }
kvm_load() {
	{ loaded irqbypass || insmod /testbed/kvm/irqbypass.ko; } &&
		{ loaded kvm || insmod /testbed/kvm/kvm.ko; } &&
		insmod /testbed/kvm/kvm-intel.ko
}
kvm_unload() { rmmod kvm_intel && rmmod kvm && rmmod irqbypass; }

# quick HV: run bench_HV --quick into /tmp/bench_HV.out, shown as comments.
quick() {
	/testbed/bench_$1 --quick >/tmp/bench_$1.out 2>&1
	r=$?
	sed 's/^/# /' /tmp/bench_$1.out
	return $r
}
# figure HV WORKLOAD: its line has six fields and a median above zero.
figure() {
	awk -v hv="$1" -v w="$2" '
		$1 == "bench" && $2 == hv && $3 == w && NF == 7 &&
		$4 ~ /^[0-9]+$/ && $4 > 0 { found = 1 }
		END { exit !found }' /tmp/bench_$1.out
}
# unusable HV: without its device, one line and status 2.
unusable() {
	/testbed/bench_$1 --quick >/tmp/bench_$1.out 2>&1
	[ $? = 2 ] && [ "$(wc -l </tmp/bench_$1.out)" = 1 ]
}
# check HV: every workload on it.
check() {
	ok "bench_$1 --quick exits with status 0" quick "$1"
	for w in $workloads; do
		ok "$1: $w has a positive figure" figure "$1" "$w"
	done
}

had_vessel=$(state vessel)
had_kvm=$(state kvm_intel)

[ $had_vessel = no ] &&
	ok "bench_vessel without /dev/vessel says so in one line" unusable vessel
[ $had_vessel = no ] && insmod /testbed/vessel.ko $VESSEL_TESTBED_PARAMS
check vessel
[ $had_vessel = no ] && rmmod vessel

[ $had_kvm = no ] &&
	ok "bench_kvm without /dev/kvm says so in one line" unusable kvm
[ $had_kvm = no ] && kvm_load
check kvm
[ $had_kvm = no ] && kvm_unload

ok "vessel.ko loaded as before: $had_vessel" [ "$(state vessel)" = $had_vessel ]
ok "kvm_intel loaded as before: $had_kvm" [ "$(state kvm_intel)" = $had_kvm ]
tap_done
