#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr, stderr_lines: set by bats' run
# show topology and what it reads from Flannel's subnet.env: a path that is
# a FIFO, a device, too big or a symlink is refused with a warning instead of
# hanging; invalid values are warned about and left out; the output stays
# valid JSON and the rest of the topology is still there.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	np_setup_root
	np_netns topo >/dev/null
	NS="topo-$NP_SUFFIX"
	# A vxlan device of its own, so there is a topology besides subnet.env.
	ip -n "$NS" link add vx0 type vxlan id 42 dstport 4789 local 127.0.0.1
	ip -n "$NS" link set vx0 up
	ENV="$BATS_TEST_TMPDIR/subnet.env"
}

teardown() {
	np_teardown
}

# topology PATH [FORMAT]: show topology with subnet.env at PATH, bounded by a
# timeout so that a hang fails; sets status, output (stdout), stderr and
# stderr_lines.
topology() {
	NETPROBE_FLANNEL_SUBNET_ENV="$1" run --separate-stderr \
		timeout -s KILL 10 nsenter --net="/run/netns/$NS" "$NP" ${2:+"$2"} show topology
	echo "subnet.env $1 ${2:-}: status $status"
	echo "stdout: $output"
	echo "stderr: $stderr"
}

@test "show topology: a FIFO, /dev/zero, a directory, a big file, a symlink are refused, not hung on" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	head -c 70000 /dev/zero | tr '\0' '#' >"$BATS_TEST_TMPDIR/big"
	printf 'FLANNEL_MTU=1450\n' >"$ENV"
	ln -s "$ENV" "$BATS_TEST_TMPDIR/link"
	local path fmt
	for path in "$BATS_TEST_TMPDIR/fifo" /dev/zero "$BATS_TEST_TMPDIR" \
		"$BATS_TEST_TMPDIR/big" "$BATS_TEST_TMPDIR/link"; do
		for fmt in "" -j --prom; do
			topology "$path" $fmt
			[ "$status" -eq 0 ]
			[[ "$stderr" == "Warning: subnet.env $path: "*"; ignored" ]]
			[ "${#stderr_lines[@]}" -eq 1 ]
		done
		topology "$path" -j
		jq -e '.subnet_env == null and .vxlan_devices[0].interface == "vx0"' <<<"$output"
	done
	# -q silences the warning, not the command.
	topology "$BATS_TEST_TMPDIR/fifo" -jq
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	jq -e . <<<"$output"
}

@test "show topology: invalid subnet.env values are warned about and left out" {
	printf '%s\n' 'FLANNEL_NETWORK=10.244.0.0/16,10.245.0.0/16' 'FLANNEL_SUBNET=10.0.0.0/33' \
		'FLANNEL_IPV6_NETWORK=999.1.1.1/8' 'FLANNEL_MTU=-5' 'FLANNEL_IPMASQ=yes' \
		'not a line' >"$ENV"
	topology "$ENV" -j
	[ "$status" -eq 0 ]
	jq -e . <<<"$output"
	jq -e '.network == "10.244.0.0/16,10.245.0.0/16" and .local_subnet == null and
		(has("mtu", "ipmasq", "ipv6_network") | not) and .vxlan_devices[0].vni == 42' <<<"$output"
	[ "${#stderr_lines[@]}" -eq 5 ]
	[[ "$stderr" == *"line 2: FLANNEL_SUBNET='10.0.0.0/33' is not an IPv4 CIDR"* ]]
	[[ "$stderr" == *"line 3: FLANNEL_IPV6_NETWORK='999.1.1.1/8'"* ]]
	[[ "$stderr" == *"line 4: FLANNEL_MTU='-5' is not an MTU from 68 to 65535"* ]]
	[[ "$stderr" == *"line 5: FLANNEL_IPMASQ='yes' is not true or false"* ]]
	[[ "$stderr" == *"line 6: 'not a line' is not KEY=VALUE"* ]]
	# 999.1.1.1 as the node's subnet, too.
	printf 'FLANNEL_SUBNET=999.1.1.1/24\nFLANNEL_MTU=1450\n' >"$ENV"
	topology "$ENV" -j
	[ "$status" -eq 0 ]
	jq -e '.local_subnet == null and .mtu == 1450' <<<"$output"
	[[ "$stderr" == *"FLANNEL_SUBNET='999.1.1.1/24'"* ]]
}

@test "show topology: bytes that are not UTF-8 give valid JSON and an escaped warning" {
	printf 'FLANNEL_SUBNET=10.\xff\xfe.0.0/16\nFLANNEL_NETWORK=10.244.0.0/16\nFOO=\xff\n\xc3\x28=1\n' >"$ENV"
	topology "$ENV" -j
	[ "$status" -eq 0 ]
	jq -e '.network == "10.244.0.0/16" and .local_subnet == null' <<<"$output"
	[[ "$stderr" == *"FLANNEL_SUBNET='10.\\xff\\xfe.0.0/16'"* ]]
	[[ "$stderr" == *"'\\xc3(=1' is not KEY=VALUE"* ]]
	# A path that is not UTF-8: escaped in JSON, not a key without a value.
	local odd="$BATS_TEST_TMPDIR/sub"$'\xff'".env"
	printf 'FLANNEL_MTU=1400\n' >"$odd"
	topology "$odd" -j
	[ "$status" -eq 0 ]
	jq -e '(.subnet_env | endswith("/sub\\xff.env")) and .mtu == 1400' <<<"$output"
	topology "$odd" -p
	jq -e . <<<"$output"
}

