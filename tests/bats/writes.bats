#!/usr/bin/env bats
# Output that cannot be written is an error: a full disk (/dev/full) or a
# closed stdout (>&-) is exit status 1 with one line on stderr, so that
# 'netprobe --prom show stats > tmp && mv tmp np.prom' never publishes a cut
# file. A reader that leaves early (| head) is no error.

load helpers

setup() {
	np_setup_root
	np_veth_pair
	np_in "$NS_A" attach a0 >/dev/null
	in_ns "$NS_A" ping -c 3 -i 0.01 -q 10.77.0.2 >/dev/null
	ERR="$BATS_TEST_TMPDIR/err"
}

teardown() {
	np_teardown
}

# lost_output REDIRECT ARGS...: netprobe ARGS with stdout redirected so
# (">/dev/full" or ">&-") exits 1 with one line on stderr about the write.
lost_output() {
	local redir=$1 rc=0
	shift
	case $redir in
	'>/dev/full') np_in "$NS_A" "$@" >/dev/full 2>"$ERR" || rc=$? ;;
	'>&-') np_in "$NS_A" "$@" >&- 2>"$ERR" || rc=$? ;;
	esac
	echo "netprobe $* $redir: exit $rc, stderr: $(cat "$ERR")"
	[ "$rc" -eq 1 ]
	[ "$(wc -l <"$ERR")" -eq 1 ]
	grep -q '^Error: cannot write output: .*' "$ERR"
	grep -qi 'write' "$ERR"
	# Not "Invalid argument": the text went to no BPF object that took fd 1.
	[ "$redir" != '>&-' ] || grep -q 'standard output is closed' "$ERR"
}

@test "stdout on a full disk: exit 1 and one line on stderr, in every format" {
	local fmt cmd
	for fmt in "" -j --prom; do
		for cmd in "show stats" "show flows"; do
			# shellcheck disable=SC2086
			lost_output '>/dev/full' $fmt $cmd
		done
	done
	lost_output '>/dev/full' status
	lost_output '>/dev/full' -j status
	lost_output '>/dev/full' -p status
	grep -q 'No space left on device' "$ERR"
}

# Under make VALGRIND=1, valgrind's --log-file takes the free fd 1 before
# netprobe runs: there is no closed stdout left for netprobe to find.
skip_closed_under_valgrind() {
	[ "${NP_VALGRIND:-0}" != 1 ] || skip "under valgrind, valgrind's log file takes fd 1"
}

@test "a closed stdout: exit 1 and one line on stderr, nothing written into an fd" {
	local fmt cmd
	skip_closed_under_valgrind
	for fmt in "" -j --prom; do
		for cmd in "show stats" "show flows"; do
			# shellcheck disable=SC2086
			lost_output '>&-' $fmt $cmd
		done
	done
	lost_output '>&-' status
	lost_output '>&-' -j status
	lost_output '>&-' help
	# fd 1 was parked on /dev/null: the pins took other numbers and still work.
	run np_in "$NS_A" -j show stats
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[0].interface' <<<"$output")" = a0 ]
	# flush reports what it zeroed: that report is lost too.
	lost_output '>&-' flush stats
}

@test "an error document that cannot be written is not lost: it is on stderr" {
	local rc=0
	np_in "$NS_A" -j show stats dev nosuchdev0 >/dev/full 2>"$ERR" || rc=$?
	cat "$ERR"
	[ "$rc" -eq 1 ]
	[ "$(wc -l <"$ERR")" -eq 1 ]
	grep -q 'nosuchdev0.*cannot write it to stdout: No space left on device' "$ERR"
	# When stdout works, the error document goes there and stderr stays empty.
	rc=0
	np_in "$NS_A" -j show stats dev nosuchdev0 >"$BATS_TEST_TMPDIR/out" 2>"$ERR" || rc=$?
	[ "$rc" -eq 1 ]
	[ ! -s "$ERR" ]
	jq -e '.error | test("nosuchdev0")' "$BATS_TEST_TMPDIR/out"
	# A usage error keeps its status 2.
	rc=0
	"$NP" -j frobnicate >/dev/full 2>"$ERR" || rc=$?
	[ "$rc" -eq 2 ]
	[ "$(wc -l <"$ERR")" -eq 1 ]
}

@test "a closed pipe (| head -1) is still quiet, exit 0" {
	local fmt
	set -o pipefail
	for fmt in "" -j --prom; do
		# shellcheck disable=SC2086
		np_in "$NS_A" $fmt show stats 2>"$ERR" | head -c 1 >/dev/null
		[ ! -s "$ERR" ]
		# dump has no Prometheus form (a usage error, tested elsewhere).
		[ "$fmt" = --prom ] && continue
		# shellcheck disable=SC2086
		np_in "$NS_A" $fmt dump 2>"$ERR" | head -1 >/dev/null
		[ ! -s "$ERR" ]
	done
	np_in "$NS_A" show stats interval 0.01 count 500 2>"$ERR" | head -1 >/dev/null
	[ ! -s "$ERR" ]
}

@test "long outputs stop at the first failed write" {
	local rc=0 start
	start=$SECONDS
	# No count: without the write error this runs until the timeout.
	timeout -s KILL 20 nsenter --net="/run/netns/$NS_A" "$NP" show stats interval 0.01 \
		>/dev/full 2>"$ERR" || rc=$?
	cat "$ERR"
	[ "$rc" -eq 1 ]
	[ $((SECONDS - start)) -lt 10 ]
	grep -q 'cannot write output: No space left on device' "$ERR"
	skip_closed_under_valgrind
	rc=0
	timeout -s KILL 20 nsenter --net="/run/netns/$NS_A" "$NP" show stats interval 0.01 \
		>&- 2>"$ERR" || rc=$?
	[ "$rc" -eq 1 ]
	[ "$(wc -l <"$ERR")" -eq 1 ]
}

@test "watch stops at the first failed write" {
	run "$NP" attach socket
	[ "$status" -eq 0 ]
	local rc=0
	# Its header is the first write; no event needs to come.
	timeout -s KILL 20 "$NP" watch sockets >/dev/full 2>"$ERR" || rc=$?
	cat "$ERR"
	[ "$rc" -eq 1 ]
	[ "$(wc -l <"$ERR")" -eq 1 ]
	grep -q 'cannot write output: No space left on device' "$ERR"
}
