#!/usr/bin/env bats
# Drop reasons (skb:kfree_skb) and netfilter hook counters against the
# kernel's own counters: nftables rule counters and /proc/net/snmp.
#
# The drops probe is host-wide: other namespaces' drops land in the same
# maps, so every number here is taken for the test's own device (dev b0,
# run inside NS_B, names netns + ifindex) and flow.

load helpers

setup() {
	np_setup_root
}

teardown() {
	np_teardown
}

# udp_send NS DST PORT N: N datagrams, one write (and socket) each.
udp_send() {
	in_ns "$1" bash -c "for i in \$(seq $4); do echo drop-\$i >/dev/udp/$2/$3; done" 2>/dev/null
}

# nft_rule_counter NS TABLE CHAIN packets|bytes: the counter of the chain's rule.
nft_rule_counter() {
	in_ns "$1" nft -j list chain inet "$2" "$3" |
		jq "[.nftables[] | select(.rule) | .rule.expr[] | select(.counter) |
		     .counter.$4] | add"
}

# snmp NS GROUP FIELD: a counter of /proc/net/snmp in NS.
snmp() {
	in_ns "$1" awk -v g="$2:" -v f="$3" \
		'$1 == g && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
		 $1 == g && h { print $c[f] }' /proc/net/snmp
}

# drop_flows_sum JSON DST DPORT: dropped count over the flows to DST:DPORT.
drop_flows_sum() {
	jq "[.[] | select(.dst == \"$2\" and .dport == $3) | .count] | add // 0" <<<"$1"
}

@test "NETFILTER_DROP count of a flow equals the nft rule's counter" {
	np_veth_pair
	in_ns "$NS_B" nft -f - <<-EOF
		table inet np_drop_test {
			chain input {
				type filter hook input priority 0;
				udp dport 7777 counter drop
			}
		}
	EOF
	run "$NP" attach drops
	[ "$status" -eq 0 ]
	udp_send "$NS_A" 10.77.0.2 7777 25

	local nft_pkts
	nft_pkts=$(nft_rule_counter "$NS_B" np_drop_test input packets)
	echo "nft counter: $nft_pkts"
	[ "$nft_pkts" -eq 25 ]
	run np_in "$NS_B" -j show drops flows reason NETFILTER_DROP dev b0 proto udp
	[ "$status" -eq 0 ]
	echo "$output"
	[ "$(drop_flows_sum "$output" 10.77.0.2 7777)" -eq "$nft_pkts" ]
	[ "$(jq '[.[] | select(.src != "10.77.0.1" or .reason != "NETFILTER_DROP")] | length' \
		<<<"$output")" -eq 0 ]
	run np_in "$NS_B" -j show drops reason NETFILTER_DROP dev b0 proto udp
	[ "$status" -eq 0 ]
	echo "$output"
	[ "$(jq 'length' <<<"$output")" -eq 1 ]
	[ "$(jq -r '.[0] | "\(.reason) \(.interface) \(.proto) \(.count)"' <<<"$output")" = \
		"NETFILTER_DROP b0 udp $nft_pkts" ]
}

@test "NO_SOCKET drops equal datagrams sent and the kernel's UDP NoPorts delta" {
	np_veth_pair
	run "$NP" attach drops
	[ "$status" -eq 0 ]
	local noports0 noports sent=30
	noports0=$(snmp "$NS_B" Udp NoPorts)
	udp_send "$NS_A" 10.77.0.2 7778 "$sent"
	noports=$(( $(snmp "$NS_B" Udp NoPorts) - noports0 ))
	echo "NoPorts delta: $noports"
	[ "$noports" -eq "$sent" ]

	run np_in "$NS_B" -j show drops reason NO_SOCKET dev b0 proto udp
	[ "$status" -eq 0 ]
	echo "$output"
	[ "$(jq '[.[].count] | add' <<<"$output")" -eq "$noports" ]
	run np_in "$NS_B" -j show drops flows reason NO_SOCKET dev b0
	[ "$status" -eq 0 ]
	[ "$(drop_flows_sum "$output" 10.77.0.2 7778)" -eq "$sent" ]
	# netns by its /run/netns name or its inode, from any namespace.
	local ino
	ino=$(in_ns "$NS_B" stat -Lc %i /proc/self/ns/net)
	for ns in "$NS_B" "$ino"; do
		run "$NP" -j show drops reason NO_SOCKET netns "$ns" proto udp
		[ "$status" -eq 0 ]
		[ "$(jq '[.[].count] | add' <<<"$output")" -eq "$noports" ]
		[ "$(jq -r '[.[].netns_name] | unique | .[]' <<<"$output")" = "$NS_B" ]
	done
	run "$NP" show drops netns no-such-ns-here
	[ "$status" -eq 2 ]
	# The Prometheus series of the same row.
	run np_in "$NS_B" --prom show drops reason NO_SOCKET dev b0 proto udp
	[ "$status" -eq 0 ]
	echo "$output"
	grep -q "^netprobe_drops_total{reason=\"NO_SOCKET\",interface=\"b0\",.*} $sent\$" \
		<<<"$(np_prom_plain <<<"$output")"
}

