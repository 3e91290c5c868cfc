#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/setup --resolve against archives made up here: apt-cache,
# apt-get, dpkg-query and dpkg are stubs earlier in PATH that answer from
# files of this test (dpkg --compare-versions is the real dpkg, so Debian's
# version ordering is the real one).  Each case checks what setup resolves
# (KERNEL_ABI, KERNEL_PKGVER, BOCHS_PKGVER), what it would install, and
# its one-line messages.  The pins are scripts/pins.mk's own, so the test
# follows a change of pin.  TAP on stdout.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/pins.mk"
# setup runs on Debian only: no dpkg is a failure, never a skip.
realdpkg=$(command -v dpkg) || { echo "not ok 1 - dpkg on this host"; echo "1..1"; exit 1; }

fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
mkdir "$fake/bin"

# --- the stubs -----------------------------------------------------------
# $fake/archive: "PACKAGE VERSION" per line, what the archive offers.
# $fake/installable: "PACKAGE=VERSION" that apt-get -s install accepts.
# $fake/installed: "PACKAGE VERSION" that dpkg-query reports installed.
# Anything else a stub is asked goes to $fake/unexpected.
cat >"$fake/bin/apt-cache" <<EOF
#!/bin/sh
case \$1 in
madison)
	awk -v p="\$2" '\$1 == p { printf " %s | %s | http://deb.debian.org/debian bookworm/main amd64 Packages\n", \$1, \$2 }' "$fake/archive" ;;
pkgnames)
	awk -v p="\$2" 'index(\$1, p) == 1 { print \$1 }' "$fake/archive" | sort -u ;;
*)
	echo "apt-cache \$*" >>"$fake/unexpected"; exit 1 ;;
esac
EOF
cat >"$fake/bin/apt-get" <<EOF
#!/bin/sh
# Only simulation: a resolve must never change the machine.
if [ "\$1" = -s ] && [ "\$2" = -q ] && [ "\$3" = install ] && [ \$# = 4 ]; then
	grep -qxF -- "\$4" "$fake/installable" && exit 0
	echo "E: \$4 has unmet dependencies" >&2
	exit 100
fi
echo "apt-get \$*" >>"$fake/unexpected"
exit 100
EOF
cat >"$fake/bin/dpkg-query" <<EOF
#!/bin/sh
# dpkg-query -W -f '\${Status} \${Version}' PACKAGE
if [ "\$1" = -W ] && [ "\$2" = -f ] && [ \$# = 4 ]; then
	v=\$(awk -v p="\$4" '\$1 == p { print \$2 }' "$fake/installed")
	if [ -n "\$v" ]; then
		printf 'install ok installed %s' "\$v"
		exit 0
	fi
	echo "dpkg-query: no packages found matching \$4" >&2
	exit 1
fi
echo "dpkg-query \$*" >>"$fake/unexpected"
exit 1
EOF
cat >"$fake/bin/dpkg" <<EOF
#!/bin/sh
[ "\$1" = --compare-versions ] && exec "$realdpkg" "\$@"
echo "dpkg \$*" >>"$fake/unexpected"
exit 1
EOF
chmod +x "$fake"/bin/*

n=0 bad=0
# --- archive building blocks --------------------------------------------
offer() { echo "$1 $2" >>"$fake/archive"; }
# The second kernel (6.12), at its pin, in every archive unless a case
# says otherwise (kernel2_gone): its resolution is the same code as the
# first kernel's, checked on its own in case 7.
kernel2() {
	offer "linux-image-$1-$KERNEL2_FLAVOUR" "$2"
	offer "linux-headers-$1-$KERNEL2_FLAVOUR" "$2"
	echo "linux-headers-$1-$KERNEL2_FLAVOUR=$2" >>"$fake/installable"
}
fresh_archive() {
	: >"$fake/archive"; : >"$fake/installable"; : >"$fake/installed"; rm -f "$fake/unexpected"
	kernel2 "$KERNEL2_ABI" "$KERNEL2_PKGVER"
}
# The second kernel's pinned ABI taken out of the archive again.
kernel2_gone() { sed -i "/^linux-[a-z]*-$KERNEL2_ABI-/d" "$fake/archive" "$fake/installable"; }
# kernel ABI VERSION [image-only | not-installable]
kernel() {
	offer "linux-image-$1-$KERNEL_FLAVOUR" "$2"
	[ "${3:-}" = image-only ] && return
	offer "linux-headers-$1-$KERNEL_FLAVOUR" "$2"
	[ "${3:-}" = not-installable ] && return
	echo "linux-headers-$1-$KERNEL_FLAVOUR=$2" >>"$fake/installable"
}
bochs() { offer bochs "$1"; offer bochs-x "$1"; offer bochsbios "$1"; }
installed() { echo "$1 $2" >>"$fake/installed"; }

# resolve: run the set-up; its stdout, stderr and status in $out, $err, $rc.
resolve() {
	PATH="$fake/bin:$PATH" "$top/scripts/setup" --resolve >"$fake/out" 2>"$fake/err"
	rc=$?
	out=$(cat "$fake/out") err=$(cat "$fake/err")
}
value() { echo "$out" | sed -n "s/^$1=//p"; }
todo() { echo "$out" | sed -n 's/^# to install or upgrade: *//p'; }

# check DESCRIPTION CONDITION...: one TAP line; on failure, what setup said.
check() {
	local what=$1
	shift
	n=$((n + 1))
	if [ -f "$fake/unexpected" ]; then
		echo "not ok $n - $what"
		sed 's/^/# unexpected call: /' "$fake/unexpected"
		bad=1
	elif "$@"; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		echo "# failed: $*"
		echo "# status $rc; stdout:"
		echo "$out" | sed 's/^/#   /'
		echo "# stderr:"
		echo "$err" | sed 's/^/#   /'
		bad=1
	fi
}
is() { [ "$1" = "$2" ]; }
has_word() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }
lacks_word() { ! has_word "$@"; }
starts() { case $1 in "$2"*) return 0 ;; esac; return 1; }

