#!/usr/bin/env bats
# The state layer under attack and under stress: a pin root nobody else can
# subvert, a lock that holds through gc, crash-safe clsact, devices that are
# renamed or leave the namespace, detach from the wrong namespace.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	np_setup_root
	np_veth_pair
	# A second pair inside NS_A: c0 <-> c1, so one pin root has two devices.
	ip link add c0 netns "$NS_A" type veth peer name c1 netns "$NS_A"
	ip netns exec "$NS_A" sysctl -qw net.ipv6.conf.c0.disable_ipv6=1
	ip netns exec "$NS_A" sysctl -qw net.ipv6.conf.c1.disable_ipv6=1
	ip -n "$NS_A" link set c0 up
	ip -n "$NS_A" link set c1 up
	NP_IDS="$BATS_TEST_TMPDIR/prog-ids"
	: >"$NP_IDS"
}

teardown() {
	# Whatever a test left in the pin root was made by root: fix modes first.
	chmod 1777 "$NP_BPFFS" 2>/dev/null || true
	[ -L "$NETPROBE_PIN_ROOT" ] && rm -f "$NETPROBE_PIN_ROOT"
	[ -d "$NETPROBE_PIN_ROOT" ] && [ "$(stat -c %u "$NETPROBE_PIN_ROOT")" != 0 ] &&
		rm -rf "$NETPROBE_PIN_ROOT"
	np_teardown
}

# as_nobody CMD...: run as an unprivileged user.
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

# remember_progs: note the program ids netprobe reports, for leak checks.
remember_progs() {
	np_in "$NS_A" -j status 2>/dev/null | jq -r '.attachments[]?.prog_id' >>"$NP_IDS" || true
}

# no_leaks: none of the remembered programs is loaded, and c0/c1 carry no
# program, filter or clsact qdisc.
no_leaks() {
	local id dev tries
	for id in $(sort -u "$NP_IDS"); do
		# cls_bpf drops its program reference after an RCU grace period.
		for tries in $(seq 50); do
			bpftool prog show id "$id" >/dev/null 2>&1 || break
			sleep 0.05
		done
		if bpftool prog show id "$id" >/dev/null 2>&1; then
			echo "program $id leaked" >&2
			return 1
		fi
	done
	# Checked: the next round looks at the programs it makes.
	: >"$NP_IDS"
	for dev in c0 c1; do
		[ -z "$(in_ns "$NS_A" tc filter show dev "$dev" ingress)" ] || { echo "$dev ingress filter" >&2; return 1; }
		[ -z "$(in_ns "$NS_A" tc filter show dev "$dev" egress)" ] || { echo "$dev egress filter" >&2; return 1; }
		! in_ns "$NS_A" tc qdisc show dev "$dev" | grep -q clsact || { echo "$dev clsact qdisc" >&2; return 1; }
		[ "$(in_ns "$NS_A" bpftool -j net show dev "$dev" | jq '[.[] | (.tc // []), (.xdp // [])] | add | length')" -eq 0 ] ||
			{ echo "$dev still runs a program" >&2; return 1; }
	done
}

# consistent: status parses and every hook it lists runs where it says.
consistent() {
	local out
	out=$(np_in "$NS_A" -j status) || return 1
	jq -e . >/dev/null <<<"$out" || return 1
	# Nothing attached (detach all came last) is a consistent state too.
	[ "$(jq -r '[.attachments[]? | select(.state != "ok")] | length' <<<"$out")" -eq 0 ] ||
		{ echo "not ok: $out" >&2; return 1; }
}