# Three namespaces in a line, C - R - S, R forwarding between 10.79.1.0/24
# (c0 .1, r0 .2) and 10.79.2.0/24 (r1 .2, s0 .1). IPv6 off: no stray frames.
three_netns() {
	# np_netns records the name for teardown: not in a $(subshell).
	np_netns np-c >/dev/null
	np_netns np-r >/dev/null
	np_netns np-s >/dev/null
	NS_C="np-c-$NP_SUFFIX" NS_R="np-r-$NP_SUFFIX" NS_S="np-s-$NP_SUFFIX"
	ip link add c0 netns "$NS_C" type veth peer name r0 netns "$NS_R"
	ip link add r1 netns "$NS_R" type veth peer name s0 netns "$NS_S"
	for ns in "$NS_C" "$NS_R" "$NS_S"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	done
	ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$NS_C" addr add 10.79.1.1/24 dev c0
	ip -n "$NS_R" addr add 10.79.1.2/24 dev r0
	ip -n "$NS_R" addr add 10.79.2.2/24 dev r1
	ip -n "$NS_S" addr add 10.79.2.1/24 dev s0
	for l in "$NS_C c0" "$NS_R r0" "$NS_R r1" "$NS_S s0"; do
		set -- $l
		ip -n "$1" link set "$2" up
	done
	ip -n "$NS_C" route add default via 10.79.1.2
	ip -n "$NS_S" route add default via 10.79.2.2
}

# An nft counter at each inet hook of NS (priority 0), the oracle for netprobe.
nft_hook_counters() {
	local chains="" h
	for h in prerouting input forward output postrouting; do
		chains+="chain $h { type filter hook $h priority 0; meta nfproto ipv4 counter; }"$'\n'
	done
	in_ns "$1" nft -f - <<<"table inet np_oracle { $chains }"
}

# nf_row JSON NETNS FAMILY HOOK packets|bytes
nf_row() {
	jq ".[] | select(.netns == $2 and .family == \"$3\" and .hook == \"$4\") | .$5" <<<"$1"
}

netns_inode() {
	stat -L -c %i "/run/netns/$1"
}

@test "netfilter hooks count exactly the packets into, out of and through a namespace" {
	three_netns
	nft_hook_counters "$NS_R"
	# S drops R's UDP silently: no ICMP error comes back to R.
	in_ns "$NS_S" nft add table inet np_sink
	in_ns "$NS_S" nft add chain inet np_sink input '{ type filter hook input priority 0; }'
	in_ns "$NS_S" nft add rule inet np_sink input udp dport 9 drop
	run np_in "$NS_R" attach netfilter
	[ "$status" -eq 0 ]
	[ "$(grep -c attached <<<"$output")" -eq 10 ]
	run np_in "$NS_C" attach netfilter
	[ "$status" -eq 0 ]
	run np_in "$NS_R" -j show netfilter
	[ "$status" -eq 0 ]
	local before="$output" r c
	r=$(netns_inode "$NS_R")
	c=$(netns_inode "$NS_C")

	in_ns "$NS_C" ping -c 4 -i 0.05 -q 10.79.1.2 >/dev/null	# into R and back out
	in_ns "$NS_C" ping -c 3 -i 0.05 -q 10.79.2.1 >/dev/null	# through R, both ways
	udp_send "$NS_R" 10.79.2.1 9 5					# out of R

	run "$NP" -j show netfilter
	[ "$status" -eq 0 ]
	echo "$output"
	local h want got nft bytes nft_bytes
	declare -A expect=([prerouting]=10 [input]=4 [forward]=6 [output]=9 [postrouting]=15)
	for h in prerouting input forward output postrouting; do
		got=$(( $(nf_row "$output" "$r" ipv4 $h packets) - $(nf_row "$before" "$r" ipv4 $h packets) ))
		bytes=$(( $(nf_row "$output" "$r" ipv4 $h bytes) - $(nf_row "$before" "$r" ipv4 $h bytes) ))
		nft=$(nft_rule_counter "$NS_R" np_oracle $h packets)
		nft_bytes=$(nft_rule_counter "$NS_R" np_oracle $h bytes)
		echo "$h: netprobe $got/$bytes nft $nft/$nft_bytes expected ${expect[$h]}"
		[ "$got" -eq "${expect[$h]}" ]
		[ "$got" -eq "$nft" ]
		[ "$bytes" -eq "$nft_bytes" ]
		[ "$(nf_row "$output" "$r" ipv6 $h packets)" -eq 0 ]
	done
	# C's own links: 7 echo requests out, 7 replies in, nothing forwarded.
	[ "$(nf_row "$output" "$c" ipv4 output packets)" -eq 7 ]
	[ "$(nf_row "$output" "$c" ipv4 input packets)" -eq 7 ]
	[ "$(nf_row "$output" "$c" ipv4 forward packets)" -eq 0 ]
	run "$NP" --prom show netfilter
	grep -q "^netprobe_netfilter_packets_total{netns=\"$r\",family=\"ipv4\",hook=\"forward\"} 6\$" \
		<<<"$(np_prom_plain <<<"$output")"
}

