#!/usr/bin/env bats
# attach / detach / status: idempotence, modes, defunct devices, nothing left behind.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	np_setup_root
	np_veth_pair
}

teardown() {
	np_teardown
}

# Program ids of netprobe's programs currently loaded in the kernel.
np_prog_ids() {
	bpftool -j prog show | jq -r '.[] | select(.name | test("^np_")) | .id' | sort -n
}

@test "attach twice: same programs and links, second run changes nothing" {
	run np_in "$NS_A" -j attach a0
	[ "$status" -eq 0 ]
	local first
	first=$(jq -c '[.[] | {hook, prog_id, link_id}]' <<<"$output")
	[ "$(jq '[.[] | select(.state == "attached")] | length' <<<"$output")" -eq 2 ]
	run np_in "$NS_A" -j attach a0
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.[] | {hook, prog_id, link_id}]' <<<"$output")" = "$first" ]
	[ "$(jq '[.[] | select(.state == "unchanged")] | length' <<<"$output")" -eq 2 ]
	# The kernel holds exactly one link per direction for our programs.
	local progs links
	progs=$(jq -c '[.[].prog_id]' <<<"$output")
	links=$(bpftool -j link show | jq --argjson p "$progs" '[.[] | select(.prog_id as $i | $p | index($i))] | length')
	[ "$links" -eq 2 ]
	run np_in "$NS_A" -j status
	[ "$(jq '.attachments | length' <<<"$output")" -eq 2 ]
	[ "$(jq -r '[.attachments[].mode] | unique | .[]' <<<"$output")" = tcx ]
}

@test "detach removes every program, link and pin; detaching again is fine" {
	np_in "$NS_A" attach a0 >/dev/null
	local ids
	ids=$(np_in "$NS_A" -j status | jq -r '.attachments[].prog_id')
	[ -n "$ids" ]
	run np_in "$NS_A" -j detach a0
	[ "$status" -eq 0 ]
	[ "$(jq 'length' <<<"$output")" -eq 2 ]
	np_root_empty
	for id in $ids; do
		run bpftool prog show id "$id"
		[ "$status" -ne 0 ]
	done
	[ -z "$(in_ns "$NS_A" tc filter show dev a0 ingress)" ]
	run np_in "$NS_A" -j detach a0
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
}

@test "clsact fallback: counts, and detach removes the qdisc netprobe made" {
	run np_in "$NS_A" -j attach a0 tc-mode clsact
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[0].mode' <<<"$output")" = clsact ]
	in_ns "$NS_A" tc filter show dev a0 ingress | grep -q 'np_tc_ingress'
	in_ns "$NS_A" ping -c 1 -W 1 10.77.0.2 >/dev/null
	local rx0 np0
	rx0=$(dev_counter "$NS_A" a0 rx packets)
	np0=$(np_in "$NS_A" -j show stats | jq '.[0].rx_packets')
	in_ns "$NS_A" ping -c 7 -i 0.01 -q 10.77.0.2 >/dev/null
	[ $(( $(np_in "$NS_A" -j show stats | jq '.[0].rx_packets') - np0 )) -eq \
	  $(( $(dev_counter "$NS_A" a0 rx packets) - rx0 )) ]
	np_in "$NS_A" detach a0 >/dev/null
	[ -z "$(in_ns "$NS_A" tc qdisc show dev a0 clsact)" ]
}

@test "clsact fallback keeps a qdisc and filters netprobe did not make" {
	in_ns "$NS_A" tc qdisc add dev a0 clsact
	in_ns "$NS_A" tc filter add dev a0 ingress prio 7 protocol all u32 match u32 0 0
	np_in "$NS_A" attach a0 tc-mode clsact >/dev/null
	np_in "$NS_A" detach a0 >/dev/null
	in_ns "$NS_A" tc qdisc show dev a0 | grep -q clsact
	in_ns "$NS_A" tc filter show dev a0 ingress | grep -q u32
	! in_ns "$NS_A" tc filter show dev a0 ingress | grep -q np_tc
}

