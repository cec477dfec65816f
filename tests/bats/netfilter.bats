#!/usr/bin/env bats
# show netfilter's keywords (netns, family, hook, sort, top) against the
# kernel's own counters: an nftables counter at each inet hook of a router
# namespace. Traffic runs C - R - S only, in namespaces of the test's own.

load helpers

setup() {
	np_setup_root
}

teardown() {
	np_teardown
}

# three_netns with S dropping R's UDP silently: no ICMP error comes back to R.
three_netns_sink() {
	three_netns
	in_ns "$NS_S" nft add table inet np_sink
	in_ns "$NS_S" nft add chain inet np_sink input '{ type filter hook input priority 0; }'
	in_ns "$NS_S" nft add rule inet np_sink input udp dport 9 drop
}

# nft_counter NS HOOK packets|bytes: the oracle's counter at HOOK.
nft_counter() {
	in_ns "$1" nft -j list chain inet np_oracle "$2" |
		jq "[.nftables[] | select(.rule) | .rule.expr[] | select(.counter) |
		     .counter.$3] | add"
}

# nft_order NS packets|bytes: R's hooks, most first, by the oracle's counters.
nft_order() {
	local h
	for h in prerouting input forward output postrouting; do
		echo "$(nft_counter "$1" $h "$2") $h"
	done | sort -rn | awk '{ print $2 }' | xargs
}

# Known traffic: 4 pings into R, 3 through R to S, 5 datagrams out of R.
# R's IPv4 hooks: prerouting 10, input 4, forward 6, output 9, postrouting 15.
router_traffic() {
	in_ns "$NS_C" ping -c 4 -i 0.05 -q 10.79.1.2 >/dev/null
	in_ns "$NS_C" ping -c 3 -i 0.05 -q 10.79.2.1 >/dev/null
	in_ns "$NS_R" bash -c 'for i in $(seq 5); do echo nf-$i >/dev/udp/10.79.2.1/9; done' \
		2>/dev/null
}

# The oracle first, then the hooks: both count the same packets from zero.
router_setup() {
	three_netns_sink
	nft_hook_counters "$NS_R"
	run np_in "$NS_R" attach netfilter
	[ "$status" -eq 0 ]
	run np_in "$NS_C" attach netfilter
	[ "$status" -eq 0 ]
	R=$(netns_inode "$NS_R")
	C=$(netns_inode "$NS_C")
	router_traffic
}

@test "show netfilter netns R hook forward family ipv4: the one row, nft's forward counter" {
	router_setup
	local nft nft_bytes
	nft=$(nft_counter "$NS_R" forward packets)
	nft_bytes=$(nft_counter "$NS_R" forward bytes)
	echo "nft forward: $nft packets, $nft_bytes bytes"
	[ "$nft" -eq 6 ]
	run "$NP" -j show netfilter netns "$NS_R" hook forward family ipv4
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" -eq 1 ]
	[ "$(jq -r '.[0] | "\(.netns) \(.netns_name) \(.family) \(.hook)"' <<<"$output")" = \
		"$R $NS_R ipv4 forward" ]
	[ "$(jq '.[0].packets' <<<"$output")" -eq "$nft" ]
	[ "$(jq '.[0].bytes' <<<"$output")" -eq "$nft_bytes" ]
	jq -e '.[0] | (.netns | type == "number") and (.packets | type == "number")' <<<"$output"
	# netns by name and by inode are the same filter, from any namespace.
	local by_name="$output"
	run "$NP" -j show netfilter netns "$R" hook forward family ipv4
	[ "$status" -eq 0 ]
	[ "$output" = "$by_name" ]
	run np_in "$NS_S" -j show netfilter netns "$R" hook forward family ipv4
	[ "$output" = "$by_name" ]
	# Prefixes of the values, as everywhere.
	run "$NP" -j show netfilter netns "$NS_R" hook forw family ipv4
	[ "$output" = "$by_name" ]
	# The same row in Prometheus: two samples, the oracle's numbers.
	run "$NP" --prom show netfilter netns "$NS_R" hook forward family ipv4
	[ "$status" -eq 0 ]
	echo "$output"
	local prom
	prom=$(np_prom_plain <<<"$output" | grep -v '^#')
	[ "$(wc -l <<<"$prom")" -eq 2 ]
	grep -qx "netprobe_netfilter_packets_total{netns=\"$R\",family=\"ipv4\",hook=\"forward\"} $nft" \
		<<<"$prom"
	grep -qx "netprobe_netfilter_bytes_total{netns=\"$R\",family=\"ipv4\",hook=\"forward\"} $nft_bytes" \
		<<<"$prom"
	if command -v promtool >/dev/null; then
		promtool check metrics <<<"$output"
	fi
	# Plain text names the namespace.
	run "$NP" show netfilter netns "$NS_R" hook forward family ipv4
	echo "$output"
	[ "${#lines[@]}" -eq 2 ]
	[ "$(awk '{ print $1, $2, $3, $4 }' <<<"${lines[1]}")" = "$NS_R ipv4 forward $nft" ]
}