@test "a pin root another user made is refused; root deletes nothing through its symlinks" {
	local victim="$BATS_TEST_TMPDIR/victim"
	mkdir -p "$victim"
	touch "$victim/one" "$victim/two"
	as_nobody mkdir -m 777 "$NETPROBE_PIN_ROOT"
	as_nobody ln -s "$victim" "$NETPROBE_PIN_ROOT/maps"
	as_nobody mkdir -m 777 "$NETPROBE_PIN_ROOT/links"
	as_nobody ln -s "$victim" "$NETPROBE_PIN_ROOT/links/eth9"
	for cmd in "detach all" "detach eth9" "show stats" "status" "attach a0"; do
		run np_in "$NS_A" $cmd
		[ "$status" -eq 1 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"refusing pin root"*"uid 65534"* ]]
	done
	[ -e "$victim/one" ] && [ -e "$victim/two" ]
	# The same with the pin root made by root and a symlink planted by root's mistake.
	rm -rf "$NETPROBE_PIN_ROOT"
	mkdir -m 700 "$NETPROBE_PIN_ROOT"
	ln -s "$victim" "$NETPROBE_PIN_ROOT/maps"
	run np_in "$NS_A" detach all
	[ "$status" -eq 1 ]
	[[ "$output" == *"maps is a symlink"* ]]
	[ -e "$victim/one" ] && [ -e "$victim/two" ]
}

@test "a pin root or ancestor that other users may write is refused" {
	mkdir -m 700 "$NETPROBE_PIN_ROOT"
	chmod 777 "$NETPROBE_PIN_ROOT"
	run np_in "$NS_A" attach a0
	[ "$status" -eq 1 ]
	[[ "$output" == *"refusing"*"writable by group or others"* ]]
	chmod 700 "$NETPROBE_PIN_ROOT"
	np_in "$NS_A" attach a0 >/dev/null
	chmod 777 "$NETPROBE_PIN_ROOT/links"
	run np_in "$NS_A" -j show stats
	[ "$status" -eq 1 ]
	[[ "$(jq -r .error <<<"$output")" == *"links is writable"* ]]
	chmod 700 "$NETPROBE_PIN_ROOT/links"
	# A bpffs mounted by hand is 1777 (sticky: fine); 0777 is not.
	chmod 0777 "$NP_BPFFS"
	run np_in "$NS_A" show stats
	[ "$status" -eq 1 ]
	[[ "$output" == *"$NP_BPFFS is writable by other users"* ]]
	chmod 1777 "$NP_BPFFS"
	np_in "$NS_A" show stats >/dev/null
}

@test "parallel writers with gc in between: every command lands or says busy, no corrupt state, no leak" {
	local round pids rcs i busy=0 ok=0
	export NETPROBE_LOCK_WAIT=20
	for round in $(seq 1 15); do
		np_in "$NS_A" attach c0 >/dev/null
		remember_progs
		# detach all empties the pin root (gc) while the others wait for the lock.
		np_in "$NS_A" -q detach all >"$BATS_TEST_TMPDIR/o0" 2>&1 & pids=($!)
		sleep 0.005
		np_in "$NS_A" -q attach c1 tc-mode clsact >"$BATS_TEST_TMPDIR/o1" 2>&1 & pids+=($!)
		np_in "$NS_A" -q attach c0 >"$BATS_TEST_TMPDIR/o2" 2>&1 & pids+=($!)
		np_in "$NS_A" -q detach c1 >"$BATS_TEST_TMPDIR/o3" 2>&1 & pids+=($!)
		np_in "$NS_A" -q attach c1 security >"$BATS_TEST_TMPDIR/o4" 2>&1 & pids+=($!)
		for i in "${!pids[@]}"; do
			if wait "${pids[$i]}"; then
				ok=$((ok + 1))
			elif grep -q "busy" "$BATS_TEST_TMPDIR/o$i"; then
				busy=$((busy + 1))
			else
				echo "round $round, command $i failed:" >&2
				cat "$BATS_TEST_TMPDIR/o$i" >&2
				return 1
			fi
		done
		remember_progs
		consistent
		np_in "$NS_A" -q detach all >/dev/null
		np_root_empty
	done
	echo "# $ok commands succeeded, $busy said busy" >&3
	no_leaks
}

# The syscalls where a crash can leave something behind.
CRASH_CALLS=bpf,sendto,sendmsg,rename,unlink,mkdir,rmdir

