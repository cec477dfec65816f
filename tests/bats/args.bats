#!/usr/bin/env bats
# One vocabulary (issue 11): the command line means one thing everywhere.
# Numbers are decimal, a keyword is given once, errors name the command that
# was typed and the attach that is missing, and no request is silently ignored.

load helpers

setup() {
	np_setup_root
	np_veth_pair
}

teardown() {
	np_teardown
}

# usage_error PATTERN: $output is one "Error: ..." line matching PATTERN, exit 2.
usage_error() {
	echo "status=$status output=$output"
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == Error:* ]]
	[[ "${lines[0]}" == $1 ]]
}

# runtime_error PATTERN: the same with exit 1.
runtime_error() {
	echo "status=$status output=$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == Error:* ]]
	[[ "${lines[0]}" == $1 ]]
}

@test "numbers are decimal: 010 is ten, 0x10 is no number" {
	np_in "$NS_A" attach a0 flows 02000 >/dev/null
	[ "$(np_in "$NS_A" -j status | jq .flows_max_entries)" -eq 2000 ]
	run np_in "$NS_A" show flows port 0x10
	usage_error "*port: '0x10' is not a number from 0 to 65535*"
	run np_in "$NS_A" show stats interval 0x1
	usage_error "*interval: '0x1' is not a number*"
	run np_in "$NS_A" show stats interval 1 count " 2"
	usage_error "*count: ' 2' is not a number*"
	run np_in "$NS_A" show drops reason 0x2
	usage_error "*unknown drop reason '0x2'*"
}

@test "options end at the command: a negative number gets the value error" {
	run "$NP" show flows top -5
	usage_error "*top: '-5' is not a number from 1 to *"
	run "$NP" show flows port -1
	usage_error "*port: '-1' is not a number from 0 to 65535*"
	run "$NP" -j show flows top -5
	[ "$status" -eq 2 ]
	[[ "$(jq -r .error <<<"$output")" == "top: '-5' is not a number"* ]]
	# Options before the command still work; after it they are the command's.
	np_in "$NS_A" attach a0 >/dev/null
	run np_in "$NS_A" -j -n show stats
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[0].interface' <<<"$output")" = a0 ]
	run np_in "$NS_A" --pin-root "$NETPROBE_PIN_ROOT" -j show stats
	[ "$(jq -r '.[0].interface' <<<"$output")" = a0 ]
	run "$NP" show stats -j
	usage_error "*show stats: unknown keyword '-j'*"
	"$NP" -h | grep -q '^Usage: netprobe'
	"$NP" show stats -h | grep -q '^Usage: netprobe show stats'
	run "$NP" --no-such-option status
	usage_error "*unknown or incomplete option*"
}

@test "a keyword given twice is a usage error; a probe twice is that probe once" {
	run "$NP" show flows top 10 top 5
	usage_error "*show flows: 'top' given twice*"
	run np_in "$NS_A" attach a0 flows 1024 flows 2048
	usage_error "*attach DEV: 'flows' given twice*"
	np_root_empty
	run "$NP" show stats dev a dev b
	usage_error "*show stats: 'dev' given twice*"
	# A prefix is the keyword it stands for.
	run "$NP" show stats interval 1 in 2
	usage_error "*show stats: 'interval' given twice*"
	for args in "show drops flows flows" "show drops top 1 top 2" "show vxlan dev a dev b" \
		"show alerts active active" "show sockets port 1 port 2" "watch sockets count 1 count 2" \
		"watch alerts count 1 count 2" "flush stats dev a dev b" "set security syn-rate 1 syn-rate 2" \
		"attach a0 mode native mode generic" "attach a0 tc-mode tcx tc-mode clsact"; do
		run np_in "$NS_A" $args
		usage_error "*: '*' given twice*"
	done
	np_root_empty
	run np_in "$NS_A" -j attach a0 tc tc
	[ "$status" -eq 0 ]
	[ "$(jq '[.[] | select(.interface == "a0")] | length' <<<"$output")" -eq 2 ]
	run np_in "$NS_A" -q attach a0 all tc
	[ "$status" -eq 0 ]
}

@test "messages name the command that was typed" {
	np_in "$NS_A" attach a0 >/dev/null
	run np_in "$NS_A" detach a0 bogus
	usage_error "Error: detach DEV: unknown probe 'bogus'"
	run np_in "$NS_A" -j detach a0 bogus
	[ "$status" -eq 2 ]
	[ "$(jq -r .error <<<"$output")" = "detach DEV: unknown probe 'bogus'" ]
	run np_in "$NS_A" attach a0 bogus
	usage_error "Error: attach DEV: unknown keyword 'bogus'"
	run np_in "$NS_A" show flows top
	usage_error "Error: show flows: 'top' needs a value"
	run np_in "$NS_A" attach a0 mode
	usage_error "Error: attach DEV: 'mode' needs a value"
	run np_in "$NS_A" watch sockets count
	usage_error "Error: watch sockets: 'count' needs a value"
	# Still attached: the bad requests changed nothing.
	[ "$(np_in "$NS_A" -j status | jq '[.attachments[] | select(.interface == "a0")] | length')" -eq 2 ]
	run np_in "$NS_A" -j detach a0 tc tc
	[ "$status" -eq 0 ]
	[ "$(jq '[.[] | select(.state == "detached")] | length' <<<"$output")" -eq 2 ]
}