@test "show netfilter filters: one namespace, one family, one hook across namespaces" {
	router_setup
	run "$NP" -j show netfilter netns "$NS_C"
	[ "$status" -eq 0 ]
	# Every linked hook of C, zeros included, and nothing of R's.
	[ "$(jq length <<<"$output")" -eq 10 ]
	[ "$(jq -r '[.[].netns] | unique | .[]' <<<"$output")" = "$C" ]
	# C sent 7 echo requests and got 7 replies.
	[ "$(jq '.[] | select(.family == "ipv4" and .hook == "output") | .packets' <<<"$output")" -eq 7 ]
	run "$NP" -j show netfilter family ipv6 netns "$NS_R"
	[ "$(jq length <<<"$output")" -eq 5 ]
	[ "$(jq -r '[.[].family] | unique | .[]' <<<"$output")" = ipv6 ]
	[ "$(jq '[.[].packets] | add' <<<"$output")" -eq 0 ]
	# A hook, every namespace: R's and C's rows.
	run "$NP" -j show netfilter hook input family ipv4
	[ "$(jq -r '[.[] | "\(.netns)=\(.packets)"] | sort | join(" ")' <<<"$output")" = \
		"$(printf '%s\n' "$C=7" "$R=$(nft_counter "$NS_R" input packets)" | sort | xargs)" ]
}

@test "show netfilter sort and top: R's hooks in the order of nft's counters" {
	router_setup
	local want h got
	want=$(nft_order "$NS_R" packets)
	echo "nft order by packets: $want"
	[ "$want" = "postrouting prerouting output forward input" ]
	run "$NP" -j show netfilter netns "$NS_R" family ipv4 sort packets
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.[].hook] | join(" ")' <<<"$output")" = "$want" ]
	for h in prerouting input forward output postrouting; do
		got=$(jq ".[] | select(.hook == \"$h\") | .packets" <<<"$output")
		[ "$got" -eq "$(nft_counter "$NS_R" $h packets)" ]
	done
	want=$(nft_order "$NS_R" bytes)
	echo "nft order by bytes: $want"
	run "$NP" -j show netfilter netns "$NS_R" family ipv4 sort bytes
	[ "$(jq -r '[.[].hook] | join(" ")' <<<"$output")" = "$want" ]
	# top N alone: most packets first.
	run "$NP" -j show netfilter netns "$NS_R" top 2
	[ "$(jq -r '[.[].hook] | join(" ")' <<<"$output")" = "postrouting prerouting" ]
	[ "$(jq '.[0].packets' <<<"$output")" -eq "$(nft_counter "$NS_R" postrouting packets)" ]
	run "$NP" -j show netfilter netns "$NS_R" top 1 sort bytes
	[ "$(jq length <<<"$output")" -eq 1 ]
	[ "$(jq -r '.[0].hook' <<<"$output")" = "${want%% *}" ]
}

@test "show netfilter: usage errors exit 2, before the probe is looked for" {
	local args
	# Nothing attached: a usage error is still that; good keywords say "not attached".
	for args in "hook bogus" "family ipv5" "netns no-such-ns-here" "top 0" "top x" \
		"sort nope" "hook forward hook input" "netns" "bogus" "p"; do
		run "$NP" show netfilter $args
		echo "$args: $status $output"
		[ "$status" -eq 2 ]
	done
	run "$NP" -j show netfilter hook bogus
	[ "$status" -eq 2 ]
	jq -e '.error | test("hook")' <<<"$output"
	run "$NP" show netfilter hook p
	[ "$status" -eq 2 ]
	[[ "$output" == *ambiguous* ]]
	run "$NP" show netfilter hook forward
	[ "$status" -eq 1 ]
	[[ "$output" == *"not attached"* ]]
	# The synopsis is the table's.
	run "$NP" show netfilter help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Usage: netprobe show netfilter [netns NS] [family ipv4|ipv6] [hook prerouting|input|forward|output|postrouting] [sort packets|bytes] [top N]" ]]
}