@test "xdp: counts received frames like the device, and says its mode" {
	run np_in "$NS_B" -q -j attach b0 xdp mode generic
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[0].mode' <<<"$output")" = generic ]
	in_ns "$NS_A" ping -c 1 -W 1 10.77.0.2 >/dev/null
	local rx0 rxb0 np0 npb0
	rx0=$(dev_counter "$NS_B" b0 rx packets); rxb0=$(dev_counter "$NS_B" b0 rx bytes)
	run np_in "$NS_B" -j show stats
	np0=$(jq '.[0].rx_packets' <<<"$output"); npb0=$(jq '.[0].rx_bytes' <<<"$output")
	[ "$(jq -r '.[0].rx_hook' <<<"$output")" = xdp ]
	in_ns "$NS_A" ping -c 9 -i 0.01 -s 300 -q 10.77.0.2 >/dev/null
	run np_in "$NS_B" -j show stats
	[ $(( $(jq '.[0].rx_packets' <<<"$output") - np0 )) -eq $(( $(dev_counter "$NS_B" b0 rx packets) - rx0 )) ]
	[ $(( $(jq '.[0].rx_bytes' <<<"$output") - npb0 )) -eq $(( $(dev_counter "$NS_B" b0 rx bytes) - rxb0 )) ]
	# Plain text shows what tells rows apart once XDP counts: its counters, the hook.
	[[ "$(np_in "$NS_B" show stats | head -1)" == *"XDP PACKETS"*"XDP BYTES"* ]]
	np_in "$NS_B" attach b0 >/dev/null
	in_ns "$NS_A" ping -c 2 -i 0.01 -q 10.77.0.2 >/dev/null
	[[ "$(np_in "$NS_B" show flows | head -1)" == *" HOOK "* ]]
	[ "$(np_in "$NS_B" -j show flows | jq -r '[.[].hook] | unique | join(" ")')" = "tc xdp" ]
}

@test "xdp on a veth warns about GRO; native mode is used when the driver has it" {
	run np_in "$NS_B" attach b0 xdp
	[ "$status" -eq 0 ]
	[[ "$output" == *"veth"*"GRO"* ]]
	[ "$(np_in "$NS_B" -j status | jq -r '.attachments[] | select(.hook == "xdp") | .mode')" = native ]
}

@test "a device that vanished: status says defunct, detach cleans, attach works again" {
	np_in "$NS_A" attach a0 >/dev/null
	ip -n "$NS_A" link del a0
	run np_in "$NS_A" -j status
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.attachments[].state] | unique | .[]' <<<"$output")" = defunct ]
	run np_in "$NS_A" -j detach a0
	[ "$status" -eq 0 ]
	[ "$(jq 'length' <<<"$output")" -eq 2 ]
	np_root_empty
}

@test "a device recreated under the same name is re-attached, not reported unchanged" {
	np_in "$NS_A" attach a0 >/dev/null
	ip -n "$NS_A" link del a0
	ip link add a0 netns "$NS_A" type veth peer name b0 netns "$NS_B"
	ip -n "$NS_A" link set a0 up
	run --separate-stderr np_in "$NS_A" -j attach a0
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.[].state] | unique | .[]' <<<"$output")" = attached ]
	[[ "$stderr" == *"a0 is gone"* ]]
	[ "$(np_in "$NS_A" -j status | jq -r '[.attachments[].state] | unique | .[]')" = ok ]
}

@test "state lives in the pins: a separate invocation reads the same counters" {
	np_in "$NS_A" attach a0 >/dev/null
	in_ns "$NS_A" ping -c 3 -i 0.01 -q 10.77.0.2 >/dev/null
	local a b
	a=$(np_in "$NS_A" -j show stats | jq -c '.[0] | {tx_packets, tx_bytes}')
	b=$(np_in "$NS_A" -j show stats | jq -c '.[0] | {tx_packets, tx_bytes}')
	[ "$a" = "$b" ]
	[ "$(jq .tx_packets <<<"$a")" -ge 3 ]
}

@test "pins are private: directories are 0700" {
	np_in "$NS_A" attach a0 >/dev/null
	[ "$(stat -c %a "$NETPROBE_PIN_ROOT")" = 700 ]
	[ "$(stat -c %a "$NETPROBE_PIN_ROOT/maps")" = 700 ]
	[ "$(stat -c %a "$NETPROBE_PIN_ROOT/links/a0")" = 700 ]
}

@test "flush stats zeroes the counters and keeps the hooks" {
	np_in "$NS_A" attach a0 >/dev/null
	in_ns "$NS_A" ping -c 3 -i 0.01 -q 10.77.0.2 >/dev/null
	np_in "$NS_A" flush stats
	local tx0
	tx0=$(dev_counter "$NS_A" a0 tx packets)
	in_ns "$NS_A" ping -c 4 -i 0.01 -q 10.77.0.2 >/dev/null
	[ "$(np_in "$NS_A" -j show stats | jq '.[0].tx_packets')" -eq $(( $(dev_counter "$NS_A" a0 tx packets) - tx0 )) ]
}

@test "show stats interval gives rates from two samples" {
	np_in "$NS_A" attach a0 >/dev/null
	in_ns "$NS_A" ping -c 40 -i 0.05 -q 10.77.0.2 >/dev/null &
	local pid=$!
	run np_in "$NS_A" -j show stats dev a0 interval 0.5 count 2
	wait "$pid"
	[ "$status" -eq 0 ]
	# JSON Lines: one object per sample, each on its own line as it comes.
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -s 'length' <<<"$output")" -eq 2 ]
	jq -e 'select(.tx_packets_rate > 0 and .time != null)' <<<"${lines[0]}"
	run np_in "$NS_A" --prom show stats interval 1
	[ "$status" -eq 2 ]
}

