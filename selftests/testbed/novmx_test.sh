#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# On a CPU without what Vessel requires (core2_penryn_t9600: VMX without
# EPT) insmod must fail with EOPNOTSUPP and one clear kernel log line.
. /testbed/tap.sh

EOPNOTSUPP=95
/testbed/modload /testbed/vessel.ko 2>/tmp/modload.err
r=$?
sed 's/^/# /' /tmp/modload.err
ok "loading vessel.ko fails with EOPNOTSUPP" [ $r = $EOPNOTSUPP ]
ok "...saying which feature is missing" sh -c \
	'dmesg | grep -q "vessel: not loaded: VMX lacks a required feature"'
ok "...in exactly one line" [ "$(dmesg | grep -c 'vessel: not loaded')" = 1 ]
ok "no /dev/vessel appeared" [ ! -e /dev/vessel ]
dmesg | grep 'vessel:' | sed 's/^/# /'
tap_done
