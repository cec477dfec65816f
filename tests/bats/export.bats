#!/usr/bin/env bats
# export ipfix against a real collector: nfdump's nfcapd receives the IPFIX
# messages, nfdump decodes them, and what it shows must be what
# `netprobe -j show flows` shows, summed over the exports.

load helpers

setup() {
	np_setup_root
	np_veth_pair
	NFDIR="$BATS_TEST_TMPDIR/nfcapd"
	mkdir -p "$NFDIR"
}

teardown() {
	np_teardown
}

# v6_quiet NS DEV ADDR: an IPv6 address on DEV that sends nothing by itself
# (no link-local address, no DAD, no router solicitation), MLD reports
# done before the test looks.
v6_quiet() {
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.accept_dad=0" \
		"net.ipv6.conf.$2.router_solicitations=0" "net.ipv6.conf.$2.disable_ipv6=0"
	ip -n "$1" link set "$2" addrgenmode none
	ip -n "$1" addr add "$3/64" dev "$2" nodad
}

# ms: "2026-12-01T15:19:45.720..." (UTC) as milliseconds since the epoch.
JQ_MS='def ms: (.[0:19] + "Z" | fromdateiso8601) * 1000 + (.[20:23] | tonumber);'

# nfcapd_start: the collector in namespace B, on a UDP port of its loopback.
nfcapd_start() {
	skip_unless_cmd nfcapd nfdump
	NFPORT=$(np_free_port "$NS_B" udp)
	# One file an hour: the test never sees a rotation; stopping it closes the file.
	np_bg "$BATS_TEST_TMPDIR/nfcapd.log" nsenter --net="/run/netns/$NS_B" nfcapd -b 127.0.0.1 -p "$NFPORT" \
		-w "$NFDIR" -t 3600
	NFPID=$NP_BG_PID
	np_wait_for 10 grep -q "Startup" "$BATS_TEST_TMPDIR/nfcapd.log"
}

# nfcapd_flows: stop the collector (it writes its file out) and print what
# nfdump read, one record per line as
# "src dst sport dport proto in out packets bytes first_ms last_ms".
nfcapd_flows() {
	np_stop "$NFPID"
	TZ=UTC nfdump -R "$NFDIR" -o json | jq -r "$JQ_MS"'.[] |
		[(.src4_addr // .src6_addr), (.dst4_addr // .dst6_addr),
		 (.src_port // .icmp_type // 0), (.dst_port // .icmp_code // 0), .proto,
		 .input_snmp, .output_snmp, .in_packets, .in_bytes, (.first | ms), (.last | ms)]
		| join(" ")'
}

# flows_lines: netprobe -j show flows as "key packets bytes first last" lines, the
# key as nfdump's (the hook's direction is the interface's side).
flows_lines() {
	jq -r "$JQ_MS"'.[] | [.src, .dst, .sport, .dport, .proto_number,
		(if .direction == "egress" then 0 else .ifindex end),
		(if .direction == "egress" then .ifindex else 0 end),
		.packets, .bytes, (.first_seen | ms), (.last_seen | ms)] | join(" ")'
}

# sum_by_key: "key... packets bytes first last" lines summed per key, with the
# earliest first and the latest last; the number of records is the last field.
sum_by_key() {
	awk '{ k = $1; for (i = 2; i <= 7; i++) k = k " " $i
	       p[k] += $8; b[k] += $9; n[k]++
	       if (!(k in f) || $10 < f[k]) f[k] = $10
	       if (!(k in l) || $11 > l[k]) l[k] = $11 }
	     END { for (k in p) print k, p[k], b[k], f[k], l[k], n[k] }' | sort
}

send_traffic() {
	in_ns "$NS_A" ping -c "$1" -i 0.01 -q 10.77.0.2 >/dev/null
	in_ns "$NS_A" ping -6 -c "$1" -i 0.01 -q fd77::2 >/dev/null
	# One UDP flow over both rounds (the same source port), a TCP connection each.
	for i in $(seq "$1"); do
		echo "datagram $i" | in_ns "$NS_A" socat -u - UDP:10.77.0.2:7001,sourceport=40001
	done
	head -c $((20000 * $1)) /dev/zero | in_ns "$NS_A" socat -u - TCP:10.77.0.2:7002
}

