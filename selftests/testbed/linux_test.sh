#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Linux under `vessel run`: Debian's own cloud kernel (the one this machine
# runs, put in by `testbed --guest-kernel`) with the project's initramfs
# (selftests/linux), under each paravirtual provider, with 1, 2 and 4
# vCPUs. Everything is judged from the guest's own output: the lines its
# /init prints ("VESSEL-LINUX: KEY VALUE"), the kernel log lines it finds
# bad, and how `vessel run` ends.
#
# The guest's output is never printed raw: its kernel log would trip the
# test machine's own log check ("Call Trace", "WARNING:", ...), which is
# about this machine's kernel. What is shown is mangled (guest_show).
. /testbed/tap.sh
vessel=/testbed/vessel
kernel=/testbed/vmlinuz
initrd=/testbed/linux-initrd.gz
out=/tmp/linux.out
err=/tmp/linux.err
# The kernel needs 68 MiB for its init_size at 16 MiB (linux.rst).
mem=128M
cmdline="console=ttyS0 quiet panic=-1"

grep -q '^vessel ' /proc/modules || insmod /testbed/vessel.ko $VESSEL_TESTBED_PARAMS

# The guest's output, harmless to the test machine's log check.
guest_show() {
	tr -d '\r' <"$1" | sed 's/^/# guest: /;
		s/Oops/0ops/g; s/WARNING:/WARNING;/g; s/BUG:/BUG;/g;
		s/general protection/general-protection/g;
		s/soft lockup/soft-lockup/g; s/hard LOCKUP/hard-LOCKUP/g;
		s/KASAN/KAS4N/g; s/Call Trace/Call-Trace/g;
		s/Kernel panic/Kernel-panic/g; s/end trace/end-trace/g'
}

now() { cut -d' ' -f1 /proc/uptime; }

# boot PROVIDER CPUS [GUEST-ARGS...]: one boot, to its end (at most 10
# minutes of this machine's time); status in $rc, output in $out and
# $err, this machine's wall clock before and after in $t_before and
# $t_after, the seconds it took in $secs.
boot() {
	p=$1 n=$2
	shift 2
	t0=$(now)
	t_before=$(date +%s)
	timeout 600 $vessel run --mem $mem --cpus "$n" --paravirt "$p" --stats \
		--initrd $initrd --cmdline "$cmdline $*" $kernel \
		</dev/null >$out 2>$err
	rc=$?
	t_after=$(date +%s)
	secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
	echo "# boot: --paravirt $p --cpus $n $*: status $rc in ${secs}s"
	# The exits of the boot, by reason (vessel run --stats).
	guest_show $err
}

# fact KEY: what the guest's /init said about KEY (first boot's).
fact() {
	tr -d '\r' <$out | sed -n "s/^VESSEL-LINUX: $1 //p" | head -n 1
}

inits() { tr -d '\r' <$out | grep -c '^VESSEL-LINUX: init'; }

# What each provider must lead Linux to.
expected_hypervisor() {
	case $1 in
	kvm) echo KVM ;;
	hyperv) echo "Microsoft Hyper-V" ;;
	*) echo "" ;;
	esac
}

expected_clocksource() {
	case $1 in
	kvm) echo kvm-clock ;;
	hyperv) echo hyperv_clocksource_tsc_page ;;
	*) echo tsc ;;
	esac
}

# The checks every boot gets.
check_boot() {
	p=$1 n=$2
	ok "$p/$n: boots to the initramfs's first line" \
		test "$(inits)" -ge 1
	ok "$p/$n: runs the one kernel it was given" \
		test "$(fact uname)" = "$(uname -r)"
	ok "$p/$n: detects its hypervisor ('$(expected_hypervisor $p)')" \
		test "$(fact hypervisor)" = "$(expected_hypervisor $p)"
	ok "$p/$n: clocksource $(expected_clocksource $p)" \
		test "$(fact clocksource)" = "$(expected_clocksource $p)"
	# Known frequency: "Detected", never measured against a timer.
	tsc=$(fact tsc)
	ok "$p/$n: TSC frequency known, not calibrated" \
		sh -c "echo '$tsc' | grep -q 'tsc: Detected' &&
		       ! echo '$tsc' | grep -q 'Fast TSC\|Refined TSC\|TSC calibration'"
	ok "$p/$n: no WARN, BUG, unchecked MSR access or Firmware Bug" \
		sh -c "! grep -q '^VESSEL-LINUX: bad:' $out"
	ok "$p/$n: Brought up 1 node, $n CPU" \
		sh -c "test '$(fact cpus)' = $n &&
		       echo '$(fact smp)' | grep -q '^Brought up 1 node, $n CPUs*$'"
	# The CMOS clock shows this machine's time (the guest's UTC date).
	ok "$p/$n: the guest's date is this machine's" \
		test "$(fact date)" -ge $((t_before - 2)) -a \
		     "$(fact date)" -le $((t_after + 2))
}

# clockcheck's line: "clockcheck: N cpus, R reads, 0 backwards ... status 0".
check_clock() {
	p=$1 n=$2
	ok "$p/$n: CLOCK_MONOTONIC never goes backwards across vCPUs (10 s)" \
		sh -c "tr -d '\r' <$out | grep -q '^VESSEL-LINUX: clockcheck: $n cpus, [0-9]* reads, 0 backwards .* status 0$'"
}

for cfg in "none 1" "minimal 1" "kvm 2 vessel.clock=10" \
	   "hyperv 4 vessel.clock=10"; do
	set -- $cfg
	boot "$@"
	check_boot $1 $2
	[ $# -gt 2 ] && check_clock $1 $2
	ok "$1/$2: poweroff ends vessel run with status 0" test "$rc" = 0
	[ $tap_failed -eq 0 ] || guest_show $out
done

# reboot: the machine resets through the reset path and boots again; the
# second boot (told apart by a byte of CMOS memory, which a reset keeps)
# powers off.
boot none 1 vessel.end=reboot-once
ok "reboot: boots a second time, then powers off with status 0" \
	sh -c "test $rc = 0 && test $(inits) = 2 &&
	       tr -d '\r' <$out | grep -q '^VESSEL-LINUX: boot second' &&
	       grep -q '^guest resets: 1$' $err"

# panic: Linux tells pvpanic after printing the panic; vessel run ends 1.
boot none 1 vessel.end=panic
ok "panic: ends vessel run with status 1, the panic on the console" \
	sh -c "test $rc = 1 &&
	       grep -q 'Kernel panic - not syncing: sysrq triggered crash' $out &&
	       grep -q 'the guest panicked (pvpanic)' $err"
[ $tap_failed -eq 0 ] || guest_show $out

tap_done
