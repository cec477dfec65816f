#!/usr/bin/env bats
# The command table and the probe table are the source of truth: every
# command, keyword and probe in them appears in `netprobe help`, in the man
# pages and in the bash completion, and the help made from them says what
# they hold. Both are read as the binary reports them: `netprobe -j help`
# (the commands) and `netprobe -j attach help` (attach's row, then a row per
# probe: probe, per_device, in_all, options, hooks, help).

load helpers

teardown() {
	np_teardown
}

# Words of the command table: command paths and lowercase keywords of args.
table_words() {
	"$NP" -j help | jq -r '.[] | .command, .args' |
		tr ' |[]' '\n\n\n\n' | grep -E '^[a-z][a-z0-9-]*$' | sort -u
}

# probes [JQ-FILTER]: the probes' names, in the table's order; with a filter,
# those it selects (e.g. '.per_device').
probes() {
	"$NP" -j attach help | jq -r ".[] | select(.probe) | select(${1:-true}) | .probe"
}

# Probes that attach/detach take.
probe_words() {
	probes | sort -u
}

# The words the probes bring: their attach options and their hooks (pin names).
probe_option_words() {
	"$NP" -j attach help | jq -r '.[] | select(.probe) | .options' | tr ' ' '\n' | sed '/^$/d' |
		sort -u
}
probe_hook_words() {
	"$NP" -j attach help | jq -r '.[] | select(.probe) | .hooks' | tr ' ' '\n' | sed '/^$/d' |
		sort -u
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
	for w in $(table_words) $(probe_words) $(probe_option_words) $(probe_hook_words); do
		grep -qw -- "$w" <<<"$text" || missing+=" $w"
	done
	echo "missing:$missing"
	[ -z "$missing" ]
}

