#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Save and restore through the control socket (Documentation/snapshot.rst,
# Documentation/lifecycle.rst): `vessel ctl PATH save FILE [--continue]`
# of a running and of a suspended life_mb, its progress events and
# states; a save that fails loses nothing; `vessel restore --control`
# goes on with the resume reason "restored" and the guest's time
# continuous across the save; `--paused` holds the guest until a resume.
. /testbed/tap.sh
vessel=${VESSEL:-/testbed/vessel}
guest=/testbed/life_mb.elf
sock=/tmp/snapctl.sock
fifo=/tmp/snapctl.in
out=/tmp/snapctl.out
err=/tmp/snapctl.err
cerr=/tmp/snapctl.cerr
snap=/tmp/snapctl.vsnap

grep -q '^vessel ' /proc/modules || insmod /testbed/vessel.ko $VESSEL_TESTBED_PARAMS
trap '' PIPE

# wait_for FILE PATTERN: until a line of FILE matches (20 s at most).
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 200 ] && { echo "# no '$2' in $1:"; sed 's/^/#   /' "$1"; return 1; }
		sleep 0.1
	done
}

# start CMD...: CMD (vessel run or restore) in the background, stdin from
# a FIFO on fd 3, until its control socket answers.
start() {
	rm -f $fifo $out $err
	mkfifo $fifo
	"$@" <$fifo >$out 2>$err &
	vm=$!
	exec 3>$fifo
	i=0
	until $vessel ctl $sock info >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 200 ] && { sed 's/^/# vm: /' $err; return 1; }
		sleep 0.1
	done
}
finish() {
	exec 3>&-
	wait $vm
	rc=$?
	sed 's/^/# vm: /' $err
}
ctl() {
	reply=$($vessel ctl "$sock" "$@" 2>$cerr)
	st=$?
	sed 's/^/# ctl: /' $cerr
}
jctl() {
	reply=$($vessel ctl --json "$sock" "$@" 2>$cerr)
	st=$?
	sed 's/^/# ctl: /' $cerr
}
has() {
	echo "$reply" | grep -q "\"$1\":$2"
}

# The guest's TSC, in ticks per second.
tsc_hz=$(awk '/^cpu MHz/ { printf "%d", $4 * 1000000; exit }' /proc/cpuinfo)
# gap_small: the guest's longest TSC gap (life_mb's 'g') under 0.5 s.
gap_small() {
	n=$(grep -c "gap" $out)
	printf g >&3
	i=0
	while [ "$(grep -c "gap" $out)" = "$n" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.1
	done
	k=$(sed -n 's/^life_mb: gap //p' $out | tail -n 1)
	echo "# longest TSC gap $k x 1024 ticks at $tsc_hz Hz"
	[ -n "$k" ] && [ "$tsc_hz" -gt 0 ] &&
		[ $((k * 1024)) -lt $((tsc_hz / 2)) ]
}

# ---- save from running ------------------------------------------------------
rm -f $snap
start $vessel run --control $sock $guest && wait_for $out "boot cold"
printf g >&3
wait_for $out "gap"
saved() {
	jctl save $snap && [ "$st" = 0 ] &&
		echo "$reply" | grep -q '"event":"progress","operation":"save","percent":100' &&
		echo "$reply" | grep -q '"reply":"save".*"ok":true' &&
		[ -f $snap ] && jctl info && has state '"suspended"' &&
		has suspend_reason '"user"'
}
ok "save from running: progress to 100%, the file, then suspended" saved
ok "the saved file passes vessel snapshot check" \
	$vessel snapshot check $snap
# Saved 2 s into a suspend: the file holds the guest's time at the
# suspend, not the time the module's clocks read at the save.
kept() {
	sleep 2
	jctl save $snap.2 --continue && [ "$st" = 0 ] && [ -f $snap.2 ] &&
		jctl info && has state '"suspended"'
}
ok "save --continue 2 s into a suspend: it stays suspended" kept
failed_save() {
	ctl save /nonexistent/dir/f.vsnap
	[ "$st" = 1 ] && [ "$(wc -l <$cerr)" = 1 ] &&
		grep -q "/nonexistent/dir" $cerr && [ ! -e /nonexistent/dir ] &&
		jctl info && has state '"suspended"'
}
ok "a save that fails: one line, no file, still suspended" failed_save
ctl resume
# Time stood still while the VM was suspended and saved.
ok "resumed after the saves: no TSC gap of 0.5 s" gap_small
continued() {
	ctl save $snap.3 --continue && [ "$st" = 0 ] && [ -f $snap.3 ] &&
		jctl info && has state '"running"'
}
ok "save --continue from running: running again" continued
failed_running() {
	ctl save /nonexistent/dir/f.vsnap
	[ "$st" = 1 ] && jctl info && has state '"running"'
}
ok "a save that fails from running: running again" failed_running
printf q >&3
finish
ok "the saved VM goes on to its end (status 85)" [ "$rc" = 85 ]

# ---- restore ------------------------------------------------------------------
restored() {
	start $vessel restore --control $sock $snap.2 || return 1
	jctl info && has state '"running"' && has resume_reason '"restored"' &&
		has suspend_reason null || return 1
	# The guest goes on with its time continuous (its TSC was saved).
	gap_small || return 1
	printf q >&3
	finish
	[ "$rc" = 85 ] && ! grep -q "boot" $out
}
ok "restore --control of a suspended VM's save: reason restored, no TSC gap, status 85" restored
paused() {
	start $vessel restore --paused --control $sock $snap || return 1
	jctl info && has state '"suspended"' || return 1
	# Held: it reads no input.
	printf q >&3
	sleep 2
	kill -0 $vm 2>/dev/null && jctl info && has state '"suspended"' &&
		ctl resume && [ "$st" = 0 ] || return 1
	finish
	[ "$rc" = 85 ]
}
ok "restore --paused: held until resumed, then runs to its end" paused
ok "restore --paused without --control: refused (status 2)" \
	sh -c "$vessel restore --paused $snap </dev/null >/dev/null 2>&1; [ \$? = 2 ]"
# A save of a restored VM restores too.
again() {
	start $vessel restore --control $sock $snap.3 || return 1
	ctl save $snap.4 && [ "$st" = 0 ] && ctl poweroff && finish &&
		start $vessel restore --control $sock $snap.4 || return 1
	printf q >&3
	finish
	[ "$rc" = 85 ]
}
ok "a restored VM saved again restores" again
rm -f $snap $snap.2 $snap.3 $snap.4
tap_done
