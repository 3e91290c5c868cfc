#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vessel(1) and the bash completion against the tool's own help text, read
# from the built binary (VESSEL=path overrides user/vessel): every command
# of `vessel --help` and every option of `vessel COMMAND --help` has an
# entry in Documentation/vessel.1 and is offered by
# Documentation/vessel.bash-completion, and neither names anything else.
# A value the completion offers for an option must appear in that option's
# help.  TAP on stdout.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
vessel=${VESSEL:-$top/user/vessel}
man=${VESSEL_MAN:-$top/Documentation/vessel.1}
completion=${VESSEL_COMPLETION:-$top/Documentation/vessel.bash-completion}

n=0 bad=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); bad=1
	echo "not ok $n - $1"
	shift
	printf '# %s\n' "$@"
}
# same DESCRIPTION WANT HAVE: two word lists equal as sets.
same() {
	local want have missing extra
	want=$(printf '%s\n' $2 | sort -u)
	have=$(printf '%s\n' $3 | sort -u)
	missing=$(comm -23 <(echo "$want") <(echo "$have") | tr '\n' ' ')
	extra=$(comm -13 <(echo "$want") <(echo "$have") | tr '\n' ' ')
	if [ -z "$missing$extra" ]; then
		ok "$1"
	else
		not_ok "$1" "missing: ${missing:-none}" "extra: ${extra:-none}"
	fi
}

if [ ! -x "$vessel" ] || ! help=$("$vessel" --help); then
	echo "not ok 1 - $vessel --help runs (build the tool first: make user)"
	echo "1..1"
	exit 1
fi
# "  NAME       summary" lines after the usage line.
commands=$(echo "$help" | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p')
[ -n "$commands" ] || not_ok "vessel --help lists commands" "$help"

# Options of a command: help lines that start with two spaces and --.
options() { "$vessel" "$1" --help | sed -n 's/^  \(--[a-z][a-z0-9-]*\).*/\1/p'; }
# The help paragraph of one option: its line and the deeper-indented ones.
option_help() {
	"$vessel" "$1" --help | awk -v o="$2" '
		$0 ~ "^  " o "( |$)" { on = 1; print; next }
		on && /^      / { print; next }
		{ on = 0 }'
}

# --- the manual page ----------------------------------------------------
# Commands: ".SS vessel NAME"; options: the first \-\- word after a .TP
# in a command's section; every \-\- word anywhere must be a real option.
unroff() { sed 's/\\-/-/g; s/\\f[BIRP]//g'; }
man_commands=$(sed -n 's/^\.SS vessel \([a-z-]*\).*/\1/p' "$man")
same "vessel.1: a section per command" "$commands" "$man_commands"
all_options="--help -h"
for c in $commands; do
	opts=$(options "$c")
	all_options="$all_options $opts"
	man_opts=$(awk -v c="$c" '
		/^\.SS / { in_c = ($0 == ".SS vessel " c); next }
		/^\.S[HS] / { in_c = 0 }
		in_c && /^\.TP/ { tp = 1; next }
		in_c && tp { print; tp = 0 }' "$man" | unroff |
		sed -n 's/^[^-]*\(--[a-z][a-z0-9-]*\).*/\1/p' | sort -u)
	same "vessel.1: an entry per option of vessel $c" "$opts" "$man_opts"
done
mentioned=$(unroff <"$man" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
extra=$(comm -13 <(printf '%s\n' $all_options | sort -u) <(echo "$mentioned") | tr '\n' ' ')
if [ -z "$extra" ]; then
	ok "vessel.1: names no option the tool lacks"
else
	not_ok "vessel.1: names no option the tool lacks" "extra: $extra"
fi

# --- the completion, run as bash would run it ---------------------------
# complete WORD...: what _vessel offers for the last word; in an empty
# directory, so file name completion offers nothing.
empty=$(mktemp -d)
trap 'rm -rf "$empty"' EXIT
complete_words() {
	(cd "$empty" && bash --norc -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_vessel
		printf "%s\n" "${COMPREPLY[@]}"' _ "$completion" "$@")
}
same "completion: the commands" "$commands --help" "$(complete_words vessel '')"
for c in $commands; do
	opts=$(options "$c")
	same "completion: the options of vessel $c" "$opts --help" \
		"$(complete_words vessel "$c" -)"
	for o in $opts; do
		values=$(complete_words vessel "$c" "$o" '')
		[ -n "$values" ] || continue
		text=$(option_help "$c" "$o")
		missing=
		for v in $values; do
			echo "$text" | grep -qF -- "$v" || missing="$missing $v"
		done
		if [ -z "$missing" ]; then
			ok "completion: the values of vessel $c $o are in its help"
		else
			not_ok "completion: the values of vessel $c $o are in its help" \
				"not in its help:$missing"
		fi
	done
done

echo "1..$n"
exit $bad
