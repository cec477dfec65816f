#!/usr/bin/env bats
# Bad input: one-line errors, documented exit codes (1 runtime, 2 usage),
# JSON errors under --json, and no half-made state.

load helpers

setup() {
	np_setup_root
	np_veth_pair
}

teardown() {
	release_lock
	np_teardown
}

# release_lock: end the flock holder this test started (and its sleep).
release_lock() {
	if [ -n "${LOCK_PID:-}" ]; then
		kill $(pgrep -P "$LOCK_PID") "$LOCK_PID" 2>/dev/null || true
		wait "$LOCK_PID" 2>/dev/null || true
		LOCK_PID=
	fi
}

# one_line_error STATUS: $output is one "Error: ..." line and $status is STATUS.
one_line_error() {
	echo "status=$status output=$output"
	[ "$status" -eq "$1" ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == Error:* ]]
}

@test "unknown device" {
	run np_in "$NS_A" attach nosuchdev0
	one_line_error 1
	[[ "$output" == *"nosuchdev0"*"does not exist"* ]]
	np_root_empty
}

@test "unknown command, unknown keyword, missing value, bad number: usage errors" {
	run "$NP" frobnicate
	one_line_error 2
	run "$NP" show nonsense
	one_line_error 2
	run np_in "$NS_A" attach a0 sideways
	one_line_error 2
	run "$NP" show stats dev
	one_line_error 2
	run "$NP" show stats interval -1
	one_line_error 2
	run "$NP" show stats count 3
	one_line_error 2
	run "$NP" --no-such-option status
	one_line_error 2
}

@test "ambiguous prefix is an error; a unique prefix works" {
	run "$NP" s stats
	one_line_error 2
	[[ "$output" == *ambiguous* && "$output" == *show* && "$output" == *status* ]]
	np_in "$NS_A" attach a0 >/dev/null
	run np_in "$NS_A" -j sh st
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[0].interface' <<<"$output")" = a0 ]
}

@test "errors are JSON on stdout under --json" {
	run np_in "$NS_A" -j attach nosuchdev0
	[ "$status" -eq 1 ]
	[[ "$(jq -r .error <<<"$output")" == *nosuchdev0* ]]
	run "$NP" --json frobnicate
	[ "$status" -eq 2 ]
	jq -e '.error | length > 0' <<<"$output"
	run "$NP" -j show stats
	[ "$status" -eq 1 ]
	[[ "$(jq -r .error <<<"$output")" == *"nothing is attached"* ]]
}

@test "not root: clear error, nothing touched" {
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$NP" show stats
	one_line_error 1
	[[ "$output" == *root* ]]
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$NP" attach lo
	one_line_error 1
}

@test "a pin root that is not on bpffs is refused" {
	local dir
	dir=$(mktemp -d)
	run np_in "$NS_A" --pin-root "$dir/np" attach a0
	one_line_error 1
	[[ "$output" == *"not on a bpffs"* ]]
	[ ! -e "$dir/np" ]
	rmdir "$dir"
	run "$NP" --pin-root relative/path status
	one_line_error 2
}

@test "two changes at once: the second waits for the lock, then gives up clearly" {
	np_in "$NS_A" attach a0 >/dev/null
	flock -o "$NETPROBE_PIN_ROOT" sleep 20 &
	LOCK_PID=$!
	sleep 0.3
	NETPROBE_LOCK_WAIT=0.5 run np_in "$NS_A" detach a0
	one_line_error 1
	[[ "$output" == *"another netprobe"* ]]
	# Readers do not wait.
	run np_in "$NS_A" -j show stats
	[ "$status" -eq 0 ]
	release_lock
	run np_in "$NS_A" detach a0
	[ "$status" -eq 0 ]
}

@test "concurrent attaches of two devices both land" {
	ip link add c0 netns "$NS_A" type veth peer name c1 netns "$NS_A"
	ip -n "$NS_A" link set c0 up
	np_in "$NS_A" attach a0 >/dev/null &
	local p1=$!
	np_in "$NS_A" attach c0 >/dev/null &
	local p2=$!
	wait "$p1"
	wait "$p2"
	run np_in "$NS_A" -j show stats
	[ "$(jq -r '[.[].interface] | sort | join(",")' <<<"$output")" = "a0,c0" ]
}

@test "pins of another layout are refused; detach all removes them" {
	mkdir -p "$NETPROBE_PIN_ROOT/maps"
	bpftool map create "$NETPROBE_PIN_ROOT/maps/np_meta" type array key 4 value 48 entries 1 name np_meta
	# layout 99
	bpftool map update pinned "$NETPROBE_PIN_ROOT/maps/np_meta" key 0 0 0 0 value 99 0 0 0 $(printf '0 %.0s' $(seq 44))
	run np_in "$NS_A" show stats
	one_line_error 1
	[[ "$output" == *"layout 99"*"detach all"* ]]
	run np_in "$NS_A" attach a0
	one_line_error 1
	run np_in "$NS_A" detach all
	[ "$status" -eq 0 ]
	np_root_empty
	run np_in "$NS_A" attach a0
	[ "$status" -eq 0 ]
}

@test "a failed attach leaves the earlier state as it was" {
	np_in "$NS_A" attach a0 >/dev/null
	local before
	before=$(np_in "$NS_A" -j status | jq -c '[.attachments[] | {target, hook, prog_id}]')
	run np_in "$NS_A" attach a0 tc-mode tcx xdp mode native sideways
	[ "$status" -eq 2 ]
	run np_in "$NS_A" attach nosuchdev0
	[ "$status" -eq 1 ]
	[ "$(np_in "$NS_A" -j status | jq -c '[.attachments[] | {target, hook, prog_id}]')" = "$before" ]
}

@test "one pin root serves one network namespace" {
	np_in "$NS_A" attach a0 >/dev/null
	run np_in "$NS_B" attach b0
	one_line_error 1
	[[ "$output" == *"network namespace"*"--pin-root"* ]]
	run np_in "$NS_B" --pin-root "$NP_BPFFS/other" attach b0
	[ "$status" -eq 0 ]
	np_in "$NS_B" --pin-root "$NP_BPFFS/other" -q detach all
}
