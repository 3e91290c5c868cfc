#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The layers of kmod/ (Documentation/design.rst, "Module layers") and the
# ABI checks, on the sources: one TAP line per rule, the offending lines
# as diagnostics.
#
#   vmx/      the only files that touch the VMCS (vmcs_*(), vmx/ops.h);
#             the rest asks through vmx/vmx.h
#   mmu/      nothing of emulate/, irq/, pv/
#   emulate/  nothing of pv/; its pure files (also built for the host
#             tests) nothing but each other, pure_types.h and the uapi
#   irq/      nothing of emulate/ or pv/
#   pv/       nothing of emulate/; a provider's header stays in pv/
#   and every struct and field of uapi/vessel.h is asserted in kmod/abi.c
#   (and nowhere else in kmod/) and in selftests/lib/uapi_layout.h.
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top/kmod" || exit 2

n=0 bad=0
allowed='^$'
# rule NAME FILES... : the files' lines that grep -E "$pattern" finds,
# other than those "$allowed" matches, break the rule.
rule() {
	name=$1
	shift
	n=$((n + 1))
	found=$(grep -nE "$pattern" "$@" 2>/dev/null | grep -vE "$allowed")
	report "$name" "$found"
}

report() {
	if [ -n "$2" ]; then
		echo "not ok $n - $1"
		echo "$2" | sed 's/^/# /'
		bad=1
	else
		echo "ok $n - $1"
	fi
}

all=$(git ls-files --cached --others --exclude-standard '*.c' '*.h' '*.S' 2>/dev/null ||
      find . -name '*.[chS]' ! -name '*.mod.c' | sed 's|^\./||')
outside_vmx=$(echo "$all" | grep -v '^vmx/')
layer() { echo "$all" | grep "^$1/"; }
pure="emulate/emulate.c emulate/emulate.h emulate/guest_walk.c
      emulate/guest_walk.h emulate/tss.c emulate/tss.h timemath.h"

echo "1..12"
# Files are reached by their path from kmod/, never by climbing out.
pattern='#include "\.\./'
rule "no include climbs out of its directory" $all
pattern='(^|[^A-Za-z0-9_])(__)?vmcs_[a-z0-9_]*[[:space:]]*\('
rule "only vmx/ uses vmcs_*()" $outside_vmx
pattern='#include "vmx/ops\.h"'
rule "only vmx/ includes vmx/ops.h" $outside_vmx
pattern='#include'
allowed=':#include "(pure_types|emulate/(emulate|guest_walk|tss))\.h"$|:#include [<"]vessel\.h[>"]$|:#include <asm/processor-flags\.h>$'
rule "the pure files include only pure headers and the uapi" $pure
allowed='^$'
pattern='#include "(emulate|irq|pv)/'
rule "mmu/ includes nothing of emulate/, irq/, pv/" $(layer mmu)
pattern='#include "pv/'
rule "emulate/ includes nothing of pv/" $(layer emulate)
pattern='#include "(emulate|pv)/'
rule "irq/ includes nothing of emulate/ or pv/" $(layer irq)
pattern='#include "emulate/'
rule "pv/ includes nothing of emulate/" $(layer pv)
pattern='#include "pv/hyperv\.h"'
rule "a provider's header is included in pv/ only" $(echo "$all" | grep -v '^pv/')
pattern='(BUILD_BUG_ON|static_assert).*(sizeof|offsetof)\(struct vessel_'
rule "uapi layouts are asserted in abi.c only" $(echo "$all" | grep -v '^abi\.c$')

# Every struct of the uapi and each of its fields (a member of a nested
# struct as "outer.member"), as "S struct" and "F struct field" lines.
uapi_fields() {
	awk '
	{	# drop comments
		line = $0; out = ""
		while (line != "") {
			if (incomment) {
				i = index(line, "*/")
				if (!i) { line = ""; break }
				line = substr(line, i + 2); incomment = 0
			} else {
				i = index(line, "/*")
				if (!i) { out = out line; break }
				out = out substr(line, 1, i - 1)
				line = substr(line, i + 2); incomment = 1
			}
		}
		gsub(/^[ \t]+|[ \t]+$/, "", out)
	}
	out ~ /^struct vessel_[a-z0-9_]+ \{$/ {
		split(out, w, " "); s = w[2]; depth = 0; print "S " s; next
	}
	s == "" || out == "" { next }
	out == "};" && depth == 0 { s = ""; next }
	out ~ /^(struct|union) \{$/ { depth++; nb[depth] = 0; next }
	out ~ /^\}[ \t]*[a-z0-9_]*[ \t]*;$/ {
		name = out; gsub(/[}; \t]/, "", name)
		depth--
		if (name != "")
			add(name)
		for (i = 1; i <= nb[depth + 1]; i++)
			add(name != "" ? name "." buf[depth + 1, i] : buf[depth + 1, i])
		next
	}
	{	# one declaration: type, then names
		sub(/;$/, "", out); sub(/^(struct [a-z0-9_]+|__[us][0-9]+)[ \t]+/, "", out)
		k = split(out, names, ",")
		for (i = 1; i <= k; i++) {
			f = names[i]; gsub(/[ \t]|\[.*/, "", f); add(f)
		}
	}
	function add(f) {
		if (depth == 0)
			print "F " s " " f
		else
			buf[depth, ++nb[depth]] = f
	}' "$top/uapi/vessel.h"
}

# covered FILE SIZE-MACRO FIELD-MACRO: the uapi entries FILE lacks.
covered() {
	uapi_fields | while read -r kind s f; do
		if [ "$kind" = S ]; then
			grep -qF "$2(struct $s, " "$1" || echo "$2 of struct $s"
		else
			grep -qF "$3(struct $s, $f, " "$1" || echo "$3 of $s.$f"
		fi
	done
}
n=$((n + 1))
report "kmod/abi.c asserts every uapi struct and field" \
	"$(covered abi.c ABI_SIZE ABI_FIELD)"
n=$((n + 1))
report "selftests/lib/uapi_layout.h lists every uapi struct and field" \
	"$(covered "$top/selftests/lib/uapi_layout.h" LAYOUT_SIZE LAYOUT_FIELD)"
exit $bad