# LeakSanitizer stops threads with ptrace, which strace holds: no leak check there.
NO_LSAN="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# syscalls CMD...: how many of CRASH_CALLS netprobe CMD makes.
syscalls() {
	ASAN_OPTIONS="$NO_LSAN" strace -f -qq -o "$BATS_TEST_TMPDIR/st" -e trace=$CRASH_CALLS nsenter --net="/run/netns/$NS_A" "$NP" -q "$@" >/dev/null 2>&1
	grep -c . "$BATS_TEST_TMPDIR/st"
}

# points FROM: "syscall k" for each call of the last trace from line FROM on
# that changes something (a crash before a read-only call leaves the state
# a crash before the next change does): the k-th call of that syscall, as
# strace counts injections per syscall.
points() {
	awk -v from="$1" '{ sub(/^[0-9]+ +/, ""); name = $0; sub(/\(.*/, "", name); k[name]++ }
		NR < from || name !~ /^[a-z]+$/ { next }
		/= -1 (EEXIST|ENOENT)/ { next }
		name == "bpf" && !/BPF_(OBJ_PIN|MAP_UPDATE_ELEM|MAP_DELETE_ELEM|LINK_CREATE|LINK_DETACH|PROG_ATTACH|PROG_DETACH)/ { next }
		{ print name, k[name] }' "$BATS_TEST_TMPDIR/st"
}

# killed_at SYSCALL K CMD...: netprobe CMD, killed with SIGKILL on entry to
# its K-th call of SYSCALL.
killed_at() {
	local call="$1" k="$2"
	shift 2
	# Through sh, so that no shell reports the kill on the test's stderr.
	ASAN_OPTIONS="$NO_LSAN" sh -c 'strace "$@" || :' sh -f -qq -o /dev/null -e trace="$call" \
		-e inject="$call":signal=KILL:when="$k" \
		nsenter --net="/run/netns/$NS_A" "$NP" -q "$@" >/dev/null 2>&1
}

# crash_loop MODE-ARGS...: kill -9 attach on entry to each of its syscalls from
# the last program load on (where hooks, qdiscs, pins and records are made),
# and detach at each of its syscalls; after each crash, one detach must find
# and remove everything.
crash_loop() {
	local first call k n=0
	syscalls attach c0 "$@" >/dev/null
	first=$(grep -n 'BPF_PROG_LOAD' "$BATS_TEST_TMPDIR/st" | tail -1 | cut -d: -f1)
	np_in "$NS_A" -q detach c0 >/dev/null
	while read -r call k; do
		n=$((n + 1))
		killed_at "$call" "$k" attach c0 "$@"
		remember_progs
		run np_in "$NS_A" detach c0
		[ "$status" -eq 0 ] || { echo "attach killed at $call #$k: $output" >&2; return 1; }
		no_leaks || { echo "attach killed at $call #$k leaked" >&2; return 1; }
		np_root_empty || { echo "attach killed at $call #$k: pins left: $(find "$NETPROBE_PIN_ROOT")" >&2; return 1; }
	done < <(points $((first + 1)))
	echo "# attach killed at $n points" >&3
	np_in "$NS_A" -q attach c0 "$@" >/dev/null
	syscalls detach c0 >/dev/null
	n=0
	while read -r call k; do
		n=$((n + 1))
		np_in "$NS_A" -q attach c0 "$@" >/dev/null
		remember_progs
		killed_at "$call" "$k" detach c0
		run np_in "$NS_A" detach c0
		[ "$status" -eq 0 ] || { echo "detach killed at $call #$k: $output" >&2; return 1; }
		no_leaks || { echo "detach killed at $call #$k leaked" >&2; return 1; }
		np_root_empty || { echo "detach killed at $call #$k: pins left" >&2; return 1; }
	done < <(points 1)
	echo "# detach killed at $n points" >&3
}

@test "kill -9 during attach and detach (TCX): detach finds and removes everything, at every change" {
	skip_unless_cmd strace
	[ "${NP_VALGRIND:-0}" = 1 ] && skip "strace would count valgrind's system calls"
	crash_loop
}

