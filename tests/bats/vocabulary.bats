#!/usr/bin/env bats
# One vocabulary: every command speaks JSON and Prometheus the same way.

load helpers

setup() {
	np_setup_root
	np_veth_pair
}

teardown() {
	np_teardown
}

# table_commands: every command path of the command table ("show flows", ...).
table_commands() {
	"$NP" -j help | jq -r '.[].command'
}

@test "--prom: a command either prints exposition promtool accepts, or it is a usage error" {
	skip_unless_cmd promtool
	np_in "$NS_B" attach b0 >/dev/null
	in_ns "$NS_A" ping -c 3 -i 0.01 -q 10.77.0.2 >/dev/null
	local cmd prom=0 none=0
	while read -r cmd; do
		# shellcheck disable=SC2086
		run np_in "$NS_B" --prom $cmd
		case "$cmd" in
		"show stats"|"show flows"|"show icmp"|"show drops"|"show netfilter"|"show alerts"|\
		"show vxlan"|"show topology"|"show all"|"show k8s"|feature)
			# Attached or not: valid exposition, or a one-line runtime error.
			if [ "$status" -eq 0 ]; then
				promtool check metrics <<<"$output" || { echo "$cmd: $output"; return 1; }
				prom=$((prom + 1))
			else
				[ "$status" -eq 1 ] && [ "${#lines[@]}" -eq 1 ] || { echo "$cmd: $status $output"; return 1; }
			fi
			;;
		*)
			# No Prometheus form: said so, nothing done.
			[ "$status" -eq 2 ] || { echo "$cmd: exit $status: $output"; return 1; }
			[[ "$output" == *"no Prometheus form"* ]]
			none=$((none + 1))
			;;
		esac
	done < <(table_commands)
	echo "# $prom commands with a Prometheus form checked, $none refused" >&3
	[ "$prom" -ge 3 ] && [ "$none" -ge 8 ]
	# Nothing was attached or detached by the refused ones.
	[ "$(np_in "$NS_B" -j status | jq '.attachments | length')" -eq 2 ]
}

@test "--prom: no series is printed by two commands" {
	skip_unless_cmd promtool
	np_in "$NS_B" attach b0 security >/dev/null
	local a b
	a=$(np_in "$NS_B" --prom show alerts | awk '!/^#/ { sub(/[{ ].*/, ""); print }' | sort -u)
	[ -n "$a" ]
	run np_in "$NS_B" --prom show security
	[ "$status" -eq 2 ]
	b=$(np_in "$NS_B" --prom show stats | awk '!/^#/ { sub(/[{ ].*/, ""); print }' | sort -u)
	[ -z "$(comm -12 <(echo "$a") <(echo "$b"))" ]
	# A snapshot format: interval has no Prometheus form (it printed every series again).
	run np_in "$NS_B" --prom show stats interval 0.1 count 2
	[ "$status" -eq 2 ]
}

@test "-j: flush prints one document that says what it flushed" {
	np_in "$NS_B" attach b0 tc security >/dev/null
	in_ns "$NS_A" ping -c 5 -i 0.01 -q 10.77.0.2 >/dev/null
	local flows
	flows=$(np_in "$NS_B" -j show flows | jq -e 'arrays | length')
	[ "$flows" -gt 0 ]
	run np_in "$NS_B" -j flush flows
	[ "$status" -eq 0 ]
	[ "$(jq -s length <<<"$output")" -eq 1 ]
	[ "$(jq -r '.[0].table' <<<"$output")" = flows ]
	# As many entries as the table held (nothing else sends on this veth meanwhile).
	[ "$(jq '.[0].entries' <<<"$output")" -eq "$flows" ]
	[ "$(np_in "$NS_B" -j show flows | jq length)" -eq 0 ]
	run np_in "$NS_B" -j flush stats
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.[] | "\(.table) \(.interface)"] | join(",")' <<<"$output")" = "stats b0" ]
	run np_in "$NS_B" -j flush alerts
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[0].table' <<<"$output")" = alerts ]
	# flush all: every table in one report; the hooks stay and count on.
	in_ns "$NS_A" ping -c 3 -i 0.01 -q 10.77.0.2 >/dev/null
	local k0
	k0=$(dev_counter "$NS_B" b0 rx packets)
	run np_in "$NS_B" -j flush all
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.[].table] | join(" ")' <<<"$output")" = "flows icmp icmp_errors stats alerts" ]
	[ "$(jq '.[0].entries' <<<"$output")" -gt 0 ]
	[ "$(np_in "$NS_B" -j show flows | jq length)" -eq 0 ]
	# Zeroed: at most what b0 received since (its own ARP may land there).
	[ "$(np_in "$NS_B" -j show stats | jq '.[0].rx_packets')" -le \
		$(( $(dev_counter "$NS_B" b0 rx packets) - k0 )) ]
	[ "$(np_in "$NS_B" -j status | jq '.attachments | length')" -eq 3 ]
	np_in "$NS_B" detach all >/dev/null
	# Nothing pinned: still one document.
	run np_in "$NS_B" -j flush flows
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
}

