#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `vessel run` end to end: a multiboot guest prints its command line on the
# UART and leaves through the debug-exit port; bad images, options and
# files are refused with one clear line and a non-zero status.
. /testbed/tap.sh
vessel=/testbed/vessel
guest=/testbed/hello_mb.elf
out=/tmp/run.out
err=/tmp/run.err

grep -q '^vessel ' /proc/modules || insmod /testbed/vessel.ko $VESSEL_TESTBED_PARAMS

# run ARGS...: vessel run with no input; status in $rc, output in $out/$err.
run() {
	$vessel run "$@" </dev/null >$out 2>$err
	rc=$?
	sed 's/^/# stderr: /' $err
}

# fails_with STATUS TEXT ARGS...: vessel run exits with STATUS after
# exactly one line on stderr, "vessel run: ..." containing TEXT.
fails_with() {
	want=$1
	text=$2
	shift 2
	run "$@"
	[ "$rc" = "$want" ] && [ "$(wc -l <$err)" = 1 ] &&
		grep -q "^vessel run: .*$text" $err
}

hello_exits_85() {
	run --cmdline "hi there" $guest
	[ "$rc" = 85 ]
}
hello_printed() {
	[ "$(cat $out)" = "Hello from a multiboot guest: hi there" ]
}
hello_none() {
	run --irqchip none --cmdline "hi there" $guest
	[ "$rc" = 85 ] && hello_printed && [ ! -s $err ]
}
hello_kernel() {
	run --irqchip kernel --cmdline "hi there" $guest
	[ "$rc" = 85 ] && hello_printed && [ ! -s $err ]
}
# tables_mb scans for the MP and ACPI tables, reads the I/O APIC version
# over MMIO and the master PIC's mask over port I/O.
tables_seen() {
	run --irqchip kernel --cpus $1 /testbed/tables_mb.elf
	[ "$rc" = 85 ] && [ ! -s $err ] && [ "$(cat $out)" = \
		"MP cpus $1, ACPI cpus $1, IOAPIC 00170011, PIC IMR ff" ]
}
hello_5g() {
	run --mem 5G --cmdline "hi there" $guest
	[ "$rc" = 85 ] && hello_printed && [ ! -s $err ]
}
# irq_mb routes I/O APIC input 4 to vector 0x24 and makes the UART raise
# its interrupt: I/O APIC -> VESSEL_SIGNAL_MSI -> local APIC -> guest.
irq_seen() {
	run --irqchip kernel /testbed/irq_mb.elf
	[ "$rc" = 85 ] && [ ! -s $err ] &&
		[ "$(cat $out)" = "IRQ 4 through the I/O APIC: vector 0x24" ]
}
# pic_mb programs the PICs and unmasks IRQ 4 only, without touching its
# local APIC: PIC -> ExtINT message -> LINT0 in virtual-wire mode -> guest.
pic_seen() {
	run --irqchip kernel /testbed/pic_mb.elf
	[ "$rc" = 85 ] && [ ! -s $err ] &&
		[ "$(cat $out)" = "IRQ 4 through the PIC: vector 0x24" ]
}
# Without a local APIC there are no tables: tables_mb exits with 0x11.
no_tables() {
	run --irqchip none /testbed/tables_mb.elf
	[ "$rc" = 35 ] && [ "$(cat $out)" = "tables_mb: no valid MP table" ]
}
# irqlevel_mb routes IRQ 4 level-triggered and EOIs once with the UART
# still asserting it: the EOI exit must clear Remote IRR and re-deliver.
irq_level_seen() {
	run --irqchip kernel /testbed/irqlevel_mb.elf
	[ "$rc" = 85 ] && [ ! -s $err ] && [ "$(cat $out)" = \
		"level IRQ 4: 2 interrupts, Remote IRR set in the handler, clear after EOI" ]
}
# echo_mb halts ("sti; hlt") until the UART's interrupt brings it input:
# the line must reach the vCPU asleep in the kernel.
echo_input() {
	$2 | $vessel run --irqchip kernel --cpus $1 /testbed/echo_mb.elf \
		>$out 2>$err
	rc=$?
	sed 's/^/# stderr: /' $err
	[ "$rc" = 85 ] && [ ! -s $err ] && [ "$(cat $out)" = "echo_mb: $3" ]
}
ping_now() {
	printf 'ping\n'
}
ping_late() {
	sleep 1
	printf 'late\n'
}
help_ok() {
	$vessel run --help >$out && grep -q '^usage: vessel run' $out
}

# An ELF32 executable whose only segment is at 3 GiB: 52-byte header, one
# 32-byte program header, 4 bytes of code (hlt; jmp .-1).
make_high_elf() {
	printf '\177ELF\1\1\1\0\0\0\0\0\0\0\0\0\2\0\3\0\1\0\0\0\0\0\0\300' >$1
	printf '\64\0\0\0\0\0\0\0\0\0\0\0\64\0\40\0\1\0\0\0\0\0\0\0' >>$1
	printf '\1\0\0\0\124\0\0\0\0\0\0\300\0\0\0\300\4\0\0\0\4\0\0\0' >>$1
	printf '\5\0\0\0\4\0\0\0\364\353\375\220' >>$1
}

