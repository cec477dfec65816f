#!/usr/bin/env bats
# Output contracts: JSON always parses, Prometheus output passes promtool,
# a reader that leaves early (| head) ends netprobe quietly.

load helpers

setup() {
	np_setup_root
	np_veth_pair
	np_in "$NS_A" attach a0 >/dev/null
	in_ns "$NS_A" ping -c 3 -i 0.01 -q 10.77.0.2 >/dev/null
}

teardown() {
	np_teardown
}

@test "--json and --pretty output of every read command parses with jq" {
	for cmd in "show stats" "status" "dump" "dump maps" "feature" "version"; do
		# shellcheck disable=SC2086
		np_in "$NS_A" -j $cmd | json_valid
		# shellcheck disable=SC2086
		np_in "$NS_A" -p $cmd | json_valid
	done
	np_in "$NS_A" -j show stats | jq -e 'type == "array" and (.[0] | has("interface", "ifindex", "rx_packets", "rx_bytes", "tx_packets", "tx_bytes"))'
}

@test "--prom output passes promtool check metrics" {
	skip_unless_cmd promtool
	run np_in "$NS_A" --prom show stats
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "$(np_prom_plain <<<"$output")" == *'netprobe_interface_rx_packets_total{interface="a0"}'* ]]
	promtool check metrics <<<"$output"
	np_in "$NS_A" --prom feature | promtool check metrics
}

@test "show stats | head -1 ends quietly" {
	local err
	err=$(mktemp)
	set -o pipefail
	np_in "$NS_A" show stats 2>"$err" | head -1 >/dev/null
	[ ! -s "$err" ]
	# A long output (interval rows) into a closed pipe: exit 0, nothing on stderr.
	np_in "$NS_A" dump 2>"$err" | head -1 >/dev/null
	np_in "$NS_A" show stats interval 0.01 count 2000 2>"$err" | head -2 >/dev/null
	[ ! -s "$err" ]
	rm -f "$err"
	run np_in "$NS_A" -j status
	[ "$(jq '.attachments | length' <<<"$output")" -eq 2 ]
}

@test "plain output is aligned columns with human units; -n gives exact numbers" {
	run np_in "$NS_A" show stats
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == INTERFACE*"RX PACKETS"*"RX BYTES"*"TX PACKETS"*"TX BYTES" ]]
	[[ "${lines[1]}" == a0* ]]
	[[ "${lines[1]}" == *" B"* ]]
	run np_in "$NS_A" -n show stats
	[[ "${lines[1]}" != *" B"* ]]
}

@test "unit conversions: -n bytes equal JSON bytes" {
	local j p
	j=$(np_in "$NS_A" -j show stats | jq '.[0].tx_bytes')
	p=$(np_in "$NS_A" -n show stats | awk 'NR == 2 { print $5 }')
	[ "$j" = "$p" ]
}
