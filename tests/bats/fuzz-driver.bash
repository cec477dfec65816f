#!/bin/bash
# The runs of tests/bats/fuzz.bats, in a plain bash: under bats' DEBUG trap
# the generator alone took longer than netprobe. By hand, to replay a seed:
#
#   NP=./netprobe NETPROBE_PIN_ROOT=/run/x/np NP_FUZZ_NS=<netns> \
#       tests/bats/fuzz-driver.bash json|plain RUNS SEED WORKDIR
#
# Prints the failed runs, each with the exact command line, and "# " lines
# (seed, runs, known -j violations); exits 1 if a run failed.
set -u
export LC_ALL=C

MODE=$1 RUNS=$2 SEED=$3 T=$4
NS=$NP_FUZZ_NS

# ---- the words ----

# fuzz_grammar PATH SYNOPSIS: GRAM_OF[PATH], the synopsis as units:
# k:KW:SPEC (a keyword and its value, "[sort packets|bytes|last]"), f:SPEC
# (a word, "[active]", "[tc|xdp]") and p:SPEC (positional, "DEV | drops").
# SPEC is a PLACEHOLDER or alternatives (A|B).
fuzz_grammar() {
	local s=$2 units='' prev='' join='' w
	local -a ws
	while [[ $s =~ \[([^][]*)\] ]]; do
		read -r -a ws <<<"${BASH_REMATCH[1]}"
		if ((${#ws[@]} == 2)); then
			units+=" k:${ws[0]}:${ws[1]}"
		elif ((${#ws[@]} == 1)); then
			units+=" f:${ws[0]}"
		fi
		s=${s/"${BASH_REMATCH[0]}"/ }
	done
	for w in $s; do
		if [ "$w" = "|" ]; then
			join=1
		elif [ -n "$join" ]; then
			prev+="|$w" join=
		else
			[ -z "$prev" ] || units+=" p:$prev"
			prev=$w
		fi
	done
	[ -z "$prev" ] || units+=" p:$prev"
	GRAM_OF[$1]=$units
}

# fuzz_words: CMDS (command paths), ARGS_OF[path] (the words of its args
# synopsis), GRAM_OF[path], TOP and SUB[group] (the command tables),
# KEYWORDS, and the values.
fuzz_words() {
	local cmd args w
	local -A seen=()
	CMDS=() KEYWORDS=() TOP=()
	declare -gA ARGS_OF=() SUB=() GRAM_OF=()
	while IFS=$'\t' read -r cmd args; do
		CMDS+=("$cmd")
		ARGS_OF[$cmd]="${args//[^A-Za-z0-9-]/ }"
		fuzz_grammar "$cmd" "$args"
		w=${cmd%% *}
		[ -n "${seen[top:$w]:-}" ] || TOP+=("$w")
		seen[top:$w]=1
		[ "$w" = "$cmd" ] || SUB[$w]+=" ${cmd#* }"
		for w in $cmd ${ARGS_OF[$cmd]}; do
			[[ $w == *[a-z]* && -z "${seen[$w]:-}" ]] || continue
			seen[$w]=1
			KEYWORDS+=("$w")
		done
	done < <("$NP" -j help | jq -r '.[] | [.command, .args] | @tsv')
	[ "${#CMDS[@]}" -gt 10 ] && [ "${#KEYWORDS[@]}" -gt 30 ]
	local long
	printf -v long '%*s' 5000 ''
	long=${long// /x}
	NUMS=(0 1 2 -5 010 08 0x10 1024 65535 65536 4294967296 18446744073709551615
	      18446744073709551616 1e3 0.01 0.001 1e-2 -0 nan inf 3600.5 '' ' 1' '1 ')
	DEVS=(lo lo nosuchdev0 abcdefghijklmnopq '' $'\xff' lo:1 . ..)
	CIDRS=(10.0.0.0/8 127.0.0.1 ::1/128 fe80::/10 999.1.1.1/33 10.0.0.0/-1 ::/129 /8)
	VALUES=("${NUMS[@]}" "${DEVS[@]}" "${CIDRS[@]}" "$long" $'\xff\xfe' $'\xc3\x28'
		$'caf\xc3\xa9' tcp udp icmp 256 NO_SOCKET NETFILTER_DROP established
		%s%n%s%x ../x - -- -j -q -n -h --help ' ' $'a\tb' $'\n' '*' help)
}

# fuzz_value PLACEHOLDER: into $VAL, a value of the kind the synopsis names
# (DEV, CIDR, a number), now and then anything at all.
fuzz_value() {
	if ((RANDOM % 100 < 30)); then
		VAL=${VALUES[RANDOM % ${#VALUES[@]}]}
		return
	fi
	case $1 in
	DEV) VAL=${DEVS[RANDOM % ${#DEVS[@]}]} ;;
	CIDR) VAL=${CIDRS[RANDOM % ${#CIDRS[@]}]} ;;
	*) VAL=${NUMS[RANDOM % ${#NUMS[@]}]} ;;
	esac
}

# fuzz_good PLACEHOLDER: into $VAL, a value it takes (most of the time).
fuzz_good() {
	local -a v
	case $1 in
	DEV) v=(lo lo lo lo nosuchdev0) ;;
	SEC) v=(0.01 0.01 0.05 1 3600) ;;
	CIDR) v=(127.0.0.0/8 127.0.0.1/32 ::1/128 10.0.0.0/8 0.0.0.0/0 ::/0) ;;
	P) v=(tcp udp icmp icmpv6 6 17) ;;
	R) v=(NO_SOCKET NETFILTER_DROP NOT_SPECIFIED) ;;
	S) v=(established closed listen) ;;
	C) v=(netprobe bash python3) ;;
	ID) v=(0 1 4026531840) ;;
	PCT) v=(0 50 100) ;;
	*) v=(1 2 10 1024 65535) ;;
	esac
	VAL=${v[RANDOM % ${#v[@]}]}
}

# fuzz_spec SPEC: into $VAL, one of the alternatives of SPEC or a value of
# its placeholder, sometimes cut to a prefix; now and then anything at all.
fuzz_spec() {
	local -a alts
	if ((RANDOM % 100 < 10)); then
		VAL=${VALUES[RANDOM % ${#VALUES[@]}]}
		return 0
	fi
	IFS='|' read -r -a alts <<<"$1"
	VAL=${alts[RANDOM % ${#alts[@]}]}
	if [[ $VAL == *[a-z]* ]]; then
		fuzz_cut "$VAL"
	else
		fuzz_good "$VAL"
	fi
}

# fuzz_gram_line PATH: appends to ARGV what PATH's synopsis allows: its
# positionals, then a few of its keywords with values and its flags.
fuzz_gram_line() {
	local u kw n i
	local -a units opt=()
	read -r -a units <<<"${GRAM_OF[$1]}"
	for u in "${units[@]}"; do
		if [[ $u == p:* ]]; then
			fuzz_spec "${u#p:}"
			ARGV+=("$VAL")
		else
			opt+=("$u")
		fi
	done
	((${#opt[@]})) || return 0
	n=$((RANDOM % 4))
	for ((i = 0; i < n; i++)); do
		u=${opt[RANDOM % ${#opt[@]}]}
		if [[ $u == k:* ]]; then
			u=${u#k:}
			kw=${u%%:*}
			fuzz_cut "$kw"
			ARGV+=("$VAL")
			fuzz_spec "${u#*:}"
		else
			fuzz_spec "${u#f:}"
		fi
		ARGV+=("$VAL")
	done
}

# fuzz_cut WORD: into $VAL, WORD, or sometimes a prefix of it.
fuzz_cut() {
	VAL=$1
	((${#1} && RANDOM % 100 < 15)) && VAL=${1:0:$((1 + RANDOM % ${#1}))}
	return 0
}

# fuzz_line: into ARGV, a command line: a real command (rarely a watch,
# which blocks), then what its synopsis allows, or its keywords and values
# and other words and values in any order.
fuzz_line() {
	local cmd own w n i
	ARGV=()
	cmd=${CMDS[RANDOM % ${#CMDS[@]}]}
	[[ $cmd == watch* ]] && ((RANDOM % 100 < 85)) && cmd=${CMDS[RANDOM % ${#CMDS[@]}]}
	if ((RANDOM % 100 < 8)); then
		ARGV+=("${VALUES[RANDOM % ${#VALUES[@]}]}")
	else
		for w in $cmd; do
			fuzz_cut "$w"
			ARGV+=("$VAL")
		done
	fi
	# Half the lines follow the synopsis, the others are word salad.
	if ((RANDOM % 100 < 50)); then
		fuzz_gram_line "$cmd"
		n=$((RANDOM % 100 < 20 ? 1 : 0))
	else
		n=$((RANDOM % 8))
	fi
	read -r -a own <<<"${ARGS_OF[$cmd]}"
	for ((i = 0; i < n; i++)); do
		w=$((RANDOM % 100))
		if ((w < 50 && ${#own[@]})); then
			w=${own[RANDOM % ${#own[@]}]}
			if [[ $w == *[a-z]* ]]; then
				fuzz_cut "$w"
			else
				fuzz_value "$w"
			fi
		elif ((w < 75)); then
			VAL=${VALUES[RANDOM % ${#VALUES[@]}]}
		else
			fuzz_cut "${KEYWORDS[RANDOM % ${#KEYWORDS[@]}]}"
		fi
		ARGV+=("$VAL")
	done
	# Watches end after one event, when one comes.
	[[ $cmd == watch* ]] && ((RANDOM % 2)) && ARGV+=(count 1)
	return 0
}

# ---- what netprobe makes of a command line ----

# fuzz_match WORD CANDIDATE...: into $VAL, the candidate WORD picks (exact,
# else the only one it is a prefix of), as the command tables do; else "".
fuzz_match() {
	local w=$1 c hit=
	local -i n=0
	shift
	VAL=
	[ -n "$w" ] || return 0
	for c; do
		if [ "$c" = "$w" ]; then
			VAL=$c
			return 0
		fi
		[[ $c == "$w"* ]] && hit=$c && n+=1
	done
	((n == 1)) && VAL=$hit
	return 0
}

# fuzz_parse: from ARGV, POS (the non-option words, as argp leaves them)
# and PATH_ (the command they name, or "").
fuzz_parse() {
	local a dashdash=
	POS=()
	for a in "${ARGV[@]}"; do
		if [ -n "$dashdash" ] || [ "$a" = - ] || [[ $a != -* ]]; then
			POS+=("$a")
		elif [ "$a" = -- ]; then
			dashdash=1
		fi
	done
	PATH_=
	fuzz_match "${POS[0]:-}" "${TOP[@]}"
	[ -n "$VAL" ] || return 0
	PATH_=$VAL
	if [ -n "${SUB[$PATH_]:-}" ]; then
		# shellcheck disable=SC2086
		fuzz_match "${POS[1]:-}" ${SUB[$PATH_]}
		PATH_="$PATH_ $VAL"
	fi
}

# A watch, or show stats with an interval, may run until stopped.
fuzz_blocking() {
	local a
	[[ $PATH_ == "watch "?* ]] && return 0
	[ "$PATH_" = "show stats" ] || return 1
	for a in "${POS[@]:2}"; do
		[ -n "$a" ] && [[ interval == "$a"* ]] && return 0
	done
	return 1
}

# fuzz_cmdline: into CMD, ARGV as a shell command line to paste.
fuzz_cmdline() {
	local q
	printf -v q '%q ' "${ARGV[@]}"
	printf -v CMD 'NETPROBE_PIN_ROOT=%q nsenter --net=/run/netns/%q %q %s' \
		"$NETPROBE_PIN_ROOT" "$NS" "$NP" "$q"
}

# ---- the runs ----

# fuzz_run MODE N SEED: N runs; MODE plain or json. Failures go to FAILED,
# -j outputs that are not one JSON document (known cases) to VIOLATIONS.
#
# TODO(one JSON vocabulary): these -j commands do not print exactly one JSON
# document today and are listed (VIOLATIONS) instead of failing: 'COMMAND help', 'GROUP help'
# and 'help WORDS' print plain-text usage, and so does netprobe -j with no
# command (exit 2); 'watch alerts|sockets' print JSON Lines, one object per
# event and nothing without one (checked as JSON Lines). Once they comply,
# drop the VIOLATIONS branches below.
fuzz_run() {
	local mode=$1 runs=$2 i rc err first opt CMD t0
	local -a opts
	FAILED=() VIOLATIONS=()
	RANDOM=$3
	fuzz_words
	: >"$T/manifest"
	if [ "$mode" = plain ]; then
		opts=('' '' '' '' -n -q -v --prom)
	else
		opts=(-j -j -j -p -jn -jq)
	fi
	for ((i = 0; i < runs; i++)); do
		fuzz_line
		opt=${opts[RANDOM % ${#opts[@]}]}
		[ -n "$opt" ] && ARGV=("$opt" "${ARGV[@]}")
		fuzz_parse
		local out=/dev/null
		[ "$mode" = json ] && out="$T/out.$i"
		if fuzz_blocking; then
			# Stopped by SIGINT, as a person would; KILL if that does not work.
			rc=0 t0=${EPOCHREALTIME/./}
			timeout --preserve-status -k 5 -s INT 0.5 \
				nsenter --net="/run/netns/$NS" "$NP" "${ARGV[@]}" >"$out" 2>"$T/err" || rc=$?
			((${EPOCHREALTIME/./} - t0 < 450000)) || STOPPED=$((STOPPED + 1))
			# Interrupted before it set up its handler: the signal's own status.
			if ((rc == 130)); then
				EXITS[rc]=$((${EXITS[rc]:-0} + 1))
				continue
			fi
		else
			rc=0
			timeout -s KILL 10 \
				nsenter --net="/run/netns/$NS" "$NP" "${ARGV[@]}" >"$out" 2>"$T/err" || rc=$?
		fi
		EXITS[rc]=$((${EXITS[rc]:-0} + 1))
		err=
		read -r -d '' err <"$T/err" || true
		fuzz_cmdline
		if [[ $err == *Sanitizer* || $err == *"runtime error:"* ]]; then
			FAILED+=("sanitizer report: $CMD"$'\n'"${err:0:2000}")
		elif ((rc == 124 || rc == 137)); then
			FAILED+=("no end within the timeout (exit $rc): $CMD")
		elif ((rc > 2)); then
			FAILED+=("exit $rc: $CMD"$'\n'"${err:0:500}")
		elif [ "$mode" = json ]; then
			first=
			[ ! -s "$out" ] || read -r first <"$out" || true
			if fuzz_blocking && ((rc == 0)) && [[ $first != "["* ]]; then
				# watch and show stats interval: JSON Lines, as things come.
				VIOLATIONS+=("-j $PATH_: JSON Lines, one object per event (none without)")
				printf '%d\tlines\n' "$i" >>"$T/manifest"
			elif [[ $first == Usage:* ]] && ((rc == 0)); then
				VIOLATIONS+=("-j ${PATH_:-netprobe} help: plain-text usage")
			elif [[ $first == Usage:* ]] && ((${#POS[@]} == 0)); then
				VIOLATIONS+=("-j (no command): plain-text usage, exit $rc")
			else
				printf '%d\tone\n' "$i" >>"$T/manifest"
			fi
			CMDLINE[i]=$CMD
		fi
	done
}

# fuzz_check_json: every output the manifest lists is one JSON document
# ("one"), or JSON Lines of objects ("lines", the watch commands). One
# python3 for all of them: a jq per run would cost more than the runs.
fuzz_check_json() {
	local i why py
	read -r -d '' py <<'EOF' || true
import json, sys
d = sys.argv[1]
for line in open(f"{d}/manifest"):
    i, kind = line.split()
    data = open(f"{d}/out.{i}", "rb").read()
    try:
        text = data.decode("utf-8")
        if kind == "one":
            if not text.strip():
                raise ValueError("nothing")
            json.loads(text)
        else:
            for l in text.splitlines():
                if not isinstance(json.loads(l), dict):
                    raise ValueError("a line that is not an object")
    except ValueError as e:
        what = "one JSON document" if kind == "one" else "JSON Lines"
        print(f"{i}\tnot {what}: {e}"[:200])
EOF
	while IFS=$'\t' read -r i why; do
		FAILED+=("-j output $why: ${CMDLINE[i]}"$'\n'"$(head -c 300 "$T/out.$i")")
	done < <(python3 -c "$py" "$T")
}

fuzz_report() {
	local f
	if ((${#VIOLATIONS[@]})); then
		echo "# known -j outputs that are not one JSON document (TODO):"
		printf '%s\n' "${VIOLATIONS[@]}" | sort | uniq -c | sed 's/^ */#   /'
	fi
	((${#FAILED[@]} == 0)) && return 0
	echo "${#FAILED[@]} failed runs; the first ones:"
	for f in "${FAILED[@]:0:20}"; do
		printf '%s\n\n' "$f"
	done
	return 1
}

CMDLINE=() EXITS=() STOPPED=0
start=$SECONDS
echo "# fuzz $MODE: NP_FUZZ_SEED=$SEED, $RUNS runs"
fuzz_run "$MODE" "$RUNS" "$SEED"
[ "$MODE" = json ] && fuzz_check_json
echo "# fuzz $MODE: $RUNS runs in $((SECONDS - start)) s, ${#FAILED[@]} failed;" \
	"exit status 0: ${EXITS[0]:-0}, 1: ${EXITS[1]:-0}, 2: ${EXITS[2]:-0};" \
	"$STOPPED watch/interval runs stopped by SIGINT after 0.5 s"
fuzz_report