ok "multiboot guest ends through port 0xf4 with status 85" hello_exits_85
ok "it printed its command line on the UART" hello_printed
ok "nothing on stderr" [ ! -s $err ]

ok "a missing file: status 1, one line naming it" \
	fails_with 1 "/testbed/no-such.elf: No such file" /testbed/no-such.elf
head -c 200 $guest >/tmp/truncated.elf
ok "a truncated ELF: status 1, one line naming it" \
	fails_with 1 "/tmp/truncated.elf: .*beyond the end of the file" /tmp/truncated.elf
ok "neither ELF, multiboot nor bzImage: status 1, one line" \
	fails_with 1 "/testbed/tap.sh: not an ELF, multiboot or Linux bzImage image" /testbed/tap.sh
make_high_elf /tmp/high.elf
ok "a segment outside guest memory: status 1, one line" \
	fails_with 1 "/tmp/high.elf: .*outside guest memory" /tmp/high.elf
ok "a directory: status 1, one line" fails_with 1 "/tmp: Is a directory" /tmp

ok "--mem below 2M is a usage error" fails_with 2 "at least 2M" --mem 1M $guest
ok "--mem beyond the module's limit is a usage error" \
	fails_with 2 "more than the" --mem 1000000G $guest
ok "an unknown option is a usage error" fails_with 2 "unknown option" --bogus $guest
ok "no IMAGE is a usage error (status 2)" fails_with 2 "no IMAGE given"
ok "an unknown --irqchip is a usage error" \
	fails_with 2 "not one of auto, kernel, none" --irqchip bogus $guest
ok "--irqchip none runs the guest as before" hello_none
ok "--irqchip kernel: the guest runs with an in-kernel local APIC" \
	hello_kernel
ok "--irqchip none: no MP or ACPI tables" no_tables
ok "--irqchip kernel with RAM over the I/O APIC is a usage error" \
	fails_with 2 "would cover the I/O APIC at 0xfec00000" \
	--irqchip kernel --mem 5G $guest
ok "--irqchip auto with RAM over the I/O APIC runs without one" \
	hello_5g
ok "--cpus 2 with --irqchip none is a usage error (APs could never start)" \
	fails_with 2 "--cpus 2: vCPUs other than 0 start only by INIT/SIPI" \
	--irqchip none --cpus 2 $guest
ok "--cpus 2 with RAM over the I/O APIC is a usage error" \
	fails_with 2 "--cpus 2 needs a local APIC and an I/O APIC" \
	--mem 5G --cpus 2 $guest
ok "1 vCPU: MP and ACPI tables, I/O APIC and PIC seen by the guest" \
	tables_seen 1
ok "3 vCPUs: MP and ACPI tables, I/O APIC and PIC seen by the guest" \
	tables_seen 3
ok "the UART's IRQ 4 reaches the guest through the I/O APIC" irq_seen
ok "level-triggered IRQ 4: Remote IRR, EOI exit, re-delivery" \
	irq_level_seen
ok "the UART's IRQ 4 reaches the guest through the PIC (ExtINT, LINT0)" \
	pic_seen
ok "stdin reaches a guest halted in the kernel through IRQ 4" \
	echo_input 1 ping_now ping
ok "input 1 s late wakes the halted vCPU" echo_input 1 ping_late late
ok "vessel run --help: status 0" help_ok

pv_runs() {
	run --paravirt "$1" --cmdline hi $guest
	[ "$rc" = 85 ] && [ ! -s $err ]
}
ok "--paravirt kvm: the guest runs" pv_runs kvm
ok "--paravirt hyperv:1: the guest runs" pv_runs hyperv:1
ok "--paravirt minimal:0: the guest runs" pv_runs minimal:0
ok "--paravirt none: the guest runs" pv_runs none
ok "--paravirt with an unknown provider is a usage error" \
	fails_with 2 "not one of none, minimal, hyperv, kvm" --paravirt xen $guest
ok "--paravirt with a bad version is a usage error" \
	fails_with 2 "VERSION is not a number" --paravirt kvm:x $guest
ok "--paravirt with a version the module lacks: status 1" \
	fails_with 1 "no such interface version" --paravirt minimal:7 $guest

