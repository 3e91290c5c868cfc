#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/bench's Linux boot row, from a made-up serial log (the lines
# selftests/testbed/linux_bench.sh prints): the medians and their spread,
# the split of a boot, the ratios, the exits by reason (named as vessel
# run --stats names them, most frequent first), the ports, the CSV, and a
# failed boot making the status 1.  TAP on stdout.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0 bad=0
# check DESCRIPTION COMMAND...
check() {
	local desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
	else
		bad=1
		echo "not ok $n - $desc"
	fi
}
has() { grep -qxF -- "$1" "$2"; }

cat >"$tmp/serial.log" <<'LOG'
bench vessel cpuid 438 437 439 2000
bench kvm cpuid 954 954 955 2000
bench-linux vessel boot 1 34.10 28.60
bench-linux vessel boot 2 36.20 30.10
bench-linux vessel boot 3 35.00 29.00
bench-linux vessel user-exit io 1082
bench-linux vessel user-exit mmio 526
bench-linux vessel vmx-exit 1 14327
bench-linux vessel vmx-exit 30 1082
bench-linux vessel vmx-exit 48 24616
bench-linux qemu boot 1 45.70 36.30
bench-linux qemu boot 2 46.30 36.70
bench-linux qemu vmx-exit 52 9032
bench-linux qemu vmx-exit 30 41014
bench-linux qemu vmx-exit 48 27746
bench-linux qemu vmx-exit 99 3
bench-linux qemu user-exit io 41014
bench-linux qemu io-port 1021 40000
bench-linux qemu io-port 112 14
LOG
tr '\n' '\r' <"$tmp/serial.log" | sed 's/\r/\r\n/g' >"$tmp/serial.crlf"

"$top/scripts/bench" --log "$tmp/serial.crlf" --out "$tmp/out" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
md=$tmp/out/linux.md
check "a log without failures: status 0" test $rc = 0
check "linux.md is written and printed" \
	sh -c "test -s '$md' && grep -q '^Linux boot:' '$tmp/stdout'"
check "boot: medians (odd and even counts), spread, ratio" \
	has "| from the VMM's start to the initramfs's first line | 35.0 (34.1-36.2) | 46.0 (45.7-46.3) | 0.76 |" "$md"
check "the kernel's share: the guest's uptime" \
	has "| of which the kernel, from its clock's start (its uptime there) | 29.0 (28.6-30.1) | 36.5 (36.3-36.7) | 0.79 |" "$md"
check "the rest before the kernel's clock" \
	has "| of which before it: the VMM, loading, firmware, decompression | 6.0 (5.5-6.1) | 9.5 (9.4-9.6) | 0.63 |" "$md"
check "VM exits and exits to the VMM, summed" \
	sh -c "grep -qxF '| VM exits, one boot to its power-off | 40025 | 77795 | 0.51 |' '$md' &&
	       grep -qxF '| of which to the VMM (userspace) | 1608 | 41014 | 0.04 |' '$md'"
check "exits by reason: named, most frequent first, 0 where one had none" \
	sh -c "grep '^| [a-z_ 0-9]* ([0-9]*) |' '$md' | head -4 | tr '\n' ';' |
	       grep -qxF '| ept_violation (48) | 24616 | 27746 |;| io_instruction (30) | 1082 | 41014 |;| external_interrupt (1) | 14327 | 0 |;| preemption_timer (52) | 0 | 9032 |;'"
check "an unnamed reason by its number" has "| reason 99 (99) | 0 | 3 |" "$md"
check "ports in hex, most frequent first" \
	sh -c "grep -A5 'port I/O exits by port' '$md' | tail -2 | tr '\n' ';' |
	       grep -qxF '| 0x3fd | 40000 |;| 0x70 | 14 |;'"
check "linux.csv: one row per boot" \
	sh -c "test \$(grep -c '^vessel,' '$tmp/out/linux.csv') = 3 &&
	       grep -qx 'qemu,2,46.30,36.70' '$tmp/out/linux.csv'"
check "the workloads' table is still written" grep -q '^| cpuid | 2000 | 438 | 954 |' "$tmp/out/bench.md"

# A failed boot: the row keeps the other figures, lists it, status 1.
{ cat "$tmp/serial.log"; echo "bench-linux qemu failed: boot 3: status 1, guest uptime none"; } >"$tmp/failed.log"
"$top/scripts/bench" --log "$tmp/failed.log" --out "$tmp/out2" >/dev/null 2>&1
rc=$?
check "a failed boot: status 1" test $rc = 1
check "a failed boot: listed under Failures" \
	has "- qemu: boot 3: status 1, guest uptime none" "$tmp/out2/linux.md"

# No Linux row at all (a boot that never got there): status 1, said why.
grep '^bench ' "$tmp/serial.log" >"$tmp/none.log"
"$top/scripts/bench" --log "$tmp/none.log" --out "$tmp/out3" >/dev/null 2>"$tmp/stderr3"
rc=$?
check "no Linux row: status 1, one line saying so" \
	sh -c "test $rc = 1 && grep -q '^bench: no Linux boot figures: no Linux boot row in ' '$tmp/stderr3'"

echo "1..$n"
exit $bad