abi_n=${KERNEL_ABI##*-}
abi() { echo "${KERNEL_ABI%-*}-$1"; }

# Newer revisions sort after the pin, older before it, by Debian's rules:
# +t10 after +t9 (a plain sort would put it first), ~t1 before the pin.
# The cases below rely on it.
rc=0 out= err=
check "made-up revisions: ~t1 is older than the pin" \
	"$realdpkg" --compare-versions "$KERNEL_PKGVER~t1" lt "$KERNEL_PKGVER"
check "made-up revisions: +t10 is newer than +t9" \
	"$realdpkg" --compare-versions "$KERNEL_PKGVER+t10" gt "$KERNEL_PKGVER+t9"

# --- 1. every pin in the archive: the pins, even with newer revisions ---
fresh_archive
kernel "$KERNEL_ABI" "$KERNEL_PKGVER~t1"
kernel "$KERNEL_ABI" "$KERNEL_PKGVER"
kernel "$KERNEL_ABI" "$KERNEL_PKGVER+t1"
kernel "$(abi $((abi_n + 1)))" "$KERNEL_PKGVER+t1"
bochs "$BOCHS_PKGVER"
bochs "$BOCHS_PKGVER+t1"
resolve
check "pins present: exit 0" is "$rc" 0
check "pins present: the pinned kernel ABI" is "$(value KERNEL_ABI)" "$KERNEL_ABI"
check "pins present: the pinned kernel revision" is "$(value KERNEL_PKGVER)" "$KERNEL_PKGVER"
check "pins present: KERNEL_RELEASE" is "$(value KERNEL_RELEASE)" "$KERNEL_RELEASE"
check "pins present: the pinned bochs" is "$(value BOCHS_PKGVER)" "$BOCHS_PKGVER"
check "pins present: nothing said" is "$err" ""
check "pins present: installs the pinned headers" \
	has_word "$(todo)" "linux-headers-$KERNEL_RELEASE=$KERNEL_PKGVER"

# --- 2. the kernel revision gone: the newest of the same ABI ------------
fresh_archive
kernel "$KERNEL_ABI" "$KERNEL_PKGVER~t1"
kernel "$KERNEL_ABI" "$KERNEL_PKGVER+t9"
kernel "$KERNEL_ABI" "$KERNEL_PKGVER+t10"
kernel "$KERNEL_ABI" "$KERNEL_PKGVER+t11" image-only
kernel "$(abi $((abi_n + 1)))" "$KERNEL_PKGVER+t12"
bochs "$BOCHS_PKGVER"
resolve
check "revision gone: exit 0" is "$rc" 0
check "revision gone: the same ABI" is "$(value KERNEL_ABI)" "$KERNEL_ABI"
check "revision gone: its newest revision with headers" \
	is "$(value KERNEL_PKGVER)" "$KERNEL_PKGVER+t10"
check "revision gone: one line naming the pin and the version used" is "$err" \
	"setup: pin linux-image-$KERNEL_RELEASE=$KERNEL_PKGVER is gone from the archive; using $KERNEL_PKGVER+t10 of the same ABI"
check "revision gone: installs those headers" \
	has_word "$(todo)" "linux-headers-$KERNEL_RELEASE=$KERNEL_PKGVER+t10"

# --- 3. the ABI gone: the newest cloud ABI of the series that installs --
new=$(abi $((abi_n + 2)))
fresh_archive
kernel "$(abi 9)" "$KERNEL_PKGVER~t1"
kernel "$new" "$KERNEL_PKGVER+t2"
kernel "$(abi $((abi_n + 3)))" "$KERNEL_PKGVER+t3" not-installable
kernel "$(abi $((abi_n + 4)))" "$KERNEL_PKGVER+t4" image-only
offer "linux-image-$(abi $((abi_n + 5)))-amd64" "$KERNEL_PKGVER+t5"
offer "linux-headers-$(abi $((abi_n + 5)))-amd64" "$KERNEL_PKGVER+t5"
echo "linux-headers-$(abi $((abi_n + 5)))-amd64=$KERNEL_PKGVER+t5" >>"$fake/installable"
offer "linux-image-$(abi $((abi_n + 6)))-$KERNEL_FLAVOUR-unsigned" "$KERNEL_PKGVER+t6"
offer "linux-headers-$(abi $((abi_n + 6)))-$KERNEL_FLAVOUR" "$KERNEL_PKGVER+t6"
bochs "$BOCHS_PKGVER"
resolve
check "ABI gone: exit 0" is "$rc" 0
check "ABI gone: the newest cloud ABI whose headers install" is "$(value KERNEL_ABI)" "$new"
check "ABI gone: its revision" is "$(value KERNEL_PKGVER)" "$KERNEL_PKGVER+t2"
check "ABI gone: KERNEL_RELEASE follows" is "$(value KERNEL_RELEASE)" "$new-$KERNEL_FLAVOUR"
check "ABI gone: one line saying so" is "$err" \
	"setup: kernel ABI $KERNEL_ABI is gone from the archive; falling back to $new ($KERNEL_PKGVER+t2), the newest linux-image-$KERNEL_ABI_GLOB-$KERNEL_FLAVOUR whose headers install"
check "ABI gone: installs that ABI's headers" \
	has_word "$(todo)" "linux-headers-$new-$KERNEL_FLAVOUR=$KERNEL_PKGVER+t2"

fresh_archive
kernel "$(abi $((abi_n + 3)))" "$KERNEL_PKGVER+t3" not-installable
kernel "$(abi $((abi_n + 4)))" "$KERNEL_PKGVER+t4" image-only
bochs "$BOCHS_PKGVER"
resolve
check "no cloud kernel installs: exit 1" is "$rc" 1
check "no cloud kernel installs: one line saying so" is "$err" \
	"setup: no linux-image-$KERNEL_ABI_GLOB-$KERNEL_FLAVOUR with installable headers in the archive"

# --- 4. the bochs pin gone: the newest bochs ----------------------------
fresh_archive
kernel "$KERNEL_ABI" "$KERNEL_PKGVER"
bochs "$BOCHS_PKGVER~t1"
bochs "$BOCHS_PKGVER+t9"
bochs "$BOCHS_PKGVER+t10"
resolve
check "bochs gone: exit 0" is "$rc" 0
check "bochs gone: the newest bochs" is "$(value BOCHS_PKGVER)" "$BOCHS_PKGVER+t10"
check "bochs gone: one line naming the pin and the version used" is "$err" \
	"setup: pin bochs=$BOCHS_PKGVER is gone from the archive; using bochs=$BOCHS_PKGVER+t10"
check "bochs gone: installs bochs, bochs-x and bochsbios of that version" eval \
	'has_word "$(todo)" "bochs=$BOCHS_PKGVER+t10" &&
	 has_word "$(todo)" "bochs-x=$BOCHS_PKGVER+t10" &&
	 has_word "$(todo)" "bochsbios=$BOCHS_PKGVER+t10"'
check "bochs gone: the kernel pin still holds" is "$(value KERNEL_PKGVER)" "$KERNEL_PKGVER"

fresh_archive
kernel "$KERNEL_ABI" "$KERNEL_PKGVER"
resolve
check "bochs not in the archive at all: exit 1" is "$rc" 1
check "bochs not in the archive at all: one line saying so" starts "$err" \
	"setup: package bochs is not available from apt at all"

# --- 5. minimums accept newer revisions, exact pins want theirs ---------
fresh_archive
kernel "$KERNEL_ABI" "$KERNEL_PKGVER"
bochs "$BOCHS_PKGVER"
installed "$KERNEL_SOURCE_PKG" "$KERNEL_SOURCE_MIN+t1"
installed xorriso "$XORRISO_MIN"
installed busybox-static "$BUSYBOX_MIN~t1"
installed vgabios "$VGABIOS_MIN+t1"
installed bochs "$BOCHS_PKGVER"
installed bochsbios "$BOCHS_PKGVER+t1"
installed bochs-x "$BOCHS_PKGVER~t1"
installed "linux-headers-$KERNEL_RELEASE" "$KERNEL_PKGVER"
installed make 4.3-4.1
resolve
t=$(todo)
check "minimums: exit 0" is "$rc" 0
check "minimum: a newer revision of $KERNEL_SOURCE_PKG is accepted" lacks_word "$t" "$KERNEL_SOURCE_PKG"
check "minimum: a newer revision of vgabios is accepted" lacks_word "$t" vgabios
check "minimum: xorriso at the minimum is accepted" lacks_word "$t" xorriso
check "minimum: busybox-static below the minimum is upgraded" has_word "$t" busybox-static
check "minimum: python3-docutils, not installed, is installed" has_word "$t" python3-docutils
check "unpinned: an installed make is kept" lacks_word "$t" make
check "exact: bochs at the pin is kept" lacks_word "$t" "bochs=$BOCHS_PKGVER"
check "exact: bochsbios newer than the pin goes back to the pin" has_word "$t" "bochsbios=$BOCHS_PKGVER"
check "exact: bochs-x older than the pin goes to the pin" has_word "$t" "bochs-x=$BOCHS_PKGVER"
check "exact: the pinned headers, installed, are kept" lacks_word "$t" "linux-headers-$KERNEL_RELEASE=$KERNEL_PKGVER"
check "minimums: nothing said" is "$err" ""

# --- 6. the second kernel: its revision gone, then its ABI gone -------
# KERNEL2_ABI is MAJOR.MINOR.PATCH+SUFFIX (6.12.118+deb12): other ABIs
# of its series differ in PATCH.
k2_patch=$(echo "$KERNEL2_ABI" | sed 's/^[0-9]*\.[0-9]*\.\([0-9]*\)+.*/\1/')
k2_abi() { echo "$KERNEL2_ABI" | sed "s/^\([0-9]*\.[0-9]*\.\)[0-9]*+/\1$1+/"; }
fresh_archive
kernel "$KERNEL_ABI" "$KERNEL_PKGVER"
bochs "$BOCHS_PKGVER"
kernel2_gone
kernel2 "$KERNEL2_ABI" "$KERNEL2_PKGVER+t1"
kernel2 "$KERNEL2_ABI" "$KERNEL2_PKGVER+t2"
resolve
check "second kernel, revision gone: exit 0" is "$rc" 0
check "second kernel, revision gone: the same ABI" is "$(value KERNEL2_ABI)" "$KERNEL2_ABI"
check "second kernel, revision gone: its newest revision" is "$(value KERNEL2_PKGVER)" "$KERNEL2_PKGVER+t2"
check "second kernel, revision gone: one line naming the pin and the version used" is "$err" \
	"setup: pin linux-image-$KERNEL2_RELEASE=$KERNEL2_PKGVER is gone from the archive; using $KERNEL2_PKGVER+t2 of the same ABI"
check "second kernel, revision gone: the first kernel's pin holds" is "$(value KERNEL_PKGVER)" "$KERNEL_PKGVER"

new2=$(k2_abi $((k2_patch + 3)))
fresh_archive
kernel "$KERNEL_ABI" "$KERNEL_PKGVER"
bochs "$BOCHS_PKGVER"
kernel2_gone
kernel2 "$(k2_abi $((k2_patch + 1)))" "$KERNEL2_PKGVER+t1"
kernel2 "$new2" "$KERNEL2_PKGVER+t3"
resolve
check "second kernel, ABI gone: exit 0" is "$rc" 0
check "second kernel, ABI gone: the newest ABI of its series" is "$(value KERNEL2_ABI)" "$new2"
check "second kernel, ABI gone: KERNEL2_RELEASE follows" is "$(value KERNEL2_RELEASE)" "$new2-$KERNEL2_FLAVOUR"
check "second kernel, ABI gone: one line saying so" starts "$err" \
	"setup: kernel ABI $KERNEL2_ABI is gone from the archive; falling back to $new2 ($KERNEL2_PKGVER+t3)"

echo "1..$n"
exit $bad
