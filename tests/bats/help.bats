#!/usr/bin/env bats
# The command table is the source of truth: every command and keyword in it
# appears in `netprobe help`, in the man pages and in the bash completion.

load helpers

# Words of the command table: command paths and lowercase keywords of args.
table_words() {
	"$NP" -j help | jq -r '.[] | .command, .args' |
		tr ' |[]' '\n\n\n\n' | grep -E '^[a-z][a-z0-9-]*$' | sort -u
}

# Probes that attach/detach take (from `netprobe attach help`).
probe_words() {
	"$NP" attach help | awk '/^  [a-z]/ { print $1 }' | sort -u
}

man_text() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$BATS_TEST_DIRNAME"/../../man/*.8
}

@test "every command and keyword is in netprobe help" {
	local help w missing=""
	help=$("$NP" help)
	for w in $(table_words); do
		grep -qw -- "$w" <<<"$help" || missing+=" $w"
	done
	echo "missing:$missing"
	[ -z "$missing" ]
}

@test "every command, keyword and probe is in the man pages" {
	local text w missing=""
	text=$(man_text)
	for w in $(table_words) $(probe_words); do
		grep -qw -- "$w" <<<"$text" || missing+=" $w"
	done
	echo "missing:$missing"
	[ -z "$missing" ]
}

@test "every command, keyword and probe is in the bash completion" {
	local w missing=""
	for w in $(table_words) $(probe_words); do
		grep -qw -- "$w" "$BATS_TEST_DIRNAME/../../bash-completion/netprobe" || missing+=" $w"
	done
	echo "missing:$missing"
	[ -z "$missing" ]
}

@test "man pages render without warnings" {
	skip_unless_cmd man
	for f in "$BATS_TEST_DIRNAME"/../../man/*.8; do
		run sh -c "MANWIDTH=80 man --warnings -l '$f' 2>&1 >/dev/null"
		echo "$f: $output"
		[ -z "$output" ]
	done
}

# complete LINE: what the completion offers for the last word of LINE.
complete_line() {
	bash -c '
		source /usr/share/bash-completion/bash_completion
		source "$0"
		COMP_LINE="$1"
		read -ra COMP_WORDS <<<"$1"
		[[ "$1" == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
		COMP_POINT=${#1}
		_netprobe
		printf "%s\n" "${COMPREPLY[@]}"
	' "$BATS_TEST_DIRNAME/../../bash-completion/netprobe" "$1"
}

@test "bash completion completes commands, subcommands and keywords" {
	[ -f /usr/share/bash-completion/bash_completion ] || skip "bash-completion is not installed"
	[ "$(complete_line 'netprobe sh')" = show ]
	[ "$(complete_line 'netprobe show st')" = stats ]
	[[ "$(complete_line 'netprobe show stats ')" == *interval* ]]
	[ "$(complete_line 'netprobe -j dump ma')" = maps ]
	[[ "$(complete_line 'netprobe attach lo ')" == *xdp* ]]
	[ "$(complete_line 'netprobe attach lo mode g')" = generic ]
}

@test "help at every level exits 0; no command exits 2" {
	"$NP" help >/dev/null
	"$NP" -h >/dev/null
	"$NP" show help >/dev/null
	"$NP" attach help >/dev/null
	"$NP" show stats help >/dev/null
	run "$NP"
	[ "$status" -eq 2 ]
}