@test "export ipfix: nfcapd gets the flows of show flows, exactly, over two exports" {
	v6_quiet "$NS_A" a0 fd77::1
	v6_quiet "$NS_B" b0 fd77::2
	sleep 1.5	# the MLD reports of the new addresses
	nfcapd_start
	np_in "$NS_B" attach b0 >/dev/null
	np_bg "$BATS_TEST_TMPDIR/tcp-sink.log" nsenter --net="/run/netns/$NS_B" socat -u TCP-LISTEN:7002,fork,reuseaddr \
		OPEN:/dev/null
	np_wait_for 10 bash -c "[ -n \"\$(nsenter --net=/run/netns/$NS_B ss -Hltn 'sport = :7002')\" ]"
	send_traffic 3
	run np_in "$NS_B" -j export ipfix "127.0.0.1:$NFPORT"
	[ "$status" -eq 0 ]
	local first="$output" second third
	[ "$(jq '.records' <<<"$first")" -gt 0 ]
	[ "$(jq -r '.collector' <<<"$first")" = "127.0.0.1:$NFPORT" ]
	send_traffic 2
	second=$(np_in "$NS_B" -j export ipfix "127.0.0.1:$NFPORT")
	np_stop "$NP_BG_PID"
	local flows
	flows=$(np_in "$NS_B" -j show flows)
	# Nothing moved since: a third export sends no record.
	third=$(np_in "$NS_B" -j export ipfix "127.0.0.1:$NFPORT")
	[ "$(jq '.records' <<<"$third")" -eq 0 ]
	local got want
	got=$(nfcapd_flows | sum_by_key)
	want=$(flows_lines <<<"$flows" | sum_by_key)
	echo "# nfdump: $(wc -l <<<"$got") flows; netprobe: $(jq length <<<"$flows")" >&3
	diff <(cut -d' ' -f1-9 <<<"$want") <(cut -d' ' -f1-9 <<<"$got")
	# Times: the records span what the flow table saw, to the millisecond (each
	# process converts monotonic to wall-clock time itself: 1 ms apart at most).
	paste -d' ' <(cut -d' ' -f10-11 <<<"$want") <(cut -d' ' -f10-11 <<<"$got") |
		awk '{ d1 = $1 - $3; d2 = $2 - $4; if (d1 > 1 || d1 < -1 || d2 > 1 || d2 < -1) bad++ }
		     END { exit bad > 0 }' 
	# The second export sent deltas: flows of both rounds came in two records.
	[ "$(grep -c ' 2$' <<<"$got")" -ge 4 ]
	grep -q '^10.77.0.1 10.77.0.2 40001 7001 17 ' <<<"$got"
	grep -q '^fd77::1 fd77::2 128 0 58 ' <<<"$got"
	# The report: what went, in how many messages, the sums of the records.
	local sent_p sent_b
	sent_p=$(jq -s 'map(.packets) | add' <<<"$first $second $third")
	sent_b=$(jq -s 'map(.bytes) | add' <<<"$first $second $third")
	[ "$sent_p" -eq "$(jq 'map(.packets) | add' <<<"$flows")" ]
	[ "$sent_b" -eq "$(jq 'map(.bytes) | add' <<<"$flows")" ]
	[ "$(jq '.sequence' <<<"$third")" -eq \
	  "$(( $(jq '.records' <<<"$first") + $(jq '.records' <<<"$second") ))" ]
	[ "$(jq -r '[.templates[].id] | join(",")' <<<"$third")" = "256,257,258,259" ]
	echo "# exports: $(jq -c '{records, packets, bytes, messages}' <<<"$first") then" \
		"$(jq -c '{records, packets, bytes, messages}' <<<"$second")" >&3
	# nfcapd took every record and saw no sequence gap: the numbers go on from
	# one export (one process, one UDP source port) to the next.
	local records=$(( $(jq '.records' <<<"$first") + $(jq '.records' <<<"$second") ))
	grep -q "Flows: $records, .*Sequence Errors: 0, Bad Packets: 0" "$BATS_TEST_TMPDIR/nfcapd.log"
}