@test "device names with a dot (VLAN devices, flannel.1) attach, show and detach" {
	ip link add link a0 name a0.100 netns "$NS_A" type vlan id 100 2>/dev/null ||
		ip link add a0.100 netns "$NS_A" type veth peer name b0.100 netns "$NS_B"
	ip -n "$NS_A" link set a0.100 up
	run np_in "$NS_A" -j attach a0.100
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[0].interface' <<<"$output")" = a0.100 ]
	run np_in "$NS_A" -j status
	[ "$(jq -r '[.attachments[] | select(.interface == "a0.100") | .state] | unique | .[]' <<<"$output")" = ok ]
	np_in "$NS_A" -j show stats dev a0.100 | jq -e '.[0].interface == "a0.100"'
	run np_in "$NS_A" -j detach a0.100
	[ "$(jq 'length' <<<"$output")" -eq 2 ]
	np_root_empty
}

# layout_of FEATURE-INDEX: the layout np_layouts holds for a feature (enum np_feature).
layout_of() {
	# np_layouts has BTF: bpftool prints {"key": N, "value": N}.
	bpftool -j map lookup pinned "$NETPROBE_PIN_ROOT/maps/np_layouts" key "$1" 0 0 0 |
		jq '.formatted.value // .value'
}

# src_layout NAME: NP_LAYOUT_<NAME> as bpf/netprobe.h defines it.
src_layout() {
	sed -n "s/^#define NP_LAYOUT_$1[[:space:]]*\([0-9]*\).*/\1/p" \
		"$BATS_TEST_DIRNAME/../../bpf/netprobe.h"
}

@test "each feature has its own layout: vxlan pins of another one stop vxlan only, until detached" {
	np_in "$NS_A" attach a0 >/dev/null
	np_in "$NS_A" attach a0 vxlan >/dev/null
	# What attach recorded: tc/xdp (0) and vxlan (1) at this netprobe's layouts.
	[ "$(layout_of 0)" -eq "$(src_layout TRAFFIC)" ]
	[ "$(layout_of 1)" -eq "$(src_layout VXLAN)" ]
	[ "$(layout_of 2)" -eq 0 ]
	# As a netprobe whose vxlan maps had layout 99 would have left them.
	bpftool map update pinned "$NETPROBE_PIN_ROOT/maps/np_layouts" key 1 0 0 0 value 99 0 0 0
	# tc still counts and reads: what it counts is what the kernel counts.
	run np_in "$NS_A" -j show stats
	[ "$status" -eq 0 ]
	local n0 d0
	n0=$(jq '.[0].tx_packets' <<<"$(np_in "$NS_A" -j show stats 2>/dev/null)")
	d0=$(dev_counter "$NS_A" a0 tx packets)
	ip netns exec "$NS_A" ping -c 3 -i 0.2 -q 10.77.0.2 >/dev/null
	[ $(( $(jq '.[0].tx_packets' <<<"$(np_in "$NS_A" -j show stats 2>/dev/null)") - n0 )) -eq \
		$(( $(dev_counter "$NS_A" a0 tx packets) - d0 )) ]
	run np_in "$NS_A" -j show flows
	[ "$status" -eq 0 ]
	[ "$(jq 'length' <<<"$(np_in "$NS_A" -j show flows 2>/dev/null)")" -gt 0 ]
	# vxlan's maps are neither read nor reused, and the message says what to do.
	run np_in "$NS_A" show vxlan
	[ "$status" -eq 1 ]
	[[ "$output" == *"vxlan pins"*"layout 99"*"detach"* ]]
	run np_in "$NS_A" attach a0 vxlan
	[ "$status" -eq 1 ]
	[[ "$output" == *"Error: the vxlan pins"*"detach DEV vxlan"* ]]
	[ -e "$NETPROBE_PIN_ROOT/maps/np_vxlan_flows" ]
	# Detaching vxlan removes its maps and its layout; tc keeps its own.
	run np_in "$NS_A" detach a0 vxlan
	[ "$status" -eq 0 ]
	[ -z "$(ls "$NETPROBE_PIN_ROOT/maps" | grep '^np_vxlan_')" ]
	[ -e "$NETPROBE_PIN_ROOT/maps/np_flows" ]
	[ "$(layout_of 1)" -eq 0 ]
	[ "$(layout_of 0)" -eq "$(src_layout TRAFFIC)" ]
	run np_in "$NS_A" attach a0 vxlan
	[ "$status" -eq 0 ]
	[ "$(layout_of 1)" -eq "$(src_layout VXLAN)" ]
	run np_in "$NS_A" -j show vxlan
	[ "$status" -eq 0 ]
	[[ "$output" != *"layout 99"* ]]
}