# hvdebug_mb talks to a debugger through Hyper-V's debug hypercalls
# (hv_debug_test.c covers the UDP link). Through file:OUT:IN, OUT gets the
# reset's answer (24 zero bytes: no network), the hello and IN, echoed
# back chunk by chunk until the guest finds nothing more to retrieve.
hvdebug=/testbed/hvdebug_mb.elf
hv_debug_file() {
	printf 'ping from a file\n' >/tmp/dbg.in
	{
		head -c 24 /dev/zero
		printf 'hvdebug_mb: hello, debugger\nping from a file\n'
	} >/tmp/dbg.want
	run --paravirt hyperv --hv-debug file:/tmp/dbg.out:/tmp/dbg.in $hvdebug
	[ "$rc" = 85 ] && [ ! -s $err ] &&
		[ "$(cat $out)" = "hvdebug_mb: echoed 17 bytes" ] &&
		cmp /tmp/dbg.want /tmp/dbg.out
}
# No link: posts are dropped and a retrieval finds nothing.
hv_debug_none() {
	run --paravirt hyperv $hvdebug
	[ "$rc" = 85 ] && [ ! -s $err ] &&
		[ "$(cat $out)" = "hvdebug_mb: echoed 0 bytes" ]
}
# Another provider: the guest finds no Hyper-V and exits with 0x11.
hv_debug_not_hyperv() {
	run --paravirt kvm $hvdebug
	[ "$rc" = 35 ] && [ "$(cat $out)" = "hvdebug_mb: failed" ]
}
ok "--hv-debug file:OUT:IN: reset, hello and IN echoed through the debug hypercalls" \
	hv_debug_file
ok "Hyper-V debug hypercalls with no --hv-debug: dropped, nothing to retrieve" \
	hv_debug_none
ok "hvdebug_mb under --paravirt kvm finds no Hyper-V" hv_debug_not_hyperv
ok "--hv-debug without --paravirt hyperv is a usage error" \
	fails_with 2 "needs --paravirt hyperv" --hv-debug none $guest
ok "--hv-debug with an unknown link is a usage error" \
	fails_with 2 "--hv-debug serial: not one of none, file:OUT\[:IN\], udp:HOST:PORT" \
	--paravirt hyperv --hv-debug serial $guest
ok "--hv-debug udp: with a host name is a usage error" \
	fails_with 2 "'localhost' is not an IPv4 address" \
	--paravirt hyperv --hv-debug udp:localhost:50000 $guest
ok "--hv-debug file: with OUT in a missing directory: status 1" \
	fails_with 1 "--hv-debug file:/nonexistent/x: /nonexistent/x: No such file or directory" \
	--paravirt hyperv --hv-debug file:/nonexistent/x $guest

# reboot_mb resets its machine through Hyper-V's RESET MSR when it reads
# 'r' from COM1 and exits on 'q'; each boot checks that registers, memory
# and provider are at power-on and prints "reboot_mb: boot". stdin is a
# FIFO written only once the boot line is out, so no byte is lost to the
# UART's reset.
boots() {
	grep -c '^reboot_mb: boot$' $out
}
wait_boots() {
	i=0
	while [ "$(boots)" -lt "$1" ] && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
reboot_twice() {
	rm -f /tmp/reboot.in
	mkfifo /tmp/reboot.in
	$vessel run --stats --cpus $1 --paravirt hyperv /testbed/reboot_mb.elf \
		</tmp/reboot.in >$out 2>$err &
	pid=$!
	exec 3>/tmp/reboot.in
	wait_boots 1
	printf r >&3
	wait_boots 2
	printf r >&3
	wait_boots 3
	printf q >&3
	exec 3>&-
	i=0
	while kill -0 $pid 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill $pid 2>/dev/null
	wait $pid
	rc=$?
	sed 's/^/# stderr: /' $err
	[ "$rc" = 85 ] && [ "$(boots)" = 3 ] &&
		[ "$(wc -l <$out)" = 3 ] && grep -q '^guest resets: 2$' $err &&
		grep -q '^  exit to userspace pv_reset  *2$' $err
}
ok "Hyper-V RESET MSR: the machine starts again from power-on, twice" \
	reboot_twice 1
ok "Hyper-V RESET MSR with 2 vCPUs: the other vCPU parks through the reset" \
	reboot_twice 2

# The PC's own ways (hw/power.c): the ACPI reset register, then the
# 8042's reset command, reset the machine; soft off through the ACPI
# sleep control register ends vessel run with status 0.
reset_reset_off() {
	rm -f /tmp/reboot.in
	mkfifo /tmp/reboot.in
	$vessel run --stats --cpus $1 --paravirt hyperv /testbed/reboot_mb.elf \
		</tmp/reboot.in >$out 2>$err &
	pid=$!
	exec 3>/tmp/reboot.in
	wait_boots 1
	printf a >&3
	wait_boots 2
	printf k >&3
	wait_boots 3
	printf o >&3
	exec 3>&-
	i=0
	while kill -0 $pid 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill $pid 2>/dev/null
	wait $pid
	rc=$?
	sed 's/^/# stderr: /' $err
	[ "$rc" = 0 ] && [ "$(boots)" = 3 ] &&
		[ "$(wc -l <$out)" = 3 ] && grep -q '^guest resets: 2$' $err
}
ok "ACPI reset register, 8042 reset, ACPI soft off (status 0)" \
	reset_reset_off 1
ok "the same with 2 vCPUs" reset_reset_off 2
tap_done