@test "export ipfix: a collector that refuses records nothing as exported" {
	nfcapd_start
	np_in "$NS_B" attach b0 >/dev/null
	in_ns "$NS_A" ping -c 4 -i 0.01 -q 10.77.0.2 >/dev/null
	local closed
	closed=$(np_free_port "$NS_B" udp)
	run np_in "$NS_B" export ipfix "127.0.0.1:$closed"
	[ "$status" -eq 1 ]
	[[ "$output" == "Error: export ipfix: sending to 127.0.0.1:$closed: Connection refused"* ]]
	run np_in "$NS_B" -j export ipfix "127.0.0.1:$closed" proto tcp
	[ "$status" -eq 1 ]
	[[ "$(jq -r .error <<<"$output")" == *"Connection refused"* ]]
	# Everything is still to be sent: the collector gets all of it, once.
	run np_in "$NS_B" -j export ipfix "127.0.0.1:$NFPORT"
	[ "$status" -eq 0 ]
	local flows got
	flows=$(np_in "$NS_B" -j show flows)
	got=$(nfcapd_flows | sum_by_key)
	diff <(flows_lines <<<"$flows" | sum_by_key | cut -d' ' -f1-9) <(cut -d' ' -f1-9 <<<"$got")
	[ "$(jq '.sequence' <<<"$output")" -eq "$(jq '.records' <<<"$output")" ]
}

@test "export ipfix: usage errors and nothing attached" {
	local a
	for a in "" "1.2.3.4" "host:" "host:0" "host:70000" "::1:4739" "[::1]4739" \
		"127.0.0.1:4739 proto sctp" "127.0.0.1:4739 proto" "127.0.0.1:4739 bogus" \
		"127.0.0.1:4739 k8s k8s"; do
		# shellcheck disable=SC2086
		run np_in "$NS_B" export ipfix $a
		[ "$status" -eq 2 ] || { echo "'$a': $status $output"; return 1; }
		[ "${#lines[@]}" -eq 1 ] && [[ "$output" == Error:* ]]
	done
	run np_in "$NS_B" -j export ipfix 127.0.0.1:4739
	[ "$status" -eq 1 ]
	[ "$(jq -r .error <<<"$output")" = "no flow table: attach a device first ('netprobe attach DEV')" ]
	np_root_empty
}

@test "export ipfix proto tcp k8s: the names as enterprise elements, decoded by tshark" {
	skip_unless_cmd tshark tcpdump socat
	# Pod shop/web-0 of the captured containerd node is 10.244.1.2: A holds it.
	local hr="$NP_DATA/k8s/containerd" port pcap="$BATS_TEST_TMPDIR/lo.pcap"
	ip -n "$NS_A" addr add 10.244.1.2/32 dev a0
	ip -n "$NS_B" route add 10.244.1.2/32 dev b0
	np_in "$NS_B" attach b0 >/dev/null
	in_ns "$NS_A" ping -c 4 -i 0.01 -q -I 10.244.1.2 10.77.0.2 >/dev/null
	in_ns "$NS_A" ping -c 3 -i 0.01 -q 10.77.0.2 >/dev/null
	port=$(np_free_port "$NS_B" tcp)
	# The collector: a TCP sink; tshark reads the stream as IPFIX.
	np_cap_start "$NS_B" lo "$pcap" tcp port "$port"
	np_bg "$BATS_TEST_TMPDIR/sink.log" nsenter --net="/run/netns/$NS_B" \
		socat -u TCP-LISTEN:"$port",reuseaddr OPEN:/dev/null
	np_wait_for 10 bash -c "[ -n \"\$(nsenter --net=/run/netns/$NS_B ss -Hltn 'sport = :$port')\" ]"
	run np_in "$NS_B" -j --host-root "$hr" export ipfix "127.0.0.1:$port" proto tcp k8s
	[ "$status" -eq 0 ]
	local report="$output" flows
	flows=$(np_in "$NS_B" -j show flows)
	np_cap_stop
	[ "$(jq -r .transport <<<"$report")" = tcp ]
	# Template 258 for the flows show flows k8s names an end of (a pod, a
	# service, a node: B's own address is the node's), 256 for the others.
	local named
	named=$(np_in "$NS_B" -j --host-root "$hr" show flows k8s | jq '[.[] |
		select([.src_k8s.kind, .dst_k8s.kind] | any(. == "pod" or . == "service" or
		. == "node"))] | length')
	[ "$named" -ge 2 ]
	[ "$(jq '.templates[] | select(.id == 258) | .records' <<<"$report")" -eq "$named" ]
	[ "$(jq '.templates[] | select(.id == 256) | .records' <<<"$report")" -eq \
	  $(( $(jq length <<<"$flows") - named )) ]
	# What tshark decodes: every record, its counts, and the names of the pod's.
	local got want
	got=$(tshark -r "$pcap" -d "tcp.port==$port,cflow" -T fields -E separator=' ' \
		-e cflow.srcaddr -e cflow.dstaddr -e cflow.packets -e cflow.octets 2>/dev/null |
		awk 'NF { n = split($1, s, ","); split($2, d, ","); split($3, p, ","); split($4, o, ",")
			  for (i = 1; i <= n; i++) print s[i], d[i], p[i], o[i] }' | sort)
	want=$(jq -r '.[] | "\(.src) \(.dst) \(.packets) \(.bytes)"' <<<"$flows" | sort)
	diff <(echo "$want") <(echo "$got")
	tshark -r "$pcap" -d "tcp.port==$port,cflow" -V 2>/dev/null >"$BATS_TEST_TMPDIR/decoded.txt"
	grep -q "Template Id: 258" "$BATS_TEST_TMPDIR/decoded.txt"
	grep -q "PEN: .* (32473)" "$BATS_TEST_TMPDIR/decoded.txt"
	# The names, element by element (1 source, 2 destination): the pod's flows
	# both ways, B's address as the node itself.
	local names
	names=$(sed -nE 's/.*Enterprise Private entry: .* Type ([12]): Value \(hex bytes\): (.*)/\1 \2/p' \
		"$BATS_TEST_TMPDIR/decoded.txt" | while read -r t hex; do
			echo "$t $(xxd -r -p <<<"$hex")"
		done | sort | uniq -c | awk '{ print $2, $3, $1 }')
	# A's other address is outside the cluster: an empty string, not in the list.
	[ "$names" = "$(printf '%s\n' "1 node:self 2" "1 shop/web-0 1" "2 node:self 2" "2 shop/web-0 1")" ]
}

