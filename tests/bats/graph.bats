#!/usr/bin/env bats
# show graph: the flow table folded into who-talks-to-whom, as Graphviz DOT
# and JSON, against tshark's view of the same traffic and Graphviz's own
# parse of the DOT.

load helpers

setup() {
	np_setup_root
	np_veth_pair
	# Static neighbours: no ARP after the capture ends.
	ip -n "$NS_A" neigh replace 10.77.0.2 dev a0 nud permanent \
		lladdr "$(ip -n "$NS_B" -j link show b0 | jq -r '.[0].address')"
	ip -n "$NS_B" neigh replace 10.77.0.1 dev b0 nud permanent \
		lladdr "$(ip -n "$NS_A" -j link show a0 | jq -r '.[0].address')"
	ip -n "$NS_A" addr add 10.77.0.11/24 dev a0
	ip -n "$NS_B" neigh replace 10.77.0.11 dev b0 nud permanent \
		lladdr "$(ip -n "$NS_A" -j link show a0 | jq -r '.[0].address')"
}

teardown() {
	np_teardown
}

# pairs_tshark FILE: "src dst packets bytes" per address pair of a capture.
pairs_tshark() {
	tshark -r "$1" -n -Y ip -T fields -E occurrence=f -e ip.src -e ip.dst -e frame.len 2>/dev/null |
		awk '{ p[$1 " " $2]++; b[$1 " " $2] += $3 } END { for (k in p) print k, p[k], b[k] }' | sort
}

# traffic: pings and UDP from two addresses of A to B, with b0 captured.
traffic() {
	np_cap_start "$NS_B" b0 "$BATS_TEST_TMPDIR/b0.pcap"
	in_ns "$NS_A" ping -c 5 -i 0.01 -q 10.77.0.2 >/dev/null
	in_ns "$NS_A" ping -c 3 -i 0.01 -s 500 -q -I 10.77.0.11 10.77.0.2 >/dev/null
	for i in $(seq 7); do
		echo "datagram $i" | in_ns "$NS_A" socat -u - UDP:10.77.0.2:7001,sourceport=40001
	done
	sleep 0.3
	np_cap_stop
}

@test "show graph: each edge equals tshark's packets and bytes of its address pair; DOT that Graphviz parses says the same" {
	skip_unless_cmd tshark tcpdump dot socat
	np_in "$NS_B" attach b0 >/dev/null
	traffic
	pairs_tshark "$BATS_TEST_TMPDIR/b0.pcap" >"$BATS_TEST_TMPDIR/want"
	cat "$BATS_TEST_TMPDIR/want"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/want")" -eq 4 ]
	# One vantage point (b0): the edges are the capture's pairs.
	run np_in "$NS_B" -j show graph dev b0
	[ "$status" -eq 0 ]
	echo "$output"
	jq -r '.edges[] | "\(.src) \(.dst) \(.packets) \(.bytes)"' <<<"$output" | sort >"$BATS_TEST_TMPDIR/got"
	diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	jq -e 'all(.edges[]; .interfaces == ["b0"]) and
		([.nodes[].label] | sort) == ["10.77.0.1", "10.77.0.11", "10.77.0.2"] and
		all(.nodes[]; .kind == "address")' <<<"$output"
	# 10.77.0.1 -> 10.77.0.2 carries the echo requests and the datagrams: two
	# flows, as tshark's distinct (proto, ports or type/code) of that pair.
	local distinct
	distinct=$(tshark -r "$BATS_TEST_TMPDIR/b0.pcap" -n -Y ip -T fields -E occurrence=f \
		-e ip.src -e ip.dst -e ip.proto -e udp.srcport -e udp.dstport -e icmp.type \
		-e icmp.code 2>/dev/null | awk -F'\t' '$1 == "10.77.0.1" && $2 == "10.77.0.2"' |
		cut -f3- | sort -u | wc -l)
	[ "$distinct" -eq 2 ]
	jq -e '[.edges[] | select(.src == "10.77.0.1" and .dst == "10.77.0.2")][0].flows == 2' <<<"$output"
	# Every flow entry once: each edge is the sum of show flows' rows of its pair.
	local flows graph
	flows=$(np_in "$NS_B" -j show flows | jq -c 'group_by([.src, .dst]) |
		map({src: .[0].src, dst: .[0].dst, bytes: (map(.bytes) | add), packets: (map(.packets) | add),
		     flows: length, interfaces: (map(.interface) | unique)}) | sort_by([.src, .dst])')
	graph=$(np_in "$NS_B" -j show graph | jq -c '.edges | map(.interfaces |= sort) | sort_by([.src, .dst])')
	[ "$flows" = "$graph" ]
	# The DOT: Graphviz parses it, renders it, and its edges carry the same numbers.
	run np_in "$NS_B" show graph
	[ "$status" -eq 0 ]
	dot -Tsvg <<<"$output" >"$BATS_TEST_TMPDIR/g.svg"
	grep -q '<svg' "$BATS_TEST_TMPDIR/g.svg"
	dot -Tjson <<<"$output" | jq -c '[.objects as $o | .edges[] |
		{src: $o[.tail].name, dst: $o[.head].name, bytes: (.bytes | tonumber),
		 packets: (.packets | tonumber), flows: (.flows | tonumber),
		 interfaces: (.interfaces | split(" ") | sort)}] | sort_by([.src, .dst])' >"$BATS_TEST_TMPDIR/dot"
	[ "$(cat "$BATS_TEST_TMPDIR/dot")" = "$graph" ]
}

@test "show graph: filters as show flows; errors" {
	np_in "$NS_B" attach b0 >/dev/null
	in_ns "$NS_A" ping -c 2 -i 0.01 -q 10.77.0.2 >/dev/null
	echo x | in_ns "$NS_A" socat -u - UDP:10.77.0.2:7001
	[ "$(np_in "$NS_B" -j show graph proto udp | jq -c '[.edges[] | [.src, .dst, .packets]]')" = \
		'[["10.77.0.1","10.77.0.2",1]]' ]
	[ "$(np_in "$NS_B" -j show graph dir egress proto icmp | jq -c '[.edges[] | [.src, .dst]]')" = \
		'[["10.77.0.2","10.77.0.1"]]' ]
	# Nothing matches: an empty graph, still a graph.
	[ "$(np_in "$NS_B" -j show graph proto sctp)" = '{"nodes":[],"edges":[]}' ]
	np_in "$NS_B" show graph proto sctp | dot -Tsvg >/dev/null
	run np_in "$NS_B" show graph top 3
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown keyword 'top'"* ]]
	run np_in "$NS_B" --prom show graph
	[ "$status" -eq 2 ]
	run np_in "$NS_B" show graph dev nosuch0
	[ "$status" -eq 1 ]
	np_in "$NS_B" detach all >/dev/null
	run np_in "$NS_B" show graph
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
}