@test "show topology: a good subnet.env is read as before" {
	printf 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_IPV6_NETWORK="fd00:10:244::/56"\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n' >"$ENV"
	topology "$ENV" -j
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	jq -e '.local_subnet == "10.244.1.1/24" and .ipv6_network == "fd00:10:244::/56" and
		.mtu == 1450 and .ipmasq == true' <<<"$output"
	topology "$BATS_TEST_TMPDIR/none" -j
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	jq -e '.subnet_env == null' <<<"$output"
}

@test "show topology: pod_cidr and gateways are lists of strings, as ip(8) routes them; one name, one type" {
	skip_unless_cmd bridge
	# A remote VTEP with two pod CIDRs through one gateway, as Flannel sets a
	# node up, and a third CIDR through a second gateway on the same VTEP.
	bridge -n "$NS" fdb append 02:fa:00:00:00:02 dev vx0 dst 127.0.0.2
	ip -n "$NS" neigh replace 10.1.2.0 lladdr 02:fa:00:00:00:02 dev vx0 nud permanent
	ip -n "$NS" neigh replace 10.1.3.0 lladdr 02:fa:00:00:00:02 dev vx0 nud permanent
	ip -n "$NS" route add 10.1.2.0/24 via 10.1.2.0 dev vx0 onlink
	ip -n "$NS" route add 10.9.2.0/24 via 10.1.2.0 dev vx0 onlink
	ip -n "$NS" route add 10.1.3.0/24 via 10.1.3.0 dev vx0 onlink
	topology "$BATS_TEST_TMPDIR/none" -j
	[ "$status" -eq 0 ]
	local routes
	routes=$(ip -n "$NS" -j route show dev vx0 | jq -c '[.[] | select(.gateway)]')
	# The VTEP's CIDRs and gateways: the routes via the gateways its MAC answers for.
	jq -e --argjson r "$routes" '.remote_vteps | length == 1 and
		(.[0].pod_cidr | type == "array" and all(type == "string") and
			sort == ($r | map(.dst) | sort)) and
		(.[0].gateway | type == "array" and sort == ($r | map(.gateway) | unique))' <<<"$output"
	[ "$(jq '$r | length' --argjson r "$routes" -n)" -eq 3 ]
	# A route is one CIDR: a list of one, as pod_cidr is everywhere.
	jq -e --argjson r "$routes" '[.pod_routes[] | select(.gateway | length > 0) |
		select(.pod_cidr | type == "array" and length == 1) | [.pod_cidr[0], .gateway[0]]] |
		sort == ($r | map([.dst, .gateway]) | sort)' <<<"$output"
	# The route without a gateway (IPv6 link-local) has an empty list.
	jq -e 'all(.pod_routes[]; (.pod_cidr | type == "array") and (.gateway | type == "array")) and
		any(.pod_routes[]; .gateway == [])' <<<"$output"
	# -p: the same document, indented.
	topology "$BATS_TEST_TMPDIR/none" -p
	jq -e '.remote_vteps[0].pod_cidr | length == 3' <<<"$output"
	# Plain text: comma-joined, in the order JSON has them.
	local want
	topology "$BATS_TEST_TMPDIR/none" -j
	want=$(jq -r '.remote_vteps[0].pod_cidr | join(",")' <<<"$output")
	[[ "$want" == *,*,* ]]
	topology "$BATS_TEST_TMPDIR/none"
	[ "$status" -eq 0 ]
	grep -E "^vx0 +42 +02:fa:00:00:00:02 +127\.0\.0\.2 +$want\$" <<<"$output"
	# One name, one type: a device's counts are not the lists' names.
	topology "$BATS_TEST_TMPDIR/none" -j
	jq -e '[paths(scalars, arrays, objects) as $p | select($p | last | type == "string") |
		{key: ($p | last), type: (getpath($p) | type)}] | group_by(.key) |
		all(.[]; map(.type) | unique | length == 1)' <<<"$output"
	# The counts: bridge(8)'s FDB entries with a dst, ip(8)'s routes (both families).
	[ "$(jq '.vxlan_devices[0].remote_vtep_count' <<<"$output")" -eq \
	  "$(bridge -n "$NS" -j fdb show dev vx0 | jq '[.[] | select(.dst)] | length')" ]
	[ "$(jq '.vxlan_devices[0].pod_route_count' <<<"$output")" -eq \
	  $(($(ip -n "$NS" -j route show dev vx0 | jq length) + $(ip -n "$NS" -6 -j route show dev vx0 | jq length))) ]
	# --prom: lists are neither labels nor samples; the exposition stays valid.
	topology "$BATS_TEST_TMPDIR/none" --prom
	[ "$status" -eq 0 ]
	! grep -q pod_cidr <<<"$output"
	if command -v promtool >/dev/null; then
		promtool check metrics <<<"$output"
	fi
}
