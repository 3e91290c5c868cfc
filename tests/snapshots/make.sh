#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make the stored snapshot of the format version this tree writes, in the
# test machine, into tests/snapshots/vMAJOR.MINOR/ (Documentation/
# snapshot.rst, "Stored snapshots"). Run once per released format
# version, after make; the files are committed and never made again.
#
#   tests/snapshots/make.sh
#
# NAME.vsnap is snap_mb under Hyper-V with one vCPU and 2 MiB, saved once
# it printed its round 4; NAME.out is what the uninterrupted run printed
# after that point, which a restore of the file must print.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
major=$(sed -n 's/^#define SNAP_MAJOR\t*\([0-9]*\)$/\1/p' "$top/user/vmm/snapfile.h")
minor=$(sed -n 's/^#define SNAP_MINOR\t*\([0-9]*\)$/\1/p' "$top/user/vmm/snapfile.h")
dir="$top/tests/snapshots/v$major.$minor"
name=snap_mb-hyperv
[ ! -e "$dir/$name.vsnap" ] || { echo "make.sh: $dir/$name.vsnap exists: a released version's file is never made again" >&2; exit 1; }
mkdir -p "$dir"
cmds=$(mktemp)
trap 'rm -f "$cmds"' EXIT
cat >"$cmds" <<'CMDS'
insmod /testbed/vessel.ko $VESSEL_TESTBED_PARAMS
cd /tmp
opts="--mem 2 --paravirt hyperv"
vessel run --mem 2M --paravirt hyperv /testbed/snap_mb.elf >straight.out
snapsave $opts --after "snap_mb: round 4:" /testbed/snap_mb.elf snap.vsnap >before.out
for f in snap.vsnap straight.out before.out; do
	echo "MAKE-BEGIN $f"
	gzip -c $f | base64
	echo "MAKE-END $f"
done
CMDS
"$top/selftests/testbed/testbed" --name make-snapshot "$cmds"
serial="$top/.cache/testbed/make-snapshot/serial.log"
tmp=$(mktemp -d)
for f in snap.vsnap straight.out before.out; do
	tr -d '\r' <"$serial" | sed -n "/^MAKE-BEGIN $f\$/,/^MAKE-END $f\$/p" |
		sed '1d;$d' | base64 -d | gunzip >"$tmp/$f"
done
n=$(wc -c <"$tmp/before.out")
head -c "$n" "$tmp/straight.out" | cmp -s - "$tmp/before.out" ||
	{ echo "make.sh: the saved run did not print what the uninterrupted one did" >&2; exit 1; }
tail -c +$((n + 1)) "$tmp/straight.out" >"$dir/$name.out"
cp --sparse=always "$tmp/snap.vsnap" "$dir/$name.vsnap"
rm -rf "$tmp"
"$top/user/vessel" snapshot check "$dir/$name.vsnap"
