# shellcheck shell=bash
# What the benchmarks share; sourced by bench/*.sh.

# bench_veth_pair NS_A NS_B ADDR_A ADDR_B: two new network namespaces joined
# by a veth pair, a0 in NS_A and b0 in NS_B, with IPv4 addresses (/24) and
# nothing else: IPv6 off, static neighbours both ways (no ARP), so only the
# benchmark's own traffic crosses the pair.
bench_veth_pair() {
	local ns_a="$1" ns_b="$2" addr_a="$3" addr_b="$4" ns
	ip netns add "$ns_a"
	ip netns add "$ns_b"
	ip link add a0 netns "$ns_a" type veth peer name b0 netns "$ns_b"
	for ns in "$ns_a" "$ns_b"; do
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	done
	ip -n "$ns_a" addr add "$addr_a/24" dev a0
	ip -n "$ns_b" addr add "$addr_b/24" dev b0
	ip -n "$ns_a" link set a0 up
	ip -n "$ns_b" link set b0 up
	ip -n "$ns_a" neigh replace "$addr_b" dev a0 nud permanent \
		lladdr "$(ip -n "$ns_b" -j link show b0 | jq -r '.[0].address')"
	ip -n "$ns_b" neigh replace "$addr_a" dev b0 nud permanent \
		lladdr "$(ip -n "$ns_a" -j link show a0 | jq -r '.[0].address')"
}

# median: the median of the numbers on stdin, one a line.
median() {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
