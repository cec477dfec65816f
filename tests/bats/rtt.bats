#!/usr/bin/env bats
# TCP handshake latency (issue 15) against independent oracles: tshark's
# tcp.analysis.initial_rtt of a crafted capture (tests/data/rtt) that
# tcpreplay sends with the file's own timing into b0, where netprobe
# watches; and real connections between the test's namespaces.

load helpers

HS="$NP_DATA/rtt/handshakes.pcap"
# How far a replayed handshake may be from the file's: tcpreplay sends each
# packet at its own time after the start, so a handshake's error is the
# difference of two packets' send delays. Measured on this 2-vCPU VM at a
# load average of 6 (other engineers' builds), 8 handshakes x 2 replays:
# plain tcpreplay was up to 31 ms late (preempted while it waits); with
# real-time priority (chrt -f) and nanosleep (-T nano), as replay() runs it,
# at most 0.85 ms, netprobe always a little later than the file (0.1-0.2 ms:
# tcpreplay's own time per packet). 2 ms leaves room, and is far below the
# distance of every value from its bucket bounds (checked below).
TOL_US=2000
# The histogram's bounds as the man page gives them (seconds).
LE="0.0001 0.00025 0.0005 0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10"

setup() {
	skip_unless_cmd tshark tcpreplay socat promtool chrt
	np_setup_root
	np_veth_pair
	ROOT_B=""
}

teardown() {
	if [ -n "$ROOT_B" ]; then
		np_b -q detach all >/dev/null 2>&1 || true
		umount "$ROOT_B" 2>/dev/null || umount -l "$ROOT_B" 2>/dev/null || true
		rmdir "$ROOT_B" 2>/dev/null || true
	fi
	np_teardown
}

# replay FILE: send FILE out of a0 at its own timing, with real-time
# priority and nanosleep between packets (see TOL_US).
replay() {
	in_ns "$NS_A" chrt -f 20 tcpreplay -T nano -q -i a0 "$1" >/dev/null 2>&1
}

# A pin root serves one network namespace: NS_B's own, on a bpffs of its own.
root_b() {
	ROOT_B="/run/netprobe-test-$NP_SUFFIX-b"
	mkdir -p "$ROOT_B"
	mount -t bpf bpffs "$ROOT_B"
}
np_b() {
	NETPROBE_PIN_ROOT="$ROOT_B/netprobe" np_in "$NS_B" "$@"
}

# tshark_irtt FILE: "client sport irtt_us" per handshake: tshark's initial
# rtt, taken from the first segment with ACK alone in each stream (the
# handshake's ACK). A refused SYN has an initial_rtt in tshark's eyes too
# (to the RST), but no such segment.
tshark_irtt() {
	tshark -r "$1" -n -Y 'tcp.flags == 0x010 && tcp.analysis.initial_rtt' -T fields \
		-e tcp.stream -e ip.src -e ipv6.src -e tcp.srcport -e tcp.analysis.initial_rtt \
		2>/dev/null | awk -F'\t' '!seen[$1]++ {
			printf "%s %s %.0f\n", ($2 != "" ? $2 : $3), $4, $5 * 1e6 }' | sort
}

# np_rtt NS [ARGS...]: "src sport rtt_us" of the flows of b0 with a handshake.
np_rtt() {
	local ns="$1"
	shift
	np_in "$ns" -j show flows dev b0 "$@" |
		jq -r '.[] | select(.rtt_us != null) | "\(.src) \(.sport) \(.rtt_us)"' | sort
}

# within_tol ORACLE NETPROBE: same flows, each rtt within TOL_US; prints the
# largest difference to fd 3.
within_tol() {
	diff <(cut -d' ' -f1,2 <<<"$1") <(cut -d' ' -f1,2 <<<"$2") || return 1
	paste -d' ' <(cut -d' ' -f3 <<<"$1") <(cut -d' ' -f3 <<<"$2") |
		awk -v tol="$TOL_US" '{ d = $2 - $1; d = d < 0 ? -d : d; if (d > m) m = d
			if (d > tol) bad++ }
			END { printf "# largest |netprobe - tshark|: %d us\n", m > "/dev/fd/3"
			      exit bad > 0 }'
}

