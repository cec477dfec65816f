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
	local h0tx k0tx
	k0tx=$(dev_counter "$NS_A" h0 tx packets)
	h0tx=$(np_in "$NS_A" -j show stats dev h0 | jq '.[0].tx_packets')
	in_ns "$NS_A" ping -c 3 -i 0.01 -q 10.77.0.2 >/dev/null
	[ $(( $(np_in "$NS_A" -j show stats dev h0 | jq '.[0].tx_packets') - h0tx )) -eq \
		$(( $(dev_counter "$NS_A" h0 tx packets) - k0tx )) ]
	for dev in h0 a0; do
		local peer
		peer=$( [ "$dev" = h0 ] && echo 10.78.0.2 || echo 10.77.0.2)
		np_zeroed_within "$NS_A" "$dev" np_in "$NS_A" flush stats dev "$dev"
		in_ns "$NS_A" ping -c 10 -i 0.01 -q "$peer" >/dev/null
		np_in "$NS_A" -j show stats dev "$dev" | jq -e '.[0].tx_packets >= 10'
		# A detach forgets the counters: a new attach starts from 0.
		np_in "$NS_A" detach "$dev" >/dev/null
		np_zeroed_within "$NS_A" "$dev" np_in "$NS_A" attach "$dev"
	done
}

# b0_rx_reached N: b0's kernel rx packet counter is at N or more.
b0_rx_reached() {
	[ "$(dev_counter "$NS_B" b0 rx packets)" -ge "$1" ]
}

# proto_rows DIRECTION: "l3 l4 packets bytes" of b0's show stats proto rows.
proto_rows() {
	np_in "$NS_B" -j show stats proto dev b0 |
		jq -r --arg d "$1" '.[] | select(.direction == $d) | "\(.l3) \(.l4) \(.packets) \(.bytes)"' |
		sort
}

@test "show stats proto: packets and bytes per protocol equal tshark's protocol hierarchy of the same captures" {
	skip_unless_cmd tshark tcpreplay
	local files=(icmp_echo_tunnel ipv6_http_tcp_udp mixed_v4v6_http_dns vlan8021q_tcp
		vxlan4789_vni100_icmp synflood_spoofed_src_500 tcp_ssh_sessions)
	local paths=() f mode
	for f in "${files[@]}"; do paths+=("$NP_DATA/pcaps/$f.pcap"); done
	# Some captured frames are larger than 1500 bytes (offloads): room for them.
	ip -n "$NS_A" link set a0 mtu 65535
	ip -n "$NS_B" link set b0 mtu 65535
	"$BATS_TEST_DIRNAME/../tools/phs-classes" "${paths[@]}" | sort >"$BATS_TEST_TMPDIR/phs"
	cat "$BATS_TEST_TMPDIR/phs"
	# Every class the captures have, and none of the rest is left out by accident.
	[ "$(wc -l <"$BATS_TEST_TMPDIR/phs")" -ge 7 ]
	local total
	total=$(awk '{ s += $3 } END { print s }' "$BATS_TEST_TMPDIR/phs")
	for mode in tc xdp; do
		local k0 k1 sent
		k0=$(dev_counter "$NS_B" b0 rx packets)
		np_in "$NS_B" attach b0 "$mode" >/dev/null
		for f in "${paths[@]}"; do pcap_replay "$NS_A" a0 "$f"; done
		np_wait_for 10 b0_rx_reached $((k0 + total))
		k1=$(dev_counter "$NS_B" b0 rx packets)
		proto_rows rx >"$BATS_TEST_TMPDIR/np.$mode"
		echo "== $mode"
		cat "$BATS_TEST_TMPDIR/np.$mode"
		diff "$BATS_TEST_TMPDIR/phs" "$BATS_TEST_TMPDIR/np.$mode"
		# The classes add up to the interface counter, and to show stats' rx.
		sent=$(awk '{ s += $3 } END { print s }' "$BATS_TEST_TMPDIR/np.$mode")
		[ "$sent" -eq $((k1 - k0)) ]
		[ "$(np_in "$NS_B" -j show stats dev b0 | jq '.[0].rx_packets')" -eq "$sent" ]
		# Prometheus: every class of every direction, zeros included, same values.
		run np_in "$NS_B" --prom show stats proto dev b0
		[ "$status" -eq 0 ]
		local ndir plain
		ndir=$([ "$mode" = tc ] && echo 2 || echo 1)
		plain=$(np_prom_plain <<<"$output")
		[ "$(grep -c '^netprobe_interface_protocol_packets_total{' <<<"$plain")" -eq $((10 * ndir)) ]
		while read -r l3 l4 p b; do
			grep -qx "netprobe_interface_protocol_packets_total{interface=\"b0\",direction=\"rx\",l3=\"$l3\",l4=\"$l4\"} $p" <<<"$plain"
			grep -qx "netprobe_interface_protocol_bytes_total{interface=\"b0\",direction=\"rx\",l3=\"$l3\",l4=\"$l4\"} $b" <<<"$plain"
		done <"$BATS_TEST_TMPDIR/phs"
		if command -v promtool >/dev/null; then promtool check metrics <<<"$output"; fi
		np_in "$NS_B" detach b0 >/dev/null
	done
	# Plain text: a header and the same rows.
	np_in "$NS_B" attach b0 >/dev/null
	pcap_replay "$NS_A" a0 "$NP_DATA/pcaps/synflood_spoofed_src_500.pcap"
	run np_in "$NS_B" -n show stats proto
	[ "$status" -eq 0 ]
	echo "$output"
	grep -q '^INTERFACE  *DIR  *L3  *L4  *PACKETS  *BYTES' <<<"$output"
	grep -Eq '^b0 +rx +ipv4 +tcp +498 +29416$' <<<"$output"
	grep -Eq '^b0 +rx +arp +none +2 +102$' <<<"$output"
	# Usage errors.
	run np_in "$NS_B" show stats proto interval 1
	[ "$status" -eq 2 ]
	[[ "$output" == *"show stats proto: one snapshot"* ]]
}