# The man pages as man(1) renders them, a paragraph a line (no wrapping).
man_rendered() {
	local f
	for f in "$BATS_TEST_DIRNAME"/../../man/*.8; do
		MANWIDTH=4000 man -l "$f" 2>/dev/null | col -b
	done
}

@test "every command and probe has an entry in the man pages" {
	skip_unless_cmd man
	local text c leaf parent p missing="" alt='([a-z-]+ \| )*' prefix='^ +(netprobe (\[OPTIONS\] )?)?'
	text=$(man_rendered)
	# A command: a line that starts with its path, as a synopsis or a tag;
	# "flush drops | netfilter | all" is the entry of each of them.
	while IFS= read -r c; do
		leaf=${c##* } parent=${c% *}
		[ "$parent" = "$c" ] && parent="" || parent+=" "
		grep -qE -- "$prefix$parent$alt$leaf( |\$)" <<<"$text" || missing+=" [$c]"
	done < <("$NP" -j help | jq -r '.[].command')
	# A probe: named in a synopsis of attach, or a tag of its own (attach DEV's list).
	for p in $(probes); do
		grep -qE -- "${prefix}attach (DEV )?\[?([a-z-]+(\|| \| ))*$p( |\||\]|\$)" <<<"$text" ||
			grep -qE -- "^ {7}$p( |\$)" <<<"$text" || missing+=" probe:$p"
	done
	# Each option of a probe: a tag of attach DEV's keyword list.
	for w in $(probe_option_words); do
		grep -qE -- "^ {7}$w [a-zN]" <<<"$text" || missing+=" option:$w"
	done
	echo "missing:$missing"
	[ -z "$missing" ]
}

@test "the man page's attach and detach entries are their synopsis in the probe table" {
	skip_unless_cmd man
	local text c
	text=$(MANWIDTH=4000 man -l "$BATS_TEST_DIRNAME/../../man/netprobe.8" 2>/dev/null | col -b)
	for c in attach detach; do
		grep -qxF -- "       $c $("$NP" -j help | jq -r --arg c $c '.[] | select(.command == $c) | .args')" \
			<<<"$text" || { echo "netprobe(8) has no entry 'netprobe $c' with its synopsis"; false; }
	done
}

@test "man pages render without warnings" {
	skip_unless_cmd man
	for f in "$BATS_TEST_DIRNAME"/../../man/*.8; do
		run sh -c "MANWIDTH=80 man --warnings -l '$f' 2>&1 >/dev/null"
		echo "$f: $output"
		[ -z "$output" ]
	done
}

COMPLETION="$BATS_TEST_DIRNAME/../../bash-completion/netprobe"

skip_unless_completion() {
	[ -f /usr/share/bash-completion/bash_completion ] || skip "bash-completion is not installed"
}

# complete_lines LINE...: what the completion offers for the last word of each
# LINE, one output line per LINE (the words, space-separated), called as bash
# calls it. All LINEs share one shell session, as the completion's caches do.
# The session's PATH has this tree's netprobe first, or is $COMPLETE_PATH;
# COMPLETE_WRAP=(CMD...) runs the session under CMD (e.g. nsenter --net=...).
complete_lines() {
	local bin="$BATS_TEST_TMPDIR/bin"
	mkdir -p "$bin"
	ln -sf "$(realpath "${NP_REAL:-$NP}")" "$bin/netprobe"
	PATH="${COMPLETE_PATH:-$bin:$PATH}" "${COMPLETE_WRAP[@]}" bash -c '
		source /usr/share/bash-completion/bash_completion
		source "$0"
		for line; do
			COMP_LINE="$line"
			read -ra COMP_WORDS <<<"$line"
			[[ "$line" == *" " ]] && COMP_WORDS+=("")
			COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
			COMP_POINT=${#line}
			COMPREPLY=()
			_netprobe
			echo "${COMPREPLY[*]}"
		done
	' "$COMPLETION" "$@"
}

# complete_line LINE: what the completion offers for the last word of LINE,
# one word a line.
complete_line() {
	complete_lines "$1" | tr ' ' '\n' | sed '/^$/d'
}

# offers LINE...: OFFER[LINE] (an associative array the caller declares) is
# what the completion offers for LINE, sorted, space-separated.
offers() {
	local out i=0 line
	mapfile -t out < <(complete_lines "$@")
	for line; do
		OFFER[$line]=$(tr ' ' '\n' <<<"${out[i]}" | sed '/^$/d' | sort | xargs)
		i=$((i + 1))
	done
}

# has WORDS WORD...: every WORD is one of WORDS.
has() {
	local words=" $1 " w
	shift
	for w; do
		[[ "$words" == *" $w "* ]] || { echo "'$w' is not in '${words:1:-1}'"; return 1; }
	done
}

# accepted ARGS...: netprobe parses ARGS (no usage error; the pin root is no
# bpffs, so nothing runs).
accepted() {
	local rc=0
	NETPROBE_PIN_ROOT="$BATS_TEST_TMPDIR/not-bpffs" "${NP_REAL:-$NP}" "$@" >/dev/null 2>&1 || rc=$?
	[ "$rc" -ne 2 ] || { echo "usage error: netprobe $*"; return 1; }
}

@test "bash completion completes commands, subcommands and keywords" {
	skip_unless_completion
	[ "$(complete_line 'netprobe sh')" = show ]
	[ "$(complete_line 'netprobe show st')" = stats ]
	[[ "$(complete_line 'netprobe show stats ')" == *interval* ]]
	[ "$(complete_line 'netprobe -j dump ma')" = maps ]
	[[ "$(complete_line 'netprobe attach lo ')" == *xdp* ]]
	[ "$(complete_line 'netprobe attach lo mode g')" = generic ]
}

@test "bash completion offers every command, keyword and probe of the table" {
	skip_unless_completion
	declare -A OFFER=() args=()
	local c a kw w all p missing="" lines=()
	while IFS=$'\t' read -r c a; do
		args[$c]=$a
	done < <("$NP" -j help | jq -r '.[] | [.command, .args] | @tsv')
	# pre CMD: the line after which CMD's keywords complete (after a device
	# when the synopsis starts with one).
	pre() { case ${args[$1]} in DEV*) echo "netprobe $1 lo " ;; ADDR*) echo "netprobe $1 10.0.0.1 " ;; HOST:PORT*) echo "netprobe $1 127.0.0.1:4739 " ;; *) echo "netprobe $1 " ;; esac; }
	lines=("netprobe ")
	for c in "${!args[@]}"; do
		lines+=("netprobe ${c% *} " "netprobe $c " "$(pre "$c")")
	done
	offers "${lines[@]}"
	# Then after each keyword: its values.
	lines=()
	for c in "${!args[@]}"; do
		p=$(pre "$c")
		for kw in ${OFFER[$p]}; do
			lines+=("$p$kw ")
		done
	done
	offers "${lines[@]}"
	for c in "${!args[@]}"; do
		# Each word of the command at its level.
		p=netprobe
		for w in $c; do
			has "${OFFER["$p "]}" "$w" || missing+=" [$p] $w"
			p+=" $w"
		done
		# Each lowercase word of the synopsis: a keyword, a value or an
		# alternative to the device.
		p=$(pre "$c")
		all="${OFFER["netprobe $c "]} ${OFFER[$p]}"
		for kw in ${OFFER[$p]}; do
			all+=" ${OFFER[$p$kw ]}"
		done
		for w in $(tr ' |[]' '\n\n\n\n' <<<"${args[$c]}" | grep -E '^[a-z][a-z0-9-]*$'); do
			has "$all" "$w" || missing+=" [$c] $w"
		done
	done
	for w in $(probe_words); do
		has "${OFFER["netprobe attach "]} ${OFFER["netprobe attach lo "]}" "$w" ||
			missing+=" [attach] $w"
	done
	echo "missing:$missing"
	[ -z "$missing" ]
}

@test "bash completion offers each probe where attach and detach take it, and its options" {
	skip_unless_completion
	declare -A OFFER=()
	local p o missing="" lines=('netprobe attach ' 'netprobe attach lo ' 'netprobe detach '
		'netprobe detach lo ')
	for p in $(probes .per_device); do
		lines+=("netprobe attach lo $p ")
	done
	offers "${lines[@]}"
	# Device probes after a device, host probes instead of one.
	for p in $(probes .per_device); do
		has "${OFFER['netprobe attach lo ']}" "$p" || missing+=" [attach DEV] $p"
		has "${OFFER['netprobe detach lo ']}" "$p" || missing+=" [detach DEV] $p"
		for o in $("$NP" -j attach help | jq -r --arg p "$p" '.[] | select(.probe == $p) | .options'); do
			has "${OFFER["netprobe attach lo $p "]}" "$o" || missing+=" [attach DEV $p] $o"
		done
	done
	for p in $(probes '.per_device | not'); do
		has "${OFFER['netprobe attach ']}" "$p" || missing+=" [attach] $p"
		has "${OFFER['netprobe detach ']}" "$p" || missing+=" [detach] $p"
		[[ " ${OFFER['netprobe attach lo ']} " != *" $p "* ]] || missing+=" [attach DEV] $p?"
	done
	echo "missing:$missing"
	[ -z "$missing" ]
}

@test "bash completion: help COMMAND... completes the command words, then nothing" {
	skip_unless_completion
	declare -A OFFER=()
	local top show
	top=$("$NP" -j help | jq -r '.[].command | split(" ")[0]' | sort -u | xargs)
	show=$("$NP" -j help | jq -r '.[].command | select(startswith("show ")) | split(" ")[1]' |
		sort | xargs)
	offers 'netprobe ' 'netprobe help ' 'netprobe help sh' 'netprobe help show ' 'netprobe help sh fl' \
		'netprobe -j help show ' 'netprobe help show flows ' 'netprobe help attach ' \
		'netprobe help xyz ' 'netprobe he '
	[ "${OFFER['netprobe ']}" = "$(xargs -n1 <<<"help $top" | sort | xargs)" ]
	[ "${OFFER['netprobe help ']}" = "$top" ]
	[ "${OFFER['netprobe help sh']}" = show ]
	[ "${OFFER['netprobe help show ']}" = "$show" ]
	[ "${OFFER['netprobe -j help show ']}" = "$show" ]
	[ "${OFFER['netprobe help sh fl']}" = flows ]
	# help takes a command and nothing more; 'he' is no help to netprobe.
	local line
	for line in 'netprobe help show flows ' 'netprobe help attach ' 'netprobe help xyz ' \
		'netprobe he '; do
		echo "$line: ${OFFER[$line]}"
		[ -z "${OFFER[$line]}" ]
	done
	# What it offers, netprobe takes.
	"$NP" help show flows >/dev/null
	run "$NP" help show flows dev
	[ "$status" -eq 2 ]
}

@test "bash completion: netns NS completes the names in /run/netns, and nothing else" {
	skip_unless_completion
	NP_SUFFIX="$(printf '%04x%04x' $RANDOM $RANDOM)"
	NP_NETNS=()
	local ns="npns-$NP_SUFFIX" c before after w bad=""
	np_netns npns >/dev/null
	declare -A OFFER=()
	before=$(ls /run/netns)
	offers 'netprobe show sockets netns ' 'netprobe show drops netns ' \
		'netprobe watch sockets netns ' "netprobe show sockets netns npns-$NP_SUFFIX" \
		"netprobe show drops flows netns npns-${NP_SUFFIX:0:4}" 'netprobe show sockets netns 4026'
	after=$(ls /run/netns)
	for c in 'show sockets' 'show drops' 'watch sockets'; do
		has "${OFFER["netprobe $c netns "]}" "$ns"
		# Other tests may add and remove namespaces meanwhile: each word was one.
		for w in ${OFFER["netprobe $c netns "]}; do
			grep -qxF -- "$w" <<<"$before"$'\n'"$after" || bad+=" [$c] $w"
		done
	done
	echo "bad:$bad"
	[ -z "$bad" ]
	[ "${OFFER["netprobe show sockets netns npns-$NP_SUFFIX"]}" = "$ns" ]
	[ "${OFFER["netprobe show drops flows netns npns-${NP_SUFFIX:0:4}"]}" = "$ns" ]
	# An inode number is taken, never offered.
	[ -z "${OFFER['netprobe show sockets netns 4026']}" ]
	accepted show sockets netns "$ns"
}

@test "bash completion: the keyword lists of every command, the values of value keywords" {
	skip_unless_completion
	declare -A OFFER=()
	offers 'netprobe show flows ' 'netprobe show drops flows ' 'netprobe show vxlan flows ' \
		'netprobe show flows src 10.0.0.0/8 ' 'netprobe show drops flows reason NO_SOCKET ' \
		'netprobe show flows dev ' 'netprobe show flows proto ' 'netprobe show drops proto ' \
		'netprobe show flows sort ' 'netprobe show vxlan sort ' 'netprobe show alerts kind ' \
		'netprobe show sockets state ' 'netprobe watch sockets state ' 'netprobe attach lo mode ' \
		'netprobe show flows top ' 'netprobe show flows port ' 'netprobe attach lo flows ' \
		'netprobe show stats interval ' 'netprobe show sockets comm ' 'netprobe attach drops ' \
		'netprobe detach all ' 'netprobe status '
	[ "${OFFER['netprobe show flows ']}" = "dev dir dport dst fragments hook k8s k8s-direction namespace pod port proto service sort sport src top" ]
	[ "${OFFER['netprobe show drops flows ']}" = "dev dport dst flows netns port proto reason sort sport src top" ]
	has "${OFFER['netprobe show vxlan flows ']}" dev vni sort top
	[ "${OFFER['netprobe show flows src 10.0.0.0/8 ']}" = "${OFFER['netprobe show flows ']}" ]
	[ "${OFFER['netprobe show drops flows reason NO_SOCKET ']}" = "dev dport dst flows netns port proto reason sort sport src top" ]
	has "${OFFER['netprobe show flows dev ']}" lo
	has "${OFFER['netprobe show flows proto ']}" tcp udp icmp icmpv6
	has "${OFFER['netprobe show drops proto ']}" tcp udp icmp icmpv6 ipv4 ipv6 arp
	[ "${OFFER['netprobe show flows sort ']}" = "bytes last packets rtt" ]
	[ "${OFFER['netprobe show vxlan sort ']}" = "bytes last packets" ]
	[ "${OFFER['netprobe show alerts kind ']}" = "ack-scan failed-conn fin-scan null-scan port-scan syn-flood udp-scan xmas-scan" ]
	has "${OFFER['netprobe show sockets state ']}" established syn-sent time-wait closed open
	[ "${OFFER['netprobe watch sockets state ']}" = "${OFFER['netprobe show sockets state ']}" ]
	[ "${OFFER['netprobe attach lo mode ']}" = "generic native" ]
	# Numbers, addresses, names; a host probe or "all" takes nothing after it.
	local line
	for line in 'netprobe show flows top ' 'netprobe show flows port ' 'netprobe attach lo flows ' \
		'netprobe show stats interval ' 'netprobe show sockets comm ' 'netprobe attach drops ' \
		'netprobe detach all ' 'netprobe status '; do
		echo "$line: ${OFFER[$line]}"
		[ -z "${OFFER[$line]}" ]
	done
	# What is offered as a value, netprobe takes.
	local c v
	for c in 'show flows proto' 'show drops proto' 'show flows sort' 'show vxlan flows sort' \
		'show alerts kind' 'show sockets state'; do
		for v in ${OFFER["netprobe ${c/vxlan flows/vxlan} "]}; do
			accepted $c "$v"
		done
	done
	run accepted show flows proto bogus
	[ "$status" -ne 0 ]
}

@test "bash completion resolves prefixes as netprobe does; ambiguous ones complete nothing" {
	skip_unless_completion
	declare -A OFFER=()
	offers 'netprobe show flows ' 'netprobe sh fl ' 'netprobe sh fl so ' 'netprobe sh dr fl ' \
		'netprobe s ' 'netprobe show flows d ' 'netprobe xyz ' 'netprobe show flows xyz ' \
		'netprobe sh fl so b' 'netprobe attach lo t' 'netprobe attach lo tc-m ' 'netprobe f'
	[ -n "${OFFER['netprobe sh fl ']}" ]
	[ "${OFFER['netprobe sh fl ']}" = "${OFFER['netprobe show flows ']}" ]
	[ "${OFFER['netprobe sh fl so ']}" = "bytes last packets rtt" ]
	[ "${OFFER['netprobe sh dr fl ']}" = "dev dport dst flows netns port proto reason sort sport src top" ]
	[ "${OFFER['netprobe sh fl so b']}" = bytes ]
	[ "${OFFER['netprobe attach lo t']}" = "tc tc-mode" ]
	[ "${OFFER['netprobe attach lo tc-m ']}" = "clsact tcx" ]
	[ "${OFFER['netprobe f']}" = "feature flush" ]
	# Ambiguous (netprobe says so) or unknown: nothing.
	local line
	for line in 'netprobe s ' 'netprobe show flows d ' 'netprobe xyz ' 'netprobe show flows xyz '; do
		echo "$line: ${OFFER[$line]}"
		[ -z "${OFFER[$line]}" ]
	done
	run "$NP" s
	[ "$status" -eq 2 ]
	[[ "$output" == *ambiguous* ]]
	run "$NP" show flows d 1
	[ "$status" -eq 2 ]
	[[ "$output" == *ambiguous* ]]
}

@test "bash completion offers the devices of the current network namespace" {
	skip_unless_completion
	# Two namespaces of the test's own, with a veth end each, named uniquely.
	NP_SUFFIX="$(printf '%04x%04x' $RANDOM $RANDOM)"
	NP_NETNS=()
	local a="npc-a-$NP_SUFFIX" b="npc-b-$NP_SUFFIX" mine="npca$NP_SUFFIX" theirs="npcb$NP_SUFFIX"
	local d host=()
	# np_netns records the name for teardown: not in a $(subshell).
	np_netns npc-a >/dev/null
	np_netns npc-b >/dev/null
	ip link add "$mine" netns "$a" type veth peer name "$theirs" netns "$b"
	# sysfs is the host's: its device list is not that of the namespace.
	run nsenter --net="/run/netns/$a" ls /sys/class/net
	[[ " $(echo $output) " != *" $mine "* ]]

	declare -A OFFER=()
	COMPLETE_WRAP=(nsenter --net="/run/netns/$a")
	offers 'netprobe attach ' 'netprobe show stats dev ' 'netprobe show flows dev npca'
	has "${OFFER['netprobe attach ']}" "$mine" lo drops
	has "${OFFER['netprobe show stats dev ']}" "$mine" lo
	[ "${OFFER['netprobe show flows dev npca']}" = "$mine" ]
	mapfile -t host < <(awk -F: 'NR > 2 { gsub(/ /, "", $1); if ($1 != "lo") print $1 }' /proc/self/net/dev)
	for d in "$theirs" "${host[@]}"; do
		[[ " ${OFFER['netprobe attach ']} ${OFFER['netprobe show stats dev ']} " != *" $d "* ]] ||
			{ echo "$d offered in $a"; false; }
	done
}

@test "bash completion offers the running kernel's drop reasons, read once a session" {
	skip_unless_completion
	skip_unless_cmd bpftool
	[ -r /sys/kernel/btf/vmlinux ] || skip "the kernel has no BTF"
	local want got r fake="$BATS_TEST_TMPDIR/fake"
	# The oracle: bpftool's JSON dump of the enum, as netprobe names them.
	want=$(bpftool -j btf dump file /sys/kernel/btf/vmlinux |
		jq -r '.types[] | select(.kind == "ENUM" and .name == "skb_drop_reason") |
			.values[].name | sub("^SKB_DROP_REASON_"; "")' | sort | xargs)
	[ -n "$want" ]
	# A bpftool that logs its runs: three completions, one run.
	mkdir -p "$fake"
	printf '#!/bin/sh\necho "$*" >>"%s/log"\nexec %s "$@"\n' "$fake" "$(command -v bpftool)" \
		>"$fake/bpftool"
	chmod +x "$fake/bpftool"
	declare -A OFFER=()
	COMPLETE_PATH="$fake:$PATH"
	offers 'netprobe show drops reason ' 'netprobe show drops flows reason NETF' \
		'netprobe sh dr re no_sock'
	[ "${OFFER['netprobe show drops reason ']}" = "$want" ]
	has "${OFFER['netprobe show drops flows reason NETF']}" NETFILTER_DROP
	[ "${OFFER['netprobe sh dr re no_sock']}" = NO_SOCKET ]
	[ "$(wc -l <"$fake/log")" -eq 1 ]
	# Each is a name netprobe takes.
	for r in ${OFFER['netprobe show drops reason ']}; do
		accepted show drops reason "$r"
	done
	run accepted show drops reason NO_SUCH_REASON
	[ "$status" -ne 0 ]
}

@test "bash completion takes commands, keywords and options from netprobe, once a session" {
	skip_unless_completion
	local fake="$BATS_TEST_TMPDIR/fake"
	# A netprobe with a table and options of its own, that logs its runs.
	mkdir -p "$fake"
	cat >"$fake/netprobe" <<-EOF
	#!/bin/sh
	echo "\$*" >>"$fake/log"
	case "\$*" in
	"-j help")
		echo '[{"command":"show widgets","args":"[colour red|green] [size N] [shiny]","help":"w"},'
		echo ' {"command":"frob","args":"DEV [hard] | all","help":"f"}]' ;;
	--help)
		printf 'Usage: netprobe\n\nOptions:\n  -z, --zap           zap\n      --frob-dir DIR  frob\n\n' ;;
	esac
	EOF
	chmod +x "$fake/netprobe"
	declare -A OFFER=()
	COMPLETE_PATH="$fake:/usr/bin:/bin"
	offers 'netprobe ' 'netprobe show ' 'netprobe show widgets ' 'netprobe sh wi col ' \
		'netprobe frob ' 'netprobe frob lo ' 'netprobe frob all ' 'netprobe -' \
		'netprobe --frob-dir /tmp show ' 'netprobe -z show widgets s'
	[ "${OFFER['netprobe ']}" = "frob help show" ]
	[ "${OFFER['netprobe show ']}" = widgets ]
	[ "${OFFER['netprobe show widgets ']}" = "colour shiny size" ]
	[ "${OFFER['netprobe sh wi col ']}" = "green red" ]
	has "${OFFER['netprobe frob ']}" lo all
	[ "${OFFER['netprobe frob lo ']}" = hard ]
	[ -z "${OFFER['netprobe frob all ']}" ]
	[ "${OFFER['netprobe -']}" = "--frob-dir --zap -z" ]
	[ "${OFFER['netprobe --frob-dir /tmp show ']}" = widgets ]
	[ "${OFFER['netprobe -z show widgets s']}" = "shiny size" ]
	# Ten completions, one run each for the table and the options.
	cat "$fake/log"
	[ "$(grep -cx -- '-j help' "$fake/log")" -eq 1 ]
	[ "$(grep -cx -- '--help' "$fake/log")" -eq 1 ]
	[ "$(wc -l <"$fake/log")" -eq 2 ]
	# The netprobe named on the command line is the one asked.
	COMPLETE_PATH=/usr/bin:/bin
	offers "$fake/netprobe show "
	[ "${OFFER["$fake/netprobe show "]}" = widgets ]
}

@test "bash completion: without netprobe, the static table, which is netprobe's" {
	skip_unless_completion
	declare -A OFFER=()
	offers 'netprobe show ' 'netprobe show drops ' 'netprobe -'
	local want_show="${OFFER['netprobe show ']}" want_drops="${OFFER['netprobe show drops ']}"
	local want_opts="${OFFER['netprobe -']}"
	COMPLETE_PATH=/usr/bin:/bin
	run bash -c 'PATH=$0; type -P netprobe' "$COMPLETE_PATH"
	[ "$status" -ne 0 ]
	offers 'netprobe show ' 'netprobe show drops ' 'netprobe -'
	[ "${OFFER['netprobe show ']}" = "$want_show" ]
	[ "${OFFER['netprobe show drops ']}" = "$want_drops" ]
	[ "${OFFER['netprobe -']}" = "$want_opts" ]
	# The static copies are the binary's table and options (make completion writes them).
	diff <(bash -c 'source "$0"; printf "%s\n" "${_netprobe_static_rows[@]}"' "$COMPLETION") \
		<("$NP" -j help | jq -r '.[] | .command, .args')
	diff <(bash -c 'source "$0"; printf "%s\n" $_netprobe_static_options' "$COMPLETION") \
		<("$NP" --help | sed -n '/^Options:/,/^$/p' | grep -oE -- '(^|[ ,])--?[A-Za-z][a-z-]*' |
			tr -d ' ,')
	[ "$(bash -c 'source "$0"; echo $_netprobe_static_optvals' "$COMPLETION")" = \
		"$("$NP" --help | sed -n '/^Options:/,/^$/p' | grep -oE -- '--[a-z-]+ [A-Z]+' |
			cut -d' ' -f1 | xargs)" ]
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

# The documentation: README.md, bench/README.md and the man pages (roff
# escapes of - and fonts taken off).
doc_text() {
	cat "$BATS_TEST_DIRNAME"/../../README.md "$BATS_TEST_DIRNAME"/../../bench/README.md
	man_text
}

@test "docs: node_exporter's textfile directory is Debian's" {
	# prometheus-node-exporter reads /var/lib/prometheus/node-exporter.
	run grep -n /var/lib/node_exporter <(doc_text)
	echo "$output"
	[ "$status" -eq 1 ]
	doc_text | grep -q /var/lib/prometheus/node-exporter
}

@test "docs: every example that writes a Prometheus file writes F.tmp and renames it to F" {
	# node_exporter reads *.prom files; a rename makes the new one appear whole.
	local line bad="" n=0 re='(^|[^>])> *([^ ]+\.prom)\.tmp +&& +mv +([^ ]+)\.tmp +([^ ]+)( |$)'
	while IFS= read -r line; do
		n=$((n + 1))
		[[ $line =~ $re ]] && [ "${BASH_REMATCH[2]}" = "${BASH_REMATCH[3]}" ] &&
			[ "${BASH_REMATCH[3]}" = "${BASH_REMATCH[4]}" ] && continue
		bad+=$'\n'"$line"
	done < <(doc_text | grep -E '>[[:space:]]*[^[:space:]|&;]*\.prom')
	echo "bad:$bad"
	[ -z "$bad" ]
	[ "$n" -gt 0 ]
}

@test "docs: cron lines run netprobe by its full path" {
	# cron's PATH is /usr/bin:/bin; make install puts netprobe in /usr/local/sbin.
	local line bad="" n=0 bare='[[:space:];&|]netprobe[[:space:]]'
	while IFS= read -r line; do
		n=$((n + 1))
		if [[ $line != */usr/local/sbin/netprobe* || " $line " =~ $bare ]]; then
			bad+=$'\n'"$line"
		fi
	done < <(doc_text | grep -E '^([-0-9*/,]+[[:space:]]+){5}[^[:space:]]' | grep netprobe)
	echo "bad:$bad"
	[ -z "$bad" ]
	[ "$n" -gt 0 ]
}