@test "-j show stats interval: JSON Lines, one object per sample" {
	np_in "$NS_B" attach b0 >/dev/null
	run np_in "$NS_B" -j show stats interval 0.2 count 3
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	local l
	for l in "${lines[@]}"; do
		[ "$(jq -r '.interface' <<<"$l")" = b0 ]
		jq -e '.rx_packets_rate >= 0 and (.time | test("Z$"))' <<<"$l" >/dev/null
	done
}

@test "-b: rates in bits per second in plain text; JSON keeps bytes per second" {
	np_in "$NS_B" attach b0 >/dev/null
	run np_in "$NS_B" -b show stats interval 0.2 count 1
	[ "$status" -eq 0 ]
	# No traffic: every rate is 0, spoken in bits.
	grep -Eq '^b0 .* 0 bit/s .* 0 bit/s' <<<"$output"
	run np_in "$NS_B" -b -j show stats
	[ "$status" -eq 2 ]
	[ "$(jq -r .error <<<"$output")" = "-b is for plain text; JSON and Prometheus rates are bytes per second" ]
	run np_in "$NS_B" -b --prom show stats
	[ "$status" -eq 2 ]
}

@test "node_exporter's textfile collector takes two netprobe files from two pin roots" {
	skip_unless_cmd prometheus-node-exporter curl promtool
	local dir="$BATS_TEST_TMPDIR/textfile" log="$BATS_TEST_TMPDIR/ne.log" port pid
	mkdir -p "$dir"
	# A second pin root for the second namespace, on a bpffs of its own.
	local root_b="$BATS_TEST_TMPDIR/bpffs-b"
	mkdir -p "$root_b"
	mount -t bpf bpffs "$root_b"
	np_in "$NS_A" attach a0 >/dev/null
	NETPROBE_PIN_ROOT="$root_b/netprobe" np_in "$NS_B" attach b0 >/dev/null
	in_ns "$NS_A" ping -c 4 -i 0.01 -q 10.77.0.2 >/dev/null
	# As the cron line does it: write, then rename.
	np_in "$NS_A" --prom show all >"$dir/a.prom.tmp" && mv "$dir/a.prom.tmp" "$dir/a.prom"
	NETPROBE_PIN_ROOT="$root_b/netprobe" np_in "$NS_B" --prom --prom-label node=b show all \
		>"$dir/b.prom.tmp" && mv "$dir/b.prom.tmp" "$dir/b.prom"
	promtool check metrics <"$dir/a.prom"
	port=$((20000 + RANDOM % 20000))
	prometheus-node-exporter --collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$dir" --web.listen-address="127.0.0.1:$port" \
		>"$log" 2>&1 3>&- &
	pid=$!
	local m="" i
	for i in $(seq 50); do
		m=$(curl -sf "http://127.0.0.1:$port/metrics") && break
		sleep 0.1
	done
	kill "$pid"
	wait "$pid" || true
	umount "$root_b"
	grep -qx 'node_textfile_scrape_error 0' <<<"$m"
	! grep -q "collected before" "$log"
	# Both files' series, told apart by the namespace netprobe ran in.
	local netns_a netns_b
	netns_a=$(in_ns "$NS_A" stat -Lc %i /proc/self/ns/net)
	netns_b=$(in_ns "$NS_B" stat -Lc %i /proc/self/ns/net)
	grep -q "^netprobe_interface_tx_packets_total{interface=\"a0\",pin_netns=\"$netns_a\"} " <<<"$m"
	grep -q "^netprobe_interface_rx_packets_total{interface=\"b0\",node=\"b\",pin_netns=\"$netns_b\"} " <<<"$m"
	# The values are the kernel's: a0 sent what its counter says.
	[ "$(grep "^netprobe_interface_tx_packets_total{interface=\"a0\"," <<<"$m" | awk '{print $2}')" -eq \
	  "$(dev_counter "$NS_A" a0 tx packets)" ]
	[ "$(grep -c '^netprobe_build_info' <<<"$m")" -eq 2 ]
}

# json_docs: the JSON of every show/status/dump command, as one stream of
# {"cmd": ..., "doc": ...} objects, with every probe attached and traffic seen.
json_docs() {
	local cmd
	for cmd in "status" "show stats" "show stats proto" "show flows" "show icmp" \
		"show icmp errors" "show drops" "show drops flows" \
		"show netfilter" "show alerts" "show security" "show sockets" "show sockets totals" \
		"show vxlan" "show vxlan flows" "show vxlan counters" "show topology" "feature" \
		"version" "dump maps" "dump progs" "dump links" "show pods" "show services" \
		"query ip 10.77.0.1" "show flows k8s" "show graph" "show graph k8s"; do
		# shellcheck disable=SC2086
		np_in "$NS_B" -j $cmd | jq -c --arg cmd "$cmd" '{cmd: $cmd, doc: .}'
	done
}

@test "JSON contract: one name, one type: every key has the same JSON type in every command" {
	np_in "$NS_B" attach b0 all >/dev/null
	np_in "$NS_B" attach drops >/dev/null
	np_in "$NS_B" attach socket >/dev/null
	np_in "$NS_B" attach netfilter >/dev/null
	in_ns "$NS_B" bash -c 'exec 3<>/dev/tcp/10.77.0.1/9' 2>/dev/null || true
	in_ns "$NS_A" ping -c 3 -i 0.01 -q 10.77.0.2 >/dev/null
	local docs
	docs=$(json_docs)
	# Every key of every object at any depth, with its type; null is "unknown", any type.
	jq -s -r '[.[] | .cmd as $c | .doc | paths as $p | select($p | last | type == "string") |
		{cmd: $c, key: ($p | last), type: (getpath($p) | type)}] |
		map(select(.key != null and .type != "null")) |
		group_by(.key) | map(select(([.[].type] | unique | length) > 1)) |
		map("\(.[0].key): " + (map("\(.cmd)=\(.type)") | unique | join(", "))) | .[]' \
		<<<"$docs" >"$BATS_TEST_TMPDIR/mixed"
	cat "$BATS_TEST_TMPDIR/mixed"
	[ ! -s "$BATS_TEST_TMPDIR/mixed" ]
	# The concepts the issue named, with their one type.
	jq -s -e '[.[].doc | .. | objects] |
		all(.[]; (has("interface") | not) or (.interface | type == "string")) and
		all(.[]; (has("netns") | not) or (.netns | type == "number")) and
		all(.[]; (has("tcp_flags") | not) or (.tcp_flags | type == "string")) and
		all(.[]; (has("active") | not) or (.active | type == "boolean")) and
		all(.[]; (has("pod_cidr") | not) or (.pod_cidr | type == "array")) and
		all(.[]; (has("ports") | not) or (.ports | type == "array"))' <<<"$docs"
	# Every time is RFC 3339: keys that hold times are strings like 2026-12-01T12:00:00.123456Z.
	jq -s -e '[.[].doc | .. | objects | to_entries[] |
		select(.key | test("^(time|first_seen|last_seen|opened|closed|created|since|started|raised)$"))
		| .value | select(. != null)] |
		all(.[]; type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$"))' <<<"$docs"
	# No device under another name.
	jq -s -e '[.[].doc | .. | objects | keys[]] | unique |
		(index("device") == null and index("dev") == null and index("target") == null and
		 index("vxlan_device") == null)' <<<"$docs"
}