@test "kill -9 during attach and detach (clsact): no filter or qdisc is leaked, at every change" {
	skip_unless_cmd strace
	[ "${NP_VALGRIND:-0}" = 1 ] && skip "strace would count valgrind's system calls"
	crash_loop tc-mode clsact
}

# links_of PROG-IDS-JSON: how many links the kernel has for these programs.
links_of() {
	bpftool -j link show | jq --argjson p "$1" '[.[] | select(.prog_id as $i | $p | index($i))] | length'
}

@test "clsact and TCX hooks on one device: counted once, detach removes both kinds" {
	# Another device keeps the maps alive meanwhile.
	np_in "$NS_A" attach c1 >/dev/null
	np_in "$NS_A" attach a0 tc-mode clsact >/dev/null
	run np_in "$NS_A" -j attach a0 security tc-mode tcx
	[ "$status" -eq 0 ]
	run np_in "$NS_A" -j status
	[ "$(jq -r '[.attachments[] | select(.interface == "a0") | "\(.hook)=\(.mode)"] | sort | join(" ")' <<<"$output")" = \
	  "security_ingress=tcx tc_egress=clsact tc_ingress=clsact" ]
	local progs
	progs=$(jq -c '[.attachments[] | select(.interface == "a0") | .prog_id]' <<<"$output")
	np_in "$NS_A" detach a0 >/dev/null
	[ -z "$(in_ns "$NS_A" tc filter show dev a0 ingress)" ]
	[ -z "$(in_ns "$NS_A" tc filter show dev a0 egress)" ]
	! in_ns "$NS_A" tc qdisc show dev a0 | grep -q clsact
	[ "$(links_of "$progs")" -eq 0 ]
	# Again: clsact, then the security hook follows the device's mode when none is asked for.
	run np_in "$NS_A" attach a0 tc-mode clsact
	[ "$status" -eq 0 ]
	np_in "$NS_A" attach a0 security >/dev/null
	[ "$(np_in "$NS_A" -j status | jq -r '.attachments[] | select(.hook == "security_ingress") | .mode')" = clsact ]
	# Asking for the other mode on a live hook is refused, not ignored.
	run np_in "$NS_A" attach a0 tc-mode tcx
	[ "$status" -eq 1 ]
	[[ "$output" == *"tc_ingress is attached with clsact"* ]]
	np_in "$NS_A" detach a0 security >/dev/null
	np_in "$NS_A" attach a0 security tc-mode tcx >/dev/null
	# Mixed, and the counts are the kernel's: each packet once.
	local rx0 np0
	rx0=$(dev_counter "$NS_A" a0 rx packets)
	np0=$(np_in "$NS_A" -j show stats dev a0 | jq '.[0].rx_packets')
	in_ns "$NS_A" ping -c 10 -i 0.01 -q 10.77.0.2 >/dev/null
	[ $(( $(np_in "$NS_A" -j show stats dev a0 | jq '.[0].rx_packets') - np0 )) -eq \
	  $(( $(dev_counter "$NS_A" a0 rx packets) - rx0 )) ]
	progs=$(np_in "$NS_A" -j status | jq -c '[.attachments[] | select(.interface == "a0") | .prog_id]')
	np_in "$NS_A" detach a0 >/dev/null
	[ -z "$(in_ns "$NS_A" tc filter show dev a0 ingress)" ]
	! in_ns "$NS_A" tc qdisc show dev a0 | grep -q clsact
	[ "$(links_of "$progs")" -eq 0 ]
}