@test "show stats interval: utilization is each rate as a share of the link speed ethtool reports; null without one" {
	skip_unless_cmd ethtool
	ip -n "$NS_A" link add br7 type bridge
	ip -n "$NS_A" link set br7 up
	np_in "$NS_A" attach a0 >/dev/null
	np_in "$NS_A" attach br7 >/dev/null
	local mbps
	mbps=$(in_ns "$NS_A" ethtool a0 | sed -n 's/^\tSpeed: \([0-9]*\)Mb\/s$/\1/p')
	[ -n "$mbps" ]
	in_ns "$NS_A" ethtool br7 | grep -q 'Speed: Unknown'
	in_ns "$NS_A" ping -c 40 -i 0.01 -s 1000 -q 10.77.0.2 >/dev/null &
	local ping=$!
	run np_in "$NS_A" -j show stats interval 0.2 count 2
	wait "$ping" || true
	[ "$status" -eq 0 ]
	echo "$output"
	# a0: the speed ethtool says, and each share is its byte rate in bits over it.
	jq -se --argjson bps "$((mbps * 1000000))" '[.[] | select(.interface == "a0")] |
		length == 2 and all(.[]; .link_speed_bps == $bps and
			((.tx_utilization - .tx_bytes_rate * 8 / $bps) | fabs) < 1e-12 and
			((.rx_utilization - .rx_bytes_rate * 8 / $bps) | fabs) < 1e-12) and
		any(.[]; .tx_utilization > 0)' <<<"$output"
	# br7 reports no speed: no share either.
	jq -se '[.[] | select(.interface == "br7")] | length == 2 and
		all(.[]; .link_speed_bps == null and .rx_utilization == null and .tx_utilization == null)' <<<"$output"
	# Plain text: percentages, "-" without a speed.
	run np_in "$NS_A" show stats interval 0.1 count 1
	[ "$status" -eq 0 ]
	grep -q 'RX UTIL  *TX UTIL$' <<<"${lines[0]}"
	grep -Eq '^a0 .* [0-9]+\.[0-9]%  *[0-9]+\.[0-9]%$' <<<"$output"
	grep -Eq '^br7 .* -  *-$' <<<"$output"
}
