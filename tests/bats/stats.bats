#!/usr/bin/env bats
# show stats against the kernel's own interface counters.

load helpers

setup() {
	np_setup_root
	np_veth_pair
}

teardown() {
	np_teardown
}

# counters_match DEV PEER: traffic from $NS_A's DEV to PEER moves netprobe's
# counters of DEV exactly as much as the kernel's interface counters.
counters_match() {
	local dev="$1" peer="$2"
	# ARP first, so that the counted window holds only what we send.
	in_ns "$NS_A" ping -c 1 -W 1 "$peer" >/dev/null
	local rxp rxb txp txb
	rxp=$(dev_counter "$NS_A" "$dev" rx packets); rxb=$(dev_counter "$NS_A" "$dev" rx bytes)
	txp=$(dev_counter "$NS_A" "$dev" tx packets); txb=$(dev_counter "$NS_A" "$dev" tx bytes)
	run np_in "$NS_A" -j show stats dev "$dev"
	[ "$status" -eq 0 ]
	local np_rxp0 np_txp0 np_rxb0 np_txb0
	np_rxp0=$(jq '.[0].rx_packets' <<<"$output"); np_rxb0=$(jq '.[0].rx_bytes' <<<"$output")
	np_txp0=$(jq '.[0].tx_packets' <<<"$output"); np_txb0=$(jq '.[0].tx_bytes' <<<"$output")

	in_ns "$NS_A" ping -c 20 -i 0.01 -s 200 -q "$peer" >/dev/null
	for i in $(seq 30); do echo "datagram $i" ; done | in_ns "$NS_A" socat -u - UDP4-SENDTO:"$peer":9999,sp=5555 || true
	in_ns "$NS_A" sh -c 'for i in $(seq 17); do printf "%0100d" 0 | socat -u - UDP4-SENDTO:'"$peer"':9999; done'

	run np_in "$NS_A" -j show stats dev "$dev"
	[ "$status" -eq 0 ]
	echo "$output"
	local d_rxp d_rxb d_txp d_txb
	d_rxp=$(( $(dev_counter "$NS_A" "$dev" rx packets) - rxp ))
	d_rxb=$(( $(dev_counter "$NS_A" "$dev" rx bytes) - rxb ))
	d_txp=$(( $(dev_counter "$NS_A" "$dev" tx packets) - txp ))
	d_txb=$(( $(dev_counter "$NS_A" "$dev" tx bytes) - txb ))
	echo "kernel deltas: rx $d_rxp/$d_rxb tx $d_txp/$d_txb"
	[ "$d_txp" -ge 37 ]
	[ $(( $(jq '.[0].rx_packets' <<<"$output") - np_rxp0 )) -eq "$d_rxp" ]
	[ $(( $(jq '.[0].rx_bytes' <<<"$output") - np_rxb0 )) -eq "$d_rxb" ]
	[ $(( $(jq '.[0].tx_packets' <<<"$output") - np_txp0 )) -eq "$d_txp" ]
	[ $(( $(jq '.[0].tx_bytes' <<<"$output") - np_txb0 )) -eq "$d_txb" ]
}

@test "tc counters equal the kernel's interface counters, both directions" {
	np_in "$NS_A" attach a0
	counters_match a0 10.77.0.2
}

# Devices below ifindex 1024 count in an array slot, the others in a hash:
# both kinds side by side, and what flush and detach do to each.
@test "a device with a high ifindex counts as exactly, and flush and detach zero it" {
	ip link add h0 index 4000 netns "$NS_A" type veth peer name h1 index 4001 netns "$NS_B"
	ip netns exec "$NS_A" sysctl -qw net.ipv6.conf.h0.disable_ipv6=1
	ip netns exec "$NS_B" sysctl -qw net.ipv6.conf.h1.disable_ipv6=1
	ip -n "$NS_A" addr add 10.78.0.1/24 dev h0
	ip -n "$NS_B" addr add 10.78.0.2/24 dev h1
	ip -n "$NS_A" link set h0 up
	ip -n "$NS_B" link set h1 up
	[ "$(ip -n "$NS_A" -j link show h0 | jq '.[0].ifindex')" -eq 4000 ]
	[ "$(ip -n "$NS_A" -j link show a0 | jq '.[0].ifindex')" -lt 1024 ]
	np_in "$NS_A" attach h0
	np_in "$NS_A" attach a0
	counters_match h0 10.78.0.2
	counters_match a0 10.77.0.2
	# Each device's own: a0's traffic did not move h0's counters.
	local h0tx
	h0tx=$(np_in "$NS_A" -j show stats dev h0 | jq '.[0].tx_packets')
	in_ns "$NS_A" ping -c 3 -i 0.01 -q 10.77.0.2 >/dev/null
	[ "$(np_in "$NS_A" -j show stats dev h0 | jq '.[0].tx_packets')" -eq "$h0tx" ]
	for dev in h0 a0; do
		np_in "$NS_A" flush stats dev "$dev" >/dev/null
		np_in "$NS_A" -j show stats dev "$dev" |
			jq -e '.[0] | .tx_packets == 0 and .tx_bytes == 0'
		in_ns "$NS_A" ping -c 2 -i 0.01 -q "$( [ "$dev" = h0 ] && echo 10.78.0.2 || echo 10.77.0.2)" >/dev/null
		np_in "$NS_A" -j show stats dev "$dev" | jq -e '.[0].tx_packets >= 2'
		# A detach forgets the counters: a new attach starts from 0.
		np_in "$NS_A" detach "$dev" >/dev/null
		np_in "$NS_A" attach "$dev" >/dev/null
		np_in "$NS_A" -j show stats dev "$dev" | jq -e '.[0] | .tx_packets == 0 and .rx_packets == 0'
	done
}
