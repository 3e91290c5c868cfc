#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The Linux boot row of make bench (Documentation/performance.rst): the
# same kernel (this machine's own, testbed --guest-kernel) and initramfs
# (selftests/linux) booted by `vessel run` on vessel.ko, or by QEMU
# (testbed --qemu) on KVM, one vCPU and 128 MiB each, KVM's paravirtual
# interface for both.
#
# Usage: linux_bench.sh vessel|qemu [BOOTS]
#
# Each boot is timed in this machine's clock from the start of the VMM to
# the initramfs's first line ("VESSEL-LINUX: init"), and the guest's own
# uptime at that line says how much of it the kernel's boot took. Every
# figure is one line:
#   bench-linux HV boot N SECONDS GUEST-UPTIME
#   bench-linux HV vmx-exit REASON COUNT    (the last boot, to its power-off)
#   bench-linux HV user-exit NAME COUNT     (exits to the VMM, the same boot)
#   bench-linux qemu io-port PORT COUNT     (KVM's port I/O, the same boot)
#   bench-linux HV failed: WHY
# Status 1 when a boot failed (no first line, or the VMM did not end 0).
hv=$1
boots=${2:-2}
kernel=/testbed/vmlinuz
initrd=/testbed/linux-initrd.gz
cmdline="console=ttyS0 quiet panic=-1"
out=/tmp/linux_bench.out
err=/tmp/linux_bench.err
tracing=/sys/kernel/tracing

now() { cut -d' ' -f1 /proc/uptime; }

case $hv in
vessel)
	run() {
		/testbed/vessel run --mem 128M --cpus 1 --paravirt kvm --stats \
			--initrd $initrd --cmdline "$cmdline" $kernel
	}
	;;
qemu)
	# microvm: no PCI, no firmware but qboot, which loads the kernel
	# from fw_cfg; ACPI on, as Vessel's machine has it.
	run() {
		/usr/bin/qemu-system-x86_64 -M microvm,accel=kvm -cpu host -m 128M -smp 1 \
			-nodefaults -no-user-config -display none -serial stdio \
			-kernel $kernel -initrd $initrd -append "$cmdline"
	}
	# KVM's exits by reason, and to userspace by reason, from its
	# tracepoints' histograms (reset for each boot).
	[ -d $tracing/events ] || mount -t tracefs tracefs $tracing
	hist_start() {
		echo 'hist:keys=exit_reason' >$tracing/events/kvm/kvm_exit/trigger &&
		echo 'hist:keys=reason' >$tracing/events/kvm/kvm_userspace_exit/trigger &&
		echo 'hist:keys=port' >$tracing/events/kvm/kvm_pio/trigger
	}
	hist_stop() {
		echo '!hist:keys=exit_reason' >$tracing/events/kvm/kvm_exit/trigger
		echo '!hist:keys=reason' >$tracing/events/kvm/kvm_userspace_exit/trigger
		echo '!hist:keys=port' >$tracing/events/kvm/kvm_pio/trigger
	}
	;;
*)
	echo "linux_bench.sh: usage: linux_bench.sh vessel|qemu [BOOTS]" >&2
	exit 2
	;;
esac

failed=0
i=1
while [ $i -le "$boots" ]; do
	if [ "$hv" = qemu ]; then
		hist_stop 2>/dev/null
		hist_start || { echo "bench-linux qemu failed: no kvm_exit histogram"; exit 1; }
	fi
	: >$out
	t0=$(now)
	run </dev/null >$out 2>$err &
	pid=$!
	while kill -0 $pid 2>/dev/null && ! grep -q '^VESSEL-LINUX: init' $out; do
		sleep 0.05
	done
	t1=$(now)
	wait $pid
	rc=$?
	up=$(tr -d '\r' <$out | sed -n 's/^VESSEL-LINUX: uptime //p' | head -n 1)
	if [ $rc -ne 0 ] || [ -z "$up" ]; then
		echo "bench-linux $hv failed: boot $i: status $rc, guest uptime ${up:-none}"
		tr -d '\r' <$err | tail -n 5 | sed 's/^/# /'
		failed=1
	else
		awk -v hv="$hv" -v i=$i -v a="$t0" -v b="$t1" -v up="$up" \
			'BEGIN { printf "bench-linux %s boot %d %.2f %.2f\n", hv, i, b - a, up }'
	fi
	i=$((i + 1))
done

# The exits of the last boot.
if [ "$hv" = vessel ]; then
	tr -d '\r' <$err | awk -v hv="$hv" '
		$1 == "vmx" && $2 == "exit" { print "bench-linux", hv, "vmx-exit", $3, $5 }
		$1 == "exit" && $3 == "userspace" { print "bench-linux", hv, "user-exit", $4, $5 }'
else
	# "{ exit_reason: 30 } hitcount: 1234"
	sed -n 's/^{ exit_reason: *\([0-9]*\) *} *hitcount: *\([0-9]*\).*/\1 \2/p' \
		$tracing/events/kvm/kvm_exit/hist |
		while read -r r n; do echo "bench-linux $hv vmx-exit $r $n"; done
	# KVM_EXIT_* numbers, uapi/linux/kvm.h.
	sed -n 's/^{ reason: *\([0-9]*\) *} *hitcount: *\([0-9]*\).*/\1 \2/p' \
		$tracing/events/kvm/kvm_userspace_exit/hist |
		while read -r r n; do
			case $r in
			0) r=unknown ;; 2) r=io ;; 5) r=hlt ;; 6) r=mmio ;; 8) r=shutdown ;;
			10) r=intr ;; 17) r=irq_window_open ;; 24) r=system_event ;;
			*) r=kvm_exit_$r ;;
			esac
			echo "bench-linux $hv user-exit $r $n"
		done
	# "{ port:       0x3f8 } hitcount: 12"
	sed -n 's/^{ port: *\([0-9a-fx]*\) *} *hitcount: *\([0-9]*\).*/\1 \2/p' \
		$tracing/events/kvm/kvm_pio/hist |
		while read -r p n; do echo "bench-linux $hv io-port $p $n"; done
	hist_stop
fi
exit $failed