@test "a renamed device keeps its hooks: status says so, attach under the new name adds nothing" {
	np_in "$NS_A" attach a0 >/dev/null
	ip -n "$NS_A" link set a0 name a9
	run np_in "$NS_A" -j status
	[ "$(jq -r '[.attachments[].state] | unique | .[]' <<<"$output")" = renamed ]
	[ "$(jq -r '[.attachments[].current_name] | unique | .[]' <<<"$output")" = a9 ]
	# Readers show the name the device has now.
	[ "$(np_in "$NS_A" -j show stats | jq -r '[.[].interface] | join(" ")')" = a9 ]
	run --separate-stderr np_in "$NS_A" -j attach a9
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"a0 was renamed to a9"* ]]
	[ "$(jq -r '[.[].state] | unique | .[]' <<<"$output")" = unchanged ]
	# bpftool 7.1 lists TCX links without their device: two links of our programs.
	local progs
	progs=$(jq -c '[.[].prog_id]' <<<"$output")
	[ "$(links_of "$progs")" -eq 2 ]
	local rx0 np0
	rx0=$(dev_counter "$NS_A" a9 rx packets)
	np0=$(np_in "$NS_A" -j show stats | jq '.[] | select(.interface == "a9") | .rx_packets')
	in_ns "$NS_A" ping -c 10 -i 0.01 -q 10.77.0.2 >/dev/null
	[ $(( $(np_in "$NS_A" -j show stats | jq '.[] | select(.interface == "a9") | .rx_packets') - np0 )) -eq \
	  $(( $(dev_counter "$NS_A" a9 rx packets) - rx0 )) ]
	[ "$(np_in "$NS_A" -j status | jq -r '[.attachments[] | "\(.interface) \(.state)"] | unique | .[]')" = "a9 ok" ]
	np_in "$NS_A" detach a9 >/dev/null
	np_root_empty
}

@test "a device moved to another netns is reported; a new device with its ifindex starts clean" {
	np_in "$NS_A" attach c0 >/dev/null
	local idx
	idx=$(ip -n "$NS_A" -j link show c0 | jq '.[0].ifindex')
	in_ns "$NS_A" ping -c 3 -i 0.01 -q -I c0 10.255.255.1 >/dev/null 2>&1 || true
	local moved
	moved=$(np_in "$NS_A" -j status | jq -c '[.attachments[].prog_id]')
	ip -n "$NS_A" link set c0 netns "$NS_B"
	run np_in "$NS_A" -j status
	[ "$(jq -r '[.attachments[].state] | unique | .[]' <<<"$output")" = moved ]
	# A new device takes the ifindex the moved one had.
	ip link add d0 index "$idx" netns "$NS_A" type veth peer name d1 netns "$NS_A"
	ip netns exec "$NS_A" sysctl -qw net.ipv6.conf.d0.disable_ipv6=1 net.ipv6.conf.d1.disable_ipv6=1
	ip -n "$NS_A" addr add 10.78.0.1/24 dev d0
	ip -n "$NS_A" link set d0 up
	ip -n "$NS_A" link set d1 up
	[ "$(ip -n "$NS_A" -j link show d0 | jq '.[0].ifindex')" -eq "$idx" ]
	run --separate-stderr np_in "$NS_A" -j attach d0
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"c0 moved to another network namespace"* ]]
	# The moved device's hooks are gone there, and d0 counts only its own packets.
	[ "$(links_of "$moved")" -eq 0 ]
	in_ns "$NS_A" ping -c 5 -i 0.01 -q -I d0 10.78.0.2 >/dev/null 2>&1 || true
	[ "$(np_in "$NS_A" -j show stats | jq -r '[.[].interface] | join(" ")')" = d0 ]
	[ "$(np_in "$NS_A" -j show stats dev d0 | jq '.[0].tx_packets')" -eq "$(dev_counter "$NS_A" d0 tx packets)" ]
	[ "$(np_in "$NS_A" -j show stats dev d0 | jq '.[0].rx_packets')" -eq "$(dev_counter "$NS_A" d0 rx packets)" ]
	np_in "$NS_A" detach all >/dev/null
	np_root_empty
}