@test "man pages: every .TH date is a full date (YYYY-MM-DD) that date(1) parses" {
	local f d bad=""
	for f in "$BATS_TEST_DIRNAME"/../../man/*.8; do
		# .TH title section date source manual: the third argument.
		d=$(sed -n 's/^\.TH //p' "$f" | xargs printf '%s\n' | sed -n 3p)
		if ! [[ $d =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] ||
			[ "$(date -d "$d" +%F 2>/dev/null)" != "$d" ]; then
			bad+=" ${f##*/}:'$d'"
		fi
	done
	echo "bad:$bad"
	[ -z "$bad" ]
}

# help_section TEXT TITLE: the first word of each "  word ..." line of the
# section of TEXT whose heading starts with TITLE.
help_section() {
	awk -v t="$2" '/^[A-Z]/ { in_sec = index($0, t) == 1; next }
		in_sec && /^  [a-z]/ { print $1 }' <<<"$1" | xargs
}

@test "attach help and detach help are made from the probe table: no drift" {
	local attach detach dev host all p o want got bad=""
	attach=$("$NP" attach help)
	detach=$("$NP" detach help)
	dev=$(probes .per_device | xargs)
	host=$(probes '.per_device | not' | xargs)
	all=$(probes '.per_device and .in_all' | xargs)
	# The probes, each under its heading, in the table's order.
	[ "$(help_section "$attach" 'Device probes')" = "$dev all" ]
	[ "$(help_section "$attach" 'Host probes')" = "$host" ]
	[ "$(help_section "$detach" 'Device probes')" = "$dev" ]
	[ "$(help_section "$detach" 'Host probes')" = "$host" ]
	# Each with its help; 'all' names the probes it attaches.
	for p in $(probes); do
		want=$("$NP" -j attach help | jq -r --arg p "$p" '.[] | select(.probe == $p) | .help')
		grep -qxF -- "  $(printf '%-10s' "$p") $want" <<<"$attach" || bad+=" [help] $p"
	done
	[[ "$(grep '^  all ' <<<"$attach")" == *": ${all// /, }" ]] || bad+=" [all]"
	# Each keyword with the probes it is for.
	for o in $(probe_option_words); do
		want=$("$NP" -j attach help |
			jq -r --arg o "$o" '[.[] | select(.probe) | select(.options | split(" ") | index($o)) | .probe] | join(" ")')
		got=$(grep -E "^  $o " <<<"$attach" | sed -E 's/.*\(([^)]*)\)$/\1/; s/,| or / /g' | xargs)
		[ "$got" = "$want" ] || bad+=" [$o: '$got' is not '$want']"
	done
	[ "$(help_section "$attach" 'Keywords' | xargs -n1 | sort | xargs)" = \
		"$(probe_option_words | xargs)" ] || bad+=" [keywords]"
	# The synopses: "[tc|...|all]" and "| drops | ..." are the table's probes.
	got=$("$NP" -j help | jq -r '.[] | select(.command == "attach") | .args')
	[[ "$got" == "DEV [${dev// /|}|all] "*" | ${host// / | }" ]] || bad+=" [attach synopsis]"
	for o in $(probe_option_words); do
		[[ "$got" == *"[$o "* ]] || bad+=" [attach synopsis: $o]"
	done
	got=$("$NP" -j help | jq -r '.[] | select(.command == "detach") | .args')
	[ "$got" = "DEV [${dev// /|}] | ${host// / | } | all" ] || bad+=" [detach synopsis]"
	# Usage line and help line from the row, in plain text as in -j help.
	[ "$(head -1 <<<"$attach")" = "Usage: netprobe attach $("$NP" -j help |
		jq -r '.[] | select(.command == "attach") | .args')" ]
	echo "bad:$bad"
	[ -z "$bad" ]
}

# TODO: show drops, sockets, netfilter, alerts and vxlan still print a help of
# their own (they are being rewritten); take them off this list once they
# print np_cmd_help_self.
OWN_HELP='^show (vxlan)'$'\x1f'

@test "every command's help is its table row: usage line, then its help" {
	local c args help out bad=""
	while IFS=$'\x1f' read -r c args help; do
		out=$("$NP" $c help)
		[ "$(sed -n 1p <<<"$out")" = "Usage: netprobe $c${args:+ $args}" ] ||
			bad+=$'\n'"[$c] $(sed -n 1p <<<"$out")"
		# The row's help as a sentence (capital, full stop) on the next line.
		[ "$(sed -n 2p <<<"$out")" = "${help^}." ] || bad+=$'\n'"[$c] $(sed -n 2p <<<"$out")"
		[ "$("$NP" help $c)" = "$out" ] || bad+=$'\n'"[$c] help $c differs"
	done < <("$NP" -j help | jq -r '.[] | "\(.command)\u001f\(.args)\u001f\(.help)"' |
		grep -vE "$OWN_HELP")
	echo "bad:$bad"
	[ -z "$bad" ]
}
