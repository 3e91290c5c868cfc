#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `vessel run --cpus N` end to end, in the two-CPU boot: one thread per
# vCPU. smp_mb finds its processors in the ACPI MADT and starts each AP
# with INIT-SIPI-SIPI from a real-mode trampoline; every AP prints a line
# (under a spinlock in the guest) and counts itself; the BSP exits through
# port 0xf4 with the count. Whatever ends the VM on one vCPU (the exit
# port, a triple fault) or a signal stops all of them.
. /testbed/tap.sh
vessel=/testbed/vessel
guest=/testbed/smp_mb.elf
out=/tmp/smp.out
err=/tmp/smp.err

grep -q '^vessel ' /proc/modules || insmod /testbed/vessel.ko $VESSEL_TESTBED_PARAMS

# run ARGS...: vessel run with no input; status in $rc, output in $out/$err.
run() {
	$vessel run "$@" </dev/null >$out 2>$err
	rc=$?
	sed 's/^/# stderr: /' $err
}

# The lines every AP of an N-vCPU VM prints, sorted.
ap_lines() {
	i=1
	while [ $i -lt $1 ]; do
		echo "smp_mb: AP with APIC ID $i up"
		i=$((i + 1))
	done | sort
}

# smp_up N: N-1 APs came up, each printed its whole line once, the count
# is the exit code ((N - 1) << 1 | 1), nothing on stderr.
smp_up() {
	n=$1
	run --irqchip kernel --cpus $n $guest
	sed 's/^/# /' $out
	[ "$rc" = $((2 * (n - 1) + 1)) ] && [ ! -s $err ] &&
		[ "$(head -n 1 $out)" = "smp_mb: $n CPUs in the MADT" ] &&
		[ "$(tail -n 1 $out)" = "smp_mb: $((n - 1)) of $((n - 1)) APs up" ] &&
		[ "$(sed '1d;$d' $out | sort)" = "$(ap_lines $n)" ]
}

# smp_repeat N TIMES: the same, TIMES runs in a row (races show up as a
# mixed line, a missing AP or a hang).
smp_repeat() {
	k=0
	while [ $k -lt $2 ]; do
		smp_up $1 || return 1
		k=$((k + 1))
	done
}

# A triple fault on AP 1 ends the VM while the BSP still waits for it.
ap_shutdown() {
	run --irqchip kernel --cpus 3 --cmdline crash $guest
	[ "$rc" = 1 ] && [ "$(wc -l <$err)" = 1 ] &&
		grep -q '^vessel run: vCPU 1: guest triple-faulted (shutdown)$' $err &&
		grep -q '^smp_mb: AP with APIC ID 1 up$' $out &&
		! grep -q 'APs up' $out
}

# Input 1 s late wakes the halted BSP of a 2-vCPU VM (echo_mb; its AP
# stays waiting for SIPI).
echo_late() {
	(sleep 1; printf 'late\n') |
		$vessel run --irqchip kernel --cpus 2 /testbed/echo_mb.elf >$out 2>$err
	rc=$?
	sed 's/^/# stderr: /' $err
	[ "$rc" = 85 ] && [ ! -s $err ] && [ "$(cat $out)" = "echo_mb: late" ]
}

# SIGTERM stops a VM whose BSP spins in real mode (a flat image: jmp $)
# and whose APs sleep in the kernel waiting for a SIPI.
sigterm_stops_all() {
	printf '\353\376' >/tmp/spin.bin
	$vessel run --format flat --cpus 3 /tmp/spin.bin </dev/null >$out 2>$err &
	pid=$!
	sleep 2
	kill -TERM $pid
	wait $pid
	rc=$?
	sed 's/^/# stderr: /' $err
	[ "$rc" = 143 ] && [ "$(wc -l <$err)" = 1 ] &&
		grep -q '^vessel run: stopped by SIGTERM$' $err
}

# The lifecycle with two vCPUs (Documentation/lifecycle.rst): life_mb's BSP
# busy with exits, its AP asleep in the kernel waiting for a SIPI; both are
# paused for a suspend and a hard reset, and the machine goes on.
lifecycle_smp() {
	sock=/tmp/smp.sock
	rm -f /tmp/smp.in
	mkfifo /tmp/smp.in
	$vessel run --cpus 2 --control $sock /testbed/life_mb.elf \
		</tmp/smp.in >$out 2>$err &
	pid=$!
	exec 3>/tmp/smp.in
	i=0
	until grep -q "boot cold" $out 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 200 ] && break
		sleep 0.1
	done
	$vessel ctl $sock suspend && sleep 1 &&
		$vessel ctl --json $sock info | grep -q '"state":"suspended","suspend_reason":"user"' &&
		$vessel ctl --json $sock info | grep -q '"vcpus":2' &&
		$vessel ctl $sock resume && $vessel ctl $sock reset --hard
	r=$?
	i=0
	until [ "$(grep -c "boot cold" $out)" = 2 ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && break
		sleep 0.1
	done
	printf q >&3
	exec 3>&-
	wait $pid
	rc=$?
	sed 's/^/# stderr: /' $err
	[ $r = 0 ] && [ "$rc" = 85 ] && [ "$(grep -c "boot cold" $out)" = 2 ]
}

ok "--cpus 2: the AP starts by INIT-SIPI-SIPI, prints, counts; status 3" smp_up 2
ok "--cpus 4: three APs at once, whole lines, status 7 (3 runs)" smp_repeat 4 3
ok "a triple fault on one AP stops every vCPU: status 1, one line naming it" \
	ap_shutdown
ok "SIGTERM stops a running BSP and APs waiting for SIPI: status 143" \
	sigterm_stops_all
ok "--cpus 2: stdin wakes the BSP halted in the kernel" echo_late
ok "--cpus 2 --control: suspend, resume and a hard reset, AP waiting for SIPI" \
	lifecycle_smp
tap_done
