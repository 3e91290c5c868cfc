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
ok "neither ELF nor multiboot: status 1, one line" \
	fails_with 1 "/testbed/tap.sh: not an ELF or multiboot image" /testbed/tap.sh
make_high_elf /tmp/high.elf
ok "a segment outside guest memory: status 1, one line" \
	fails_with 1 "/tmp/high.elf: .*outside guest memory" /tmp/high.elf
ok "a directory: status 1, one line" fails_with 1 "/tmp: Is a directory" /tmp

ok "--mem below 2M is a usage error" fails_with 2 "at least 2M" --mem 1M $guest
ok "--mem beyond the module's limit is a usage error" \
	fails_with 2 "more than the" --mem 1000000G $guest
ok "an unknown option is a usage error" fails_with 2 "unknown option" --bogus $guest
ok "no IMAGE is a usage error (status 2)" fails_with 2 "no IMAGE given"
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
tap_done