# expected_buckets ORACLE: "le cumulative" of the oracle's rtts, as Prometheus counts.
expected_buckets() {
	awk -v le="$LE" 'BEGIN { n = split(le, b, " ") }
		{ for (i = 1; i <= n; i++) if ($3 <= b[i] * 1e6) c[i]++; all++ }
		END { for (i = 1; i <= n; i++) printf "%s %d\n", b[i], c[i]; printf "+Inf %d\n", all }'
}

@test "replayed handshakes: rtt_us is tshark's initial_rtt, the histogram counts them exactly" {
	local oracle got prom
	oracle=$(tshark_irtt "$HS")
	[ "$(wc -l <<<"$oracle")" -eq 8 ]
	# No oracle value is within the tolerance of a bucket bound: exact counts.
	awk -v le="$LE" -v tol="$TOL_US" 'BEGIN { n = split(le, b, " ") }
		{ for (i = 1; i <= n; i++) { d = $3 - b[i] * 1e6; if (d < tol && d > -tol) exit 1 } }' \
		<<<"$oracle"
	for hook in tc xdp; do
		# A replay the machine delayed (a packet more than TOL_US late: about
		# one replay in three here under load, by 15-60 ms) is made again on
		# fresh pins, up to 6 times; netprobe must then agree within TOL_US.
		for try in 1 2 3 4 5 6; do
			np_in "$NS_B" -q detach all
			if [ "$hook" = xdp ]; then
				np_in "$NS_B" attach b0 xdp >/dev/null 2>&1
			else
				np_in "$NS_B" attach b0 >/dev/null
			fi
			replay "$HS"
			got=$(np_rtt "$NS_B")
			echo "# $hook, replay $try" >&3
			! within_tol "$oracle" "$got" || break
		done
		within_tol "$oracle" "$got"
		# Only the clients' flows have one; the halves add up.
		np_in "$NS_B" -j show flows dev b0 | jq -e '
			all(.[]; if .rtt_us == null then .rtt_synack_us == null and .rtt_ack_us == null
				 else .rtt_us == .rtt_synack_us + .rtt_ack_us and .dport == 80 end)'
		# The refused SYN, the connection without its start, UDP: null.
		np_in "$NS_B" -j show flows dev b0 | jq -e '[.[] | select(.src == "192.0.2.30" or
			.src == "192.0.2.31" or .proto == "udp") | .rtt_us] |
			length == 4 and all(. == null)'
		# The biggest first.
		[ "$(np_in "$NS_B" -j show flows sort rtt top 1 | jq -r '.[0].src')" = 192.0.2.14 ]
		# The histogram: tshark's values per bucket, exactly; promtool accepts it.
		prom=$(np_in "$NS_B" --prom show stats | np_prom_plain)
		promtool check metrics <<<"$prom"
		diff <(expected_buckets <<<"$oracle") <(sed -nE \
			's/^netprobe_tcp_handshake_seconds_bucket\{interface="b0",le="([^"]+)"\} ([0-9]+)$/\1 \2/p' \
			<<<"$prom")
		grep -qx 'netprobe_tcp_handshake_seconds_count{interface="b0"} 8' <<<"$prom"
		# The sum: tshark's, within the tolerance per handshake.
		awk -v tol="$TOL_US" -v s="$(sed -nE 's/^netprobe_tcp_handshake_seconds_sum\{interface="b0"\} //p' <<<"$prom")" \
			'{ t += $3 } END { d = s * 1e6 - t; exit !(d < 8 * tol && d > -8 * tol) }' <<<"$oracle"
	done
	# Plain text has the column.
	np_in "$NS_B" show flows | grep -q '^INTERFACE.*FLAGS *RTT(us)'
}

