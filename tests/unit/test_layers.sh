#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The layers of user/ (Documentation/design.rst) and what each may use,
# checked on the sources: one TAP line per rule, the offending lines as
# diagnostics.  Include lines are how one layer reaches another, and
# ioctl() is how anything reaches the module.
#
#   lib/   libvessel: nothing of the tool's other layers
#   boot/  pure: nothing of lib/, hw/, vmm/, cmd/
#   hw/    device models: nothing of lib/, boot/, cmd/; of vmm/ only the
#          timer API (vmm/timer.h)
#   vmm/   the machine: anything but cmd/
#   main.c the subcommand table: cmd/ only
#   and only lib/ calls ioctl().
user=$(cd "$(dirname "$0")/../../user" && pwd)
cd "$user" || exit 2

n=0 bad=0
allowed='^$'
# rule NAME FILES... : the files' lines that grep -E "$pattern" finds,
# other than those "$allowed" matches, break the rule.
rule() {
	name=$1
	shift
	n=$((n + 1))
	found=$(grep -nE "$pattern" "$@" 2>/dev/null | grep -vE "$allowed")
	if [ -n "$found" ]; then
		echo "not ok $n - $name"
		echo "$found" | sed 's/^/# /'
		bad=1
	else
		echo "ok $n - $name"
	fi
}

all="main.c cmd/*.[ch] vmm/*.[ch] hw/*.[ch] boot/*.[ch] lib/*.[ch]"

echo "1..8"
# Layers are reached by their names from user/, never by climbing out.
pattern='#include "\.\./'
rule "no include climbs out of its directory" $all
pattern='#include "(hw|boot|vmm|cmd)/'
rule "lib/ includes nothing of the other layers" lib/*.c lib/*.h
pattern='#include "(lib|hw|vmm|cmd)/'
rule "boot/ includes nothing of the other layers" boot/*.c boot/*.h
pattern='#include "(lib|boot|cmd|vmm)/'
allowed=':#include "vmm/timer\.h"'
rule "hw/ includes nothing of lib/, boot/, cmd/, and of vmm/ only timer.h" \
	hw/*.c hw/*.h
allowed='^$'
pattern='#include "cmd/'
rule "vmm/ includes nothing of cmd/" vmm/*.c vmm/*.h
pattern='#include "(lib|hw|boot|vmm)/'
rule "main.c includes the commands only" main.c
# What main.c may define: the table, the usage line, main().
pattern='getopt|vmm_create|vessel_sys_open'
rule "main.c parses no command's options and builds no machine" main.c
pattern='(^|[^_a-z])ioctl[[:space:]]*\('
rule "only lib/ calls ioctl()" main.c cmd/*.c vmm/*.c hw/*.c boot/*.c
exit $bad