@test "help COMMAND is COMMAND help; under -j every help is JSON" {
	[ "$("$NP" help show)" = "$("$NP" show help)" ]
	[ "$("$NP" help show flows)" = "$("$NP" show flows help)" ]
	[ "$("$NP" help attach)" = "$("$NP" attach help)" ]
	"$NP" help show flows | grep -q '^Usage: netprobe show flows'
	run "$NP" help show flows dev
	usage_error "Error: help show flows: unexpected 'dev'"
	run "$NP" help frobnicate
	usage_error "*unknown command 'frobnicate'*"
	# The rows of the table for that level, as netprobe -j help has them.
	local all
	all=$("$NP" -j help)
	[ "$("$NP" -j show flows help)" = "$(jq -c '[.[] | select(.command == "show flows")]' <<<"$all")" ]
	[ "$("$NP" -j help show flows)" = "$("$NP" -j show flows help)" ]
	[ "$("$NP" -j show help)" = "$(jq -c '[.[] | select(.command | startswith("show "))]' <<<"$all")" ]
	[ "$("$NP" -j help show)" = "$("$NP" -j show help)" ]
	for cmd in "attach" "detach" "status" "show stats" "show stats dev a0" "show drops" \
		"show vxlan flows" "show topology" "show sockets" "flush stats" "flush flows" \
		"flush alerts" "watch alerts" "watch sockets" "set security" "dump" "feature" \
		"version" "flush" "watch" "set"; do
		run "$NP" -j $cmd help
		echo "$cmd: $status $output"
		[ "$status" -eq 0 ]
		jq -e 'type == "array" and length > 0 and (.[0] | has("command", "args", "help"))' <<<"$output"
	done
	[ "$("$NP" -j attach help | jq -r '.[0].command')" = attach ]
	[ "$("$NP" -j show stats dev a0 help | jq -r '.[0].command')" = "show stats" ]
	# A bare netprobe -j: one JSON document, a usage error.
	run "$NP" -j
	[ "$status" -eq 2 ]
	jq -e '.error | test("missing command")' <<<"$output"
	run "$NP"
	[ "$status" -eq 2 ]
}

# not_attached_says: each command of the table names the attach that it lacks.
not_attached_says() {
	local args want
	while IFS='|' read -r args want; do
		run np_in "$NS_A" $args
		runtime_error "*$want*"
	done <<-'EOF2'
	show drops|run 'netprobe attach drops'
	show drops flows|run 'netprobe attach drops'
	show netfilter|run 'netprobe attach netfilter'
	show sockets|run 'netprobe attach socket'
	watch sockets count 1|run 'netprobe attach socket'
	show alerts|run 'netprobe attach DEV security'
	flush alerts|run 'netprobe attach DEV security'
	watch alerts count 1|run 'netprobe attach DEV security'
	set security syn-rate 5|run 'netprobe attach DEV security'
	show vxlan|run 'netprobe attach DEV vxlan'
	show vxlan flows|run 'netprobe attach DEV vxlan'
	EOF2
}

@test "not attached: each show, flush and watch names the attach it needs" {
	# Nothing pinned at all.
	not_attached_says
	run np_in "$NS_A" show stats
	runtime_error "*'netprobe attach DEV'*"
	run np_in "$NS_A" show flows
	runtime_error "*'netprobe attach DEV'*"
	np_root_empty
	# Something else pinned: the same words.
	np_in "$NS_A" attach a0 >/dev/null
	not_attached_says
	run np_in "$NS_A" -j show drops
	[ "$status" -eq 1 ]
	[ "$(jq -r .error <<<"$output")" = "the drops probe is not attached; run 'netprobe attach drops'" ]
}

# dev_messages: every command that takes a device, about nosuch0 (nowhere)
# and lo (here, nothing of netprobe's on it).
dev_messages() {
	local cmd
	for cmd in "attach %s" "show stats dev %s" "show stats dev %s interval 1 count 1" \
		"show flows dev %s" "show vxlan dev %s" "show vxlan flows dev %s" \
		"flush stats dev %s" "detach %s"; do
		run np_in "$NS_A" $(printf "$cmd" nosuch0)
		runtime_error "Error: device 'nosuch0' does not exist"
		[[ "$cmd" == attach* || "$cmd" == detach* ]] && continue
		run np_in "$NS_A" $(printf "$cmd" lo)
		runtime_error "Error: nothing is attached to 'lo'"
	done
}