@test "a replay at top speed counts each handshake once, and flush stats zeroes the histogram" {
	np_in "$NS_B" attach b0 xdp >/dev/null 2>&1
	np_in "$NS_B" attach b0 tc >/dev/null
	pcap_replay "$NS_A" a0 "$HS"
	# XDP and TC both saw every handshake: each flow has its rtt, the device counts 8.
	[ "$(np_rtt "$NS_B" hook xdp | wc -l)" -eq 8 ]
	[ "$(np_rtt "$NS_B" hook tc | wc -l)" -eq 8 ]
	np_in "$NS_B" --prom show stats | np_prom_plain |
		grep -qx 'netprobe_tcp_handshake_seconds_count{interface="b0"} 8'
	np_in "$NS_B" flush stats dev b0 >/dev/null
	np_in "$NS_B" --prom show stats | np_prom_plain |
		grep -qx 'netprobe_tcp_handshake_seconds_count{interface="b0"} 0'
}

@test "real connections: rtt_us for completed handshakes, null for UDP, refused and older ones" {
	local port old closed i
	port=$(np_free_port "$NS_B" tcp)
	old=$(np_free_port "$NS_B" tcp)
	while [ "$old" = "$port" ]; do old=$(np_free_port "$NS_B" tcp); done
	closed=$(np_free_port "$NS_B" tcp)
	while [ "$closed" = "$port" ] || [ "$closed" = "$old" ]; do
		closed=$(np_free_port "$NS_B" tcp)
	done
	np_bg "$BATS_TEST_TMPDIR/srv" in_ns "$NS_B" socat TCP-LISTEN:"$port",fork,reuseaddr SYSTEM:'echo hi'
	np_bg "$BATS_TEST_TMPDIR/old-srv" in_ns "$NS_B" socat TCP-LISTEN:"$old",reuseaddr \
		SYSTEM:'while sleep 0.1; do echo x; done'
	np_wait_for 10 eval "[ -n \"\$(in_ns $NS_B ss -Hltn 'sport = :$old')\" ]"
	np_wait_for 10 eval "[ -n \"\$(in_ns $NS_B ss -Hltn 'sport = :$port')\" ]"
	# A connection that began before netprobe was there.
	np_bg "$BATS_TEST_TMPDIR/old-cli" in_ns "$NS_A" socat -u TCP:10.77.0.2:"$old" /dev/null
	np_wait_for 10 eval "[ -n \"\$(in_ns $NS_A ss -Htn 'dport = :$old')\" ]"
	root_b
	np_in "$NS_A" attach a0 >/dev/null
	np_b attach b0 >/dev/null
	for i in 1 2 3; do
		[ "$(in_ns "$NS_A" socat -u TCP:10.77.0.2:"$port" -)" = hi ]
	done
	run in_ns "$NS_A" socat -u TCP:10.77.0.2:"$closed" - </dev/null
	[ "$status" -ne 0 ]
	in_ns "$NS_A" socat -u - UDP:10.77.0.2:"$closed" <<<"datagram"
	sleep 0.5
	local flows
	flows=$(np_in "$NS_A" -j show flows; np_b -j show flows)
	flows=$(jq -s 'add' <<<"$flows")
	# Three handshakes seen from each end: at a0 (SYN out, SYN-ACK in, ACK out)
	# and at b0 (SYN in, SYN-ACK out, ACK in), in the clients' flows.
	for dev in a0 b0; do
		jq -e --arg d "$dev" --argjson p "$port" '[.[] | select(.interface == $d and
			.dport == $p and .proto == "tcp")] | length == 3 and
			all(.rtt_us > 0 and .rtt_us < 1000000 and .rtt_us == .rtt_synack_us + .rtt_ack_us)' \
			<<<"$flows"
		# The servers' flows, the refused SYN, the UDP datagram and the
		# connection older than netprobe: none.
		jq -e --arg d "$dev" --argjson p "$port" --argjson o "$old" --argjson c "$closed" \
			'[.[] | select(.interface == $d and (.sport == $p or .dport == $o or
			 .sport == $o or .dport == $c))] | length >= 7 and all(.rtt_us == null)' \
			<<<"$flows"
	done
	# Prometheus: the handshakes per device.
	np_in "$NS_A" --prom show stats | np_prom_plain |
		grep -qx 'netprobe_tcp_handshake_seconds_count{interface="a0"} 3'
	np_b --prom show stats | np_prom_plain |
		grep -qx 'netprobe_tcp_handshake_seconds_count{interface="b0"} 3'
}
