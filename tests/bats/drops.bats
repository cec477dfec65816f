#!/usr/bin/env bats
# Drop reasons (skb:kfree_skb) and netfilter hook counters against the
# kernel's own counters: nftables rule counters and /proc/net/snmp(6), and the
# sender's own plan of datagrams for what each keyword selects.
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

# snmp6 NS FIELD: a counter of /proc/net/snmp6 in NS.
snmp6() {
	in_ns "$1" awk -v f="$2" '$1 == f { print $2 }' /proc/net/snmp6
}

# udp_plan NS: sends the datagrams of stdin's lines "SRC SPORT DST DPORT N", N from
# SRC:SPORT to DST:DPORT, a line's datagrams together and the lines in order.
udp_plan() {
	in_ns "$1" python3 -c '
import socket, sys
for line in sys.stdin:
    src, sport, dst, dport, n = line.split()
    fam = socket.AF_INET6 if ":" in src else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.bind((src, int(sport)))
        for _ in range(int(n)):
            s.sendto(b"drop", (dst, int(dport)))
'
}

# flow_rows JSON: the rows of show drops flows as plan lines, in their order.
flow_rows() {
	jq -r '.[] | "\(.src) \(.sport) \(.dst) \(.dport) \(.count)"' <<<"$1"
}

# usage_error_line: the last run was a usage error, one line that says GLOB.
usage_error_line() {
	echo "status $status: $output"
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == Error:* ]]
	[[ "${lines[0]}" == $1 ]]
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