@test "unknown devices: one message from every command that takes a device" {
	# Nothing pinned at all, then another device attached: the same words.
	dev_messages
	np_root_empty
	np_in "$NS_A" attach a0 >/dev/null
	dev_messages
	run np_in "$NS_A" -j show stats dev nosuch0
	[ "$status" -eq 1 ]
	[ "$(jq -r .error <<<"$output")" = "device 'nosuch0' does not exist" ]
	# Drops need no attach of the device, but it must exist.
	run np_in "$NS_A" show drops dev nosuch0
	runtime_error "Error: device 'nosuch0' does not exist"
	# A device with other probes than the one asked for says which attach it lacks.
	run np_in "$NS_A" show vxlan dev a0
	runtime_error "*vxlan probe is not attached to 'a0'; run 'netprobe attach a0 vxlan'"
	# Detaching what is not attached, from a device that exists, stays fine.
	run np_in "$NS_A" -j detach lo
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
	np_in "$NS_A" detach a0 >/dev/null
	run np_in "$NS_A" -j detach a0
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
	np_root_empty
	# Flushing nothing pins nothing.
	np_in "$NS_A" flush stats
	np_root_empty
}

# a0_hooks: the hooks attached to a0, sorted, one line.
a0_hooks() {
	np_in "$NS_A" -j status | jq -r '[.attachments[] | select(.interface == "a0") | .hook] | sort | join(" ")'
}

@test "attach never ignores a request: mode, vxlan-port, tc-mode and flows need their probe" {
	run np_in "$NS_A" attach a0 mode native
	usage_error "*mode applies to the xdp probe*"
	run np_in "$NS_A" attach a0 tc mode generic
	usage_error "*mode applies to the xdp probe*"
	run np_in "$NS_A" attach a0 vxlan-port 4790
	usage_error "*vxlan-port applies to the vxlan probe*"
	run np_in "$NS_A" attach a0 xdp tc-mode clsact
	usage_error "*tc-mode applies to the tc, vxlan or security probe*"
	run np_in "$NS_A" attach a0 security flows 2048
	usage_error "*flows applies to the tc, xdp or vxlan probe*"
	np_root_empty
	# Their probe given: fine. tc is the default probe, so these apply to it.
	np_in "$NS_A" -q attach a0 tc-mode tcx flows 2048 >/dev/null
	[ "$(a0_hooks)" = "tc_egress tc_ingress" ]
	np_in "$NS_A" -q attach a0 xdp mode generic >/dev/null
	# Their probe attached already: mode is checked against it, not dropped.
	run np_in "$NS_A" -j attach a0 mode generic
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[] | select(.hook == "xdp") | .state' <<<"$output")" = unchanged ]
	run np_in "$NS_A" attach a0 tc mode native
	runtime_error "*xdp runs in generic mode*"
	# ... and vxlan-port is added to the attached vxlan probe.
	np_in "$NS_A" -q attach a0 vxlan >/dev/null
	run np_in "$NS_A" attach a0 vxlan-port 4790
	[ "$status" -eq 0 ]
	[[ "$output" == *"port 4790 is now parsed as VXLAN"* ]]
	[ "$(np_in "$NS_A" -j show vxlan counters | jq -r '.[0].ports | map(tostring) | join(",")')" = 4789,4790,8472 ]
	[ "$(a0_hooks)" = "tc_egress tc_ingress vxlan_egress vxlan_ingress xdp" ]
	# Still refused where no probe of the command takes them.
	run np_in "$NS_A" attach a0 security flows 2048
	usage_error "*flows applies to the tc, xdp or vxlan probe*"
	run np_in "$NS_A" attach a0 xdp tc-mode tcx
	usage_error "*tc-mode applies to the tc, vxlan or security probe*"
}

@test "detach DEV removes its counters and flows: a new attach starts from 0" {
	# lo keeps the shared maps pinned while a0 goes.
	np_in "$NS_A" -q attach lo >/dev/null
	np_in "$NS_A" -q attach a0 >/dev/null
	in_ns "$NS_A" ping -c 5 -i 0.01 -q 10.77.0.2 >/dev/null
	in_ns "$NS_A" ping -c 3 -i 0.01 -q 127.0.0.1 >/dev/null
	[ "$(np_in "$NS_A" -j show stats dev a0 | jq '.[0].tx_packets')" -ge 5 ]
	[ "$(np_in "$NS_A" -j show flows dev a0 | jq length)" -gt 0 ]
	local lo_flows
	lo_flows=$(np_in "$NS_A" -j show flows dev lo | jq length)
	[ "$lo_flows" -gt 0 ]
	np_in "$NS_A" detach a0 >/dev/null
	[ "$(np_in "$NS_A" -j show flows | jq '[.[] | select(.interface == "a0")] | length')" -eq 0 ]
	np_zeroed_within "$NS_A" a0 np_in "$NS_A" -q attach a0
	[ "$(np_in "$NS_A" -j show flows dev a0 | jq length)" -eq 0 ]
	# lo's flows stay; the removed ones count as deleted, not as evictions.
	[ "$(np_in "$NS_A" -j show flows dev lo | jq length)" -eq "$lo_flows" ]
	[ "$(np_in "$NS_A" -j status | jq .flows_evictions)" -eq 0 ]
}
