# SPDX-License-Identifier: GPL-2.0
# TAP helpers for the shell tests run inside the test machine.
tap_n=0
tap_failed=0

# ok DESCRIPTION COMMAND...: one test case, passing when COMMAND succeeds.
ok() {
	desc=$1
	shift
	tap_n=$((tap_n + 1))
	t0=$(cut -d' ' -f1 /proc/uptime)
	if "$@"; then
		echo "ok $tap_n - $desc"
	else
		echo "not ok $tap_n - $desc"
		tap_failed=$((tap_failed + 1))
	fi
	# Where the time goes: slow cases say so.
	awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" \
		'BEGIN { if (b - a >= 1) printf "# %.1fs for the above\n", b - a }'
}

# skip DESCRIPTION REASON: a case this machine cannot run (TAP SKIP);
# REASON names what the machine lacks. Never for what the module under
# test lacks or refuses: that is a failure. A SKIP without a REASON fails.
skip() {
	tap_n=$((tap_n + 1))
	if [ -z "$2" ]; then
		echo "not ok $tap_n - $1 (a skip without a reason)"
		tap_failed=$((tap_failed + 1))
		return
	fi
	echo "ok $tap_n - $1 # SKIP $2"
}

tap_done() {
	echo "1..$tap_n"
	[ $tap_failed -eq 0 ]
}