# nf_row JSON NETNS FAMILY HOOK packets|bytes
nf_row() {
	jq ".[] | select(.netns == $2 and .family == \"$3\" and .hook == \"$4\") | .$5" <<<"$1"
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

# The sender's plan is the oracle: each line's datagrams die as NO_SOCKET in
# NS_B (nothing listens there), one flow per line. 10.77.0.3 and .4 are
# second addresses of a0 and b0; the IPv6 pair is longer than 15 characters.
V6A=fd77:1111:2222:3333::1
V6B=fd77:1111:2222:3333::2
DROP_PLAN="10.77.0.1 40001 10.77.0.2 5001 3
10.77.0.1 40002 10.77.0.2 5002 1
10.77.0.3 40003 10.77.0.2 5001 5
10.77.0.1 40001 10.77.0.4 5003 2
10.77.0.3 40002 10.77.0.4 5001 4
$V6A 40006 $V6B 5006 6"

# plan_rows AWK-CONDITION: the plan's lines that the condition selects, in plan order.
plan_rows() {
	awk "$1" <<<"$DROP_PLAN"
}

# drops_of_plan: the veth pair with the plan's addresses, drops attached, the
# plan sent; checks the kernel's NoPorts deltas against the plan.
drops_of_plan() {
	np_veth_pair
	ip -n "$NS_A" addr add 10.77.0.3/24 dev a0
	ip -n "$NS_B" addr add 10.77.0.4/24 dev b0
	in_ns "$NS_A" sysctl -qw net.ipv6.conf.a0.disable_ipv6=0
	in_ns "$NS_B" sysctl -qw net.ipv6.conf.b0.disable_ipv6=0
	ip -n "$NS_A" addr add "$V6A/64" dev a0 nodad
	ip -n "$NS_B" addr add "$V6B/64" dev b0 nodad
	# Neighbours known before the plan: no datagram waits in a queue.
	in_ns "$NS_A" ping -c 1 -W 2 -q 10.77.0.2 >/dev/null
	in_ns "$NS_A" ping -c 1 -W 2 -q -I 10.77.0.3 10.77.0.4 >/dev/null
	in_ns "$NS_A" ping -6 -c 1 -W 2 -q "$V6B" >/dev/null
	run "$NP" attach drops
	[ "$status" -eq 0 ]
	local v4 v6
	v4=$(snmp "$NS_B" Udp NoPorts)
	v6=$(snmp6 "$NS_B" Udp6NoPorts)
	udp_plan "$NS_A" <<<"$DROP_PLAN"
	V4_NOPORTS=$(( $(snmp "$NS_B" Udp NoPorts) - v4 ))
	V6_NOPORTS=$(( $(snmp6 "$NS_B" Udp6NoPorts) - v6 ))
	echo "NoPorts deltas: ipv4 $V4_NOPORTS ipv6 $V6_NOPORTS"
	[ "$V4_NOPORTS" -eq "$(plan_rows '$1 !~ /:/ { n += $5 } END { print n }')" ]
	[ "$V6_NOPORTS" -eq "$(plan_rows '$1 ~ /:/ { n += $5 } END { print n }')" ]
}

@test "show drops flows: src, dst, port, sport, dport, proto select exactly the flows sent" {
	drops_of_plan
	local base="show drops flows reason NO_SOCKET dev b0" kw want got
	# Every flow of the plan, and nothing else of NO_SOCKET UDP on b0.
	run np_in "$NS_B" -j $base proto udp
	[ "$status" -eq 0 ]
	echo "$output"
	[ "$(flow_rows "$output" | sort)" = "$(sort <<<"$DROP_PLAN")" ]
	while IFS='|' read -r kw want; do
		run np_in "$NS_B" -j $base $kw
		[ "$status" -eq 0 ]
		got=$(flow_rows "$output" | sort)
		echo "$kw: got [$got] want [$(plan_rows "$want" | sort)]"
		[ -n "$got" ]
		[ "$got" = "$(plan_rows "$want" | sort)" ]
	done <<-'EOF'
	sport 40001|$2 == 40001
	dport 5001|$4 == 5001
	port 40002|$2 == 40002 || $4 == 40002
	port 5003|$2 == 5003 || $4 == 5003
	src 10.77.0.3|$1 == "10.77.0.3"
	src 10.77.0.2/31|$1 == "10.77.0.3"
	src 10.77.0.0/24 dst 10.77.0.4/32|$3 == "10.77.0.4"
	src 10.77.0.1 dport 5001|$1 == "10.77.0.1" && $4 == 5001
	dst fd77:1111:2222:3333::/64|$3 ~ /^fd77:/
	proto ipv4 sport 40002|$1 !~ /:/ && $2 == 40002
	proto ipv6|$1 ~ /:/
	EOF
	# A prefix that holds none of them: no row.
	run np_in "$NS_B" -j $base src 10.77.0.128/25
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
	# Both address families' sums are the kernel's NoPorts deltas.
	run np_in "$NS_B" -j $base proto ipv4
	[ "$(jq '[.[].count] | add' <<<"$output")" -eq "$V4_NOPORTS" ]
	run np_in "$NS_B" -j $base proto ipv6
	[ "$(jq '[.[].count] | add' <<<"$output")" -eq "$V6_NOPORTS" ]
	jq -e 'all(.[]; .proto == "udp" and .proto_number == 17)' <<<"$output"
}

@test "show drops: sort count (the default), sort last and top N order the flows as they were sent" {
	drops_of_plan
	local base="show drops flows reason NO_SOCKET dev b0 proto udp"
	# Most drops first: the plan's counts are all different.
	run np_in "$NS_B" -j $base
	[ "$(flow_rows "$output")" = "$(sort -k5,5nr <<<"$DROP_PLAN")" ]
	run np_in "$NS_B" -j $base sort count
	[ "$(flow_rows "$output")" = "$(sort -k5,5nr <<<"$DROP_PLAN")" ]
	run np_in "$NS_B" -j $base top 1
	[ "$(flow_rows "$output")" = "$(sort -k5,5nr <<<"$DROP_PLAN" | head -1)" ]
	# Last dropped first: the plan sent the lines in order.
	run np_in "$NS_B" -j $base sort last
	echo "$output"
	[ "$(flow_rows "$output")" = "$(tac <<<"$DROP_PLAN")" ]
	run np_in "$NS_B" -j $base sort last top 2
	[ "$(flow_rows "$output")" = "$(tac <<<"$DROP_PLAN" | head -2)" ]
	jq -e 'all(.[]; .first_seen <= .last_seen)' <<<"$output"
	# The counts: one row per L3 protocol, the bigger first; top 1 is IPv4's.
	run np_in "$NS_B" -j show drops reason NO_SOCKET dev b0 proto udp
	[ "$(jq -r '[.[] | "\(.l3proto) \(.count)"] | join(",")' <<<"$output")" = \
		"ipv4 $V4_NOPORTS,ipv6 $V6_NOPORTS" ]
	run np_in "$NS_B" -j show drops reason NO_SOCKET dev b0 proto udp top 1
	[ "$(jq -r '[.[] | "\(.l3proto) \(.count)"] | join(",")' <<<"$output")" = "ipv4 $V4_NOPORTS" ]
	# Plain text: the address columns fit the longest address, every row aligned
	# under its header.
	run np_in "$NS_B" show drops flows reason NO_SOCKET dev b0 proto udp
	[ "$status" -eq 0 ]
	echo "$output"
	local hdr="${lines[0]}" line src dst rest at_src at_dst
	at_src=${hdr%%SRC*}
	at_dst=${hdr%%DST*}
	for line in "${lines[@]:1}"; do
		read -r _ _ _ _ src _ dst rest <<<"$line"
		[ "${line:${#at_src}:${#src}}" = "$src" ]
		[ "${line:${#at_dst}:${#dst}}" = "$dst" ]
	done
	[[ "$output" == *"$V6A"*"$V6B"* ]]
}

@test "show drops from another namespace: netns NAME on both views, devices by their names" {
	drops_of_plan
	# Drops in NS_A too: NS_B sends to a port nobody has in NS_A.
	local a0 b0 ino_b
	a0=$(snmp "$NS_A" Udp NoPorts)
	udp_send "$NS_B" 10.77.0.1 7780 7
	a0=$(( $(snmp "$NS_A" Udp NoPorts) - a0 ))
	[ "$a0" -eq 7 ]
	b0=$(ip -n "$NS_B" -j link show b0 | jq '.[0].ifindex')
	ino_b=$(netns_inode "$NS_B")
	# From the host's namespace: b0 is named by entering NS_B (here its
	# ifindex may well be another device's).
	run "$NP" -j show drops reason NO_SOCKET netns "$NS_B" proto udp
	[ "$status" -eq 0 ]
	echo "$output"
	[ "$(jq -r '[.[] | "\(.interface) \(.ifindex) \(.netns) \(.netns_name)"] | unique | .[]' \
		<<<"$output")" = "b0 $b0 $ino_b $NS_B" ]
	[ "$(jq '[.[].count] | add' <<<"$output")" -eq $(( V4_NOPORTS + V6_NOPORTS )) ]
	run "$NP" -j show drops flows reason NO_SOCKET netns "$NS_B" proto udp
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.[] | "\(.interface) \(.ifindex) \(.netns) \(.netns_name)"] | unique | .[]' \
		<<<"$output")" = "b0 $b0 $ino_b $NS_B" ]
	[ "$(flow_rows "$output" | sort)" = "$(sort <<<"$DROP_PLAN")" ]
	# NS_A's drops on their own, by name; none of NS_B's.
	run "$NP" -j show drops flows reason NO_SOCKET netns "$NS_A" proto udp
	[ "$(jq -r '[.[] | "\(.interface) \(.netns_name) \(.dst) \(.dport)"] | unique | .[]' \
		<<<"$output")" = "a0 $NS_A 10.77.0.1 7780" ]
	[ "$(jq '[.[].count] | add' <<<"$output")" -eq "$a0" ]
	run "$NP" -j show drops reason NO_SOCKET netns "$NS_A" proto udp
	[ "$(jq -r '.[] | "\(.interface) \(.count)"' <<<"$output")" = "a0 $a0" ]
	# Plain text names them too.
	run "$NP" show drops reason NO_SOCKET netns "$NS_B" proto ipv6
	echo "$output"
	[ "${#lines[@]}" -eq 2 ]
	[ "$(awk 'NR == 2 { print $2, $3, $6 }' <<<"$output")" = "b0 $NS_B $V6_NOPORTS" ]
	# dev DEV names an attached device of another namespace too.
	np_in "$NS_B" attach b0 >/dev/null
	run "$NP" -j show drops reason NO_SOCKET dev b0 proto udp
	[ "$status" -eq 0 ]
	[ "$(jq '[.[].count] | add' <<<"$output")" -eq $(( V4_NOPORTS + V6_NOPORTS )) ]
	[ "$(jq -r '[.[].netns_name] | unique | .[]' <<<"$output")" = "$NS_B" ]
}

