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

@test "tc counters equal the kernel's interface counters, both directions" {
	np_in "$NS_A" attach a0
	# ARP first, so that the counted window holds only what we send.
	in_ns "$NS_A" ping -c 1 -W 1 10.77.0.2 >/dev/null
	local rxp rxb txp txb
	rxp=$(dev_counter "$NS_A" a0 rx packets); rxb=$(dev_counter "$NS_A" a0 rx bytes)
	txp=$(dev_counter "$NS_A" a0 tx packets); txb=$(dev_counter "$NS_A" a0 tx bytes)
	run np_in "$NS_A" -j show stats
	[ "$status" -eq 0 ]
	local np_rxp0 np_txp0 np_rxb0 np_txb0
	np_rxp0=$(jq '.[0].rx_packets' <<<"$output"); np_rxb0=$(jq '.[0].rx_bytes' <<<"$output")
	np_txp0=$(jq '.[0].tx_packets' <<<"$output"); np_txb0=$(jq '.[0].tx_bytes' <<<"$output")

	in_ns "$NS_A" ping -c 20 -i 0.01 -s 200 -q 10.77.0.2 >/dev/null
	for i in $(seq 30); do echo "datagram $i" ; done | in_ns "$NS_A" socat -u - UDP4-SENDTO:10.77.0.2:9999,sp=5555 || true
	in_ns "$NS_A" sh -c 'for i in $(seq 17); do printf "%0100d" 0 | socat -u - UDP4-SENDTO:10.77.0.2:9999; done'

	run np_in "$NS_A" -j show stats
	[ "$status" -eq 0 ]
	echo "$output"
	local d_rxp d_rxb d_txp d_txb
	d_rxp=$(( $(dev_counter "$NS_A" a0 rx packets) - rxp ))
	d_rxb=$(( $(dev_counter "$NS_A" a0 rx bytes) - rxb ))
	d_txp=$(( $(dev_counter "$NS_A" a0 tx packets) - txp ))
	d_txb=$(( $(dev_counter "$NS_A" a0 tx bytes) - txb ))
	echo "kernel deltas: rx $d_rxp/$d_rxb tx $d_txp/$d_txb"
	[ "$d_txp" -ge 37 ]
	[ $(( $(jq '.[0].rx_packets' <<<"$output") - np_rxp0 )) -eq "$d_rxp" ]
	[ $(( $(jq '.[0].rx_bytes' <<<"$output") - np_rxb0 )) -eq "$d_rxb" ]
	[ $(( $(jq '.[0].tx_packets' <<<"$output") - np_txp0 )) -eq "$d_txp" ]
	[ $(( $(jq '.[0].tx_bytes' <<<"$output") - np_txb0 )) -eq "$d_txb" ]
}
