#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The stored snapshot of every released format version (tests/snapshots/,
# in the machine as /testbed/snapshots/): `vessel snapshot check` takes it,
# and `vessel restore` runs its guest on to print exactly what the run it
# was saved from printed after that point (NAME.out), lazily and eagerly.
. /testbed/tap.sh
vessel=/testbed/vessel

grep -q '^vessel ' /proc/modules || insmod /testbed/vessel.ko $VESSEL_TESTBED_PARAMS

checked() {
	$vessel snapshot check "$1" >/tmp/check.out 2>/tmp/check.err &&
		grep -q ': ok$' /tmp/check.out && [ ! -s /tmp/check.err ]
}
# restored FILE [--eager]: status 85 (snap_mb's 42), the expected output.
restored() {
	$vessel restore $2 "$1" </dev/null >/tmp/restore.out 2>/tmp/restore.err
	rc=$?
	sed 's/^/# stderr: /' /tmp/restore.err
	[ "$rc" = 85 ] && cmp -s /tmp/restore.out "${1%.vsnap}.out" && [ ! -s /tmp/restore.err ]
}

found=0
for f in /testbed/snapshots/v*/*.vsnap; do
	[ -f "$f" ] || continue
	found=1
	v=$(basename "$(dirname "$f")")
	ok "$v $(basename "$f"): vessel snapshot check" checked "$f"
	ok "$v $(basename "$f"): restored lazily, the guest goes on" restored "$f"
	ok "$v $(basename "$f"): restored eagerly, the guest goes on" restored "$f" --eager
done
ok "a stored snapshot is there" [ "$found" = 1 ]
tap_done