@test "show drops: usage errors, one line and exit 2, attached or not" {
	local args want pass
	for pass in before after; do
		[ "$pass" = after ] && "$NP" attach drops >/dev/null
		while IFS='|' read -r args want; do
			run "$NP" $args
			usage_error_line "$want"
		done <<-'EOF'
		show drops sport 53|*'sport' only with flows*
		show drops reason NO_SOCKET dport 53|*'dport' only with flows*
		show drops src 10.0.0.0/8|*'src' only with flows*
		show drops sort last|*'sort last' only with flows*
		show drops flows sport 1 sport 2|*'sport' given twice*
		show drops reason NO_SOCKET reason 2|*'reason' given twice*
		show drops flows netns 1 top 1 netns 2|*'netns' given twice*
		show drops flows top 1 flows|*'flows' given twice*
		show drops flows src 10.0.0.256|*src: '10.0.0.256' is not an address or prefix*
		show drops flows dst 10.0.0.0/33|*dst: '10.0.0.0/33' is not an address or prefix*
		show drops flows dst nonsense|*dst: 'nonsense' is not an address or prefix*
		show drops flows port 65536|*port: '65536' is not a number from 0 to 65535*
		show drops flows sport 0x35|*sport: '0x35' is not a number*
		show drops flows sort bytes|*sort: unknown*'bytes'*
		show drops top 0|*top: '0' is not a number from 1*
		show drops flows sport|*'sport' needs a value*
		--prom show drops flows|*no Prometheus form*
		EOF
	done
	run "$NP" -j show drops flows sport 1 sport 2
	[ "$status" -eq 2 ]
	[ "$(jq -r .error <<<"$output")" = "show drops: 'sport' given twice" ]
}