@test "drops and netfilter: errors, idempotent attach, detach leaves nothing" {
	run "$NP" show drops
	[ "$status" -eq 1 ]
	run "$NP" attach drops
	[ "$status" -eq 0 ]
	run "$NP" -j attach drops
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[0].state' <<<"$output")" = unchanged ]
	run "$NP" -j show drops reason NO_SUCH_REASON
	[ "$status" -eq 2 ]
	jq -e .error <<<"$output"
	run "$NP" show drops proto nonsense
	[ "$status" -eq 2 ]
	run "$NP" show drops top 0
	[ "$status" -eq 2 ]
	run "$NP" show drops dev no-such-dev0
	[ "$status" -eq 1 ]
	run "$NP" show drops bogus
	[ "$status" -eq 2 ]
	run "$NP" show netfilter
	[ "$status" -eq 1 ]
	[[ "$output" == *"not attached"* ]]
	run "$NP" show drops reason no_socket	# any case, numbers too
	[ "$status" -eq 0 ]
	run "$NP" show drops reason 3
	[ "$status" -eq 0 ]
	if command -v promtool >/dev/null; then
		"$NP" --prom show drops | promtool check metrics
	fi

	# Netfilter links only in a namespace of the test, never the host's.
	local ns
	ns=$(np_netns np-nf)
	NP_NETNS+=("$ns")
	run np_in "$ns" attach netfilter
	[ "$status" -eq 0 ]
	run np_in "$ns" -j attach netfilter
	[ "$(jq '[.[] | select(.state == "unchanged")] | length' <<<"$output")" -eq 10 ]
	if command -v promtool >/dev/null; then
		"$NP" --prom show netfilter | promtool check metrics
	fi
	run "$NP" detach drops
	[ "$status" -eq 0 ]
	run "$NP" detach netfilter
	[ "$status" -eq 0 ]
	np_root_empty
}

@test "flush drops and flush netfilter empty their tables; what comes after counts from zero" {
	np_veth_pair
	"$NP" attach drops >/dev/null
	np_in "$NS_B" attach netfilter >/dev/null
	udp_send "$NS_A" 10.77.0.2 7779 5
	[ "$(np_in "$NS_B" -j show drops reason NO_SOCKET netns "$NS_B" | jq '[.[].count] | add')" -eq 5 ]
	run "$NP" -j flush drops
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[0].table' <<<"$output")" = drops ]
	[ "$(jq '.[0].entries' <<<"$output")" -ge 1 ]
	[ "$(np_in "$NS_B" -j show drops reason NO_SOCKET netns "$NS_B" | jq length)" -eq 0 ]
	local noports0
	noports0=$(snmp "$NS_B" Udp NoPorts)
	udp_send "$NS_A" 10.77.0.2 7779 7
	[ "$(np_in "$NS_B" -j show drops reason NO_SOCKET netns "$NS_B" | jq '[.[].count] | add')" -eq \
	  $(( $(snmp "$NS_B" Udp NoPorts) - noports0 )) ]
	# Netfilter: zero, then the input hook counts exactly the datagrams that came in.
	run np_in "$NS_B" -j flush netfilter
	[ "$status" -eq 0 ]
	[ "$(np_in "$NS_B" -j show netfilter | jq '[.[].packets] | add // 0')" -eq 0 ]
	udp_send "$NS_A" 10.77.0.2 7779 4
	[ "$(np_in "$NS_B" -j show netfilter | jq '[.[] | select(.family == "ipv4" and .hook == "input") | .packets] | add')" -eq 4 ]
	run "$NP" flush vxlan
	[ "$status" -eq 1 ]
	[[ "$output" == *"attach DEV vxlan"* ]]
}