@test "export ipfix killed while it sends or before it records: the next export loses nothing" {
	skip_unless_cmd strace
	nfcapd_start
	np_in "$NS_B" attach b0 >/dev/null
	in_ns "$NS_A" ping -c 5 -i 0.01 -q 10.77.0.2 >/dev/null
	# Killed at its first send: nothing left, nothing recorded.
	run in_ns "$NS_B" strace -f -qq -o /dev/null -e trace=sendto -e inject=sendto:signal=KILL \
		"$NP" export ipfix "127.0.0.1:$NFPORT"
	[ "$status" -ne 0 ]
	# Killed after the last send (the poll for a late ICMP error), before it
	# recorded anything: the collector has the records, the state does not.
	run in_ns "$NS_B" strace -f -qq -o /dev/null -e trace=poll -e inject=poll:signal=KILL \
		"$NP" export ipfix "127.0.0.1:$NFPORT"
	[ "$status" -ne 0 ]
	run np_in "$NS_B" -j export ipfix "127.0.0.1:$NFPORT"
	[ "$status" -eq 0 ]
	[ "$(jq .records <<<"$output")" -eq 2 ]
	local flows got
	flows=$(np_in "$NS_B" -j show flows)
	# And a fourth export sends nothing again.
	[ "$(np_in "$NS_B" -j export ipfix "127.0.0.1:$NFPORT" | jq .records)" -eq 0 ]
	# So every packet reached the collector twice, none never: at least once.
	got=$(nfcapd_flows | sum_by_key | cut -d' ' -f1-9)
	diff <(flows_lines <<<"$flows" | awk '{ $8 *= 2; $9 *= 2; print }' | sum_by_key |
		cut -d' ' -f1-9) <(echo "$got")
}

@test "export ipfix: an exported-state map of another layout is refused, not read" {
	skip_unless_cmd bpftool
	np_in "$NS_B" attach b0 >/dev/null
	bpftool map create "$NETPROBE_PIN_ROOT/maps/np_flow_exported" type hash key 40 value 8 \
		entries 16 name np_flow_exported
	run np_in "$NS_B" export ipfix 127.0.0.1:4739
	[ "$status" -eq 1 ]
	[ "$output" = "Error: maps/np_flow_exported has another layout: 'netprobe detach all' first" ]
	# detach all removes it with the other maps.
	np_in "$NS_B" detach all >/dev/null
	np_root_empty
}