@test "detach all from another netns never touches that netns' devices with the same ifindex" {
	np_in "$NS_A" attach a0 tc-mode clsact >/dev/null
	local idx
	idx=$(ip -n "$NS_A" -j link show a0 | jq '.[0].ifindex')
	# In NS_B a device of the same ifindex with a clsact qdisc of its own.
	local e0
	e0=$(ip -n "$NS_B" -j link show | jq -r --argjson i "$idx" '.[] | select(.ifindex == $i) | .ifname')
	if [ -z "$e0" ]; then
		e0=e0
		ip link add e0 index "$idx" netns "$NS_B" type veth peer name e1 netns "$NS_B"
	fi
	in_ns "$NS_B" tc qdisc add dev "$e0" clsact
	run np_in "$NS_B" detach all
	[ "$status" -eq 1 ]
	[[ "$output" == *"network namespace"*"run 'netprobe detach a0' there"* ]]
	in_ns "$NS_B" tc qdisc show dev "$e0" | grep -q clsact
	in_ns "$NS_A" tc filter show dev a0 ingress | grep -q np_tc_ingress
	np_in "$NS_A" detach all >/dev/null
	np_root_empty
	# TCX links are the kernel's objects: they can be detached from anywhere.
	local progs
	progs=$(np_in "$NS_A" -j attach a0 | jq -c '[.[].prog_id]')
	run np_in "$NS_B" detach all
	[ "$status" -eq 0 ]
	[ "$(links_of "$progs")" -eq 0 ]
	in_ns "$NS_B" tc qdisc show dev "$e0" | grep -q clsact
}

@test "a probe keyword repeated 41 times attaches each probe once" {
	run np_in "$NS_A" -j attach a0 $(printf 'tc %.0s' $(seq 41))
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" -eq 2 ]
	run np_in "$NS_A" -j attach a0 $(printf 'all %.0s' $(seq 41)) $(printf 'security %.0s' $(seq 41))
	[ "$status" -eq 0 ]
	[ "$(np_in "$NS_A" -j status | jq '.attachments | length')" -eq 5 ]
}

@test "readers never change the pins: show and status leave tmp pins to the writers" {
	np_in "$NS_A" attach a0 >/dev/null
	# A pin in the making (as a concurrent attach would have it).
	local id
	id=$(bpftool -j map show pinned "$NETPROBE_PIN_ROOT/maps/np_meta" | jq .id)
	bpftool map pin id "$id" "$NETPROBE_PIN_ROOT/maps/tmp-np_inflight"
	np_in "$NS_A" show netfilter >/dev/null 2>&1 || true
	np_in "$NS_A" status >/dev/null
	np_in "$NS_A" show stats >/dev/null
	[ -e "$NETPROBE_PIN_ROOT/maps/tmp-np_inflight" ]
	# gc leaves pins it did not make.
	bpftool map pin id "$id" "$NETPROBE_PIN_ROOT/maps/othertool"
	np_in "$NS_A" detach all >/dev/null
	[ -e "$NETPROBE_PIN_ROOT/maps/othertool" ]
	[ ! -e "$NETPROBE_PIN_ROOT/maps/tmp-np_inflight" ]
	rm "$NETPROBE_PIN_ROOT/maps/othertool"
}

@test "an np_meta of another size is named as such, not as layout 0" {
	mkdir -p -m 700 "$NETPROBE_PIN_ROOT/maps"
	bpftool map create "$NETPROBE_PIN_ROOT/maps/np_meta" type array key 4 value 8 entries 1 name np_meta
	run np_in "$NS_A" status
	[ "$status" -eq 1 ]
	[[ "$output" == *"np_meta is not netprobe's (value size 8"* ]]
	np_in "$NS_A" detach all >/dev/null
	np_root_empty
}

@test "set security works on a config map that was never written (attach killed at config init)" {
	np_in "$NS_A" attach a0 security >/dev/null
	# A zeroed struct np_sec_config, whatever its size.
	bpftool map update pinned "$NETPROBE_PIN_ROOT/maps/np_security_config" key 0 0 0 0 \
		value $(printf '0 %.0s' $(seq "$(bpftool -j map show pinned \
			"$NETPROBE_PIN_ROOT/maps/np_security_config" | jq .bytes_value)"))
	run np_in "$NS_A" -j set security syn-rate 200
	[ "$status" -eq 0 ]
	[ "$(jq .syn_rate <<<"$output")" -eq 200 ]
}
