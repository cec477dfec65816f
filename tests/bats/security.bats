#!/usr/bin/env bats
# Port scan and SYN flood detection (netprobe-security(8)). The attacker is
# NS_A (10.77.0.1), the victim NS_B (10.77.0.2) with the probe on b0. The
# oracles are captures of b0 read with tshark, the pcaps' own contents and
# the victim's TCP MIB counters; never netprobe itself.

load helpers

setup() {
	skip_unless_cmd nmap hping3 socat iperf3 tcpdump tshark tcpreplay nstat
	np_setup_root
	np_veth_pair
	TMP="$(mktemp -d)"
	np_in "$NS_B" attach b0 security >/dev/null
}

teardown() {
	np_teardown
	rm -rf "$TMP"
}

# cap_start NAME: capture TCP arriving on b0 into $TMP/NAME.pcap.
cap_start() {
	CAP="$TMP/$1.pcap"
	np_cap_start "$NS_B" b0 "$CAP" -s 128 -Q in tcp
}

# tsh FILE FILTER FIELD...: the fields of the matching packets.
tsh() {
	local f="$1" y="$2"
	shift 2
	tshark -r "$f" -Y "$y" -T fields $(printf -- '-e %s ' "$@") 2>/dev/null
}

SYN_ONLY='tcp.flags.syn==1 && tcp.flags.ack==0'

# wait_watching PID: until PID (or a child: valgrind under a wrapper) polls
# the alert ring buffer; watch opens its epoll fd after noting its start time.
wait_watching() {
	local p
	for _ in $(seq 100); do
		for p in "$1" $(pgrep -P "$1"); do
			ls -l "/proc/$p/fd" 2>/dev/null | grep -q 'anon_inode:\[eventpoll\]' &&
				return 0
		done
		sleep 0.1
	done
	return 1
}

alerts() {
	np_in "$NS_B" -j show alerts
}

@test "nmap SYN scan: one port-scan alert naming the attacker, ports as captured" {
	nsenter --net="/run/netns/$NS_B" "$NP" -j watch alerts count 1 >"$TMP/watch" 3>&- &
	local wpid=$!
	NP_PIDS+=("$wpid")
	wait_watching "$wpid"
	cap_start scan
	in_ns "$NS_A" nmap -sS -n -T4 -p 1-200 10.77.0.2 >/dev/null
	np_cap_stop
	local ports syns
	ports=$(tsh "$CAP" "$SYN_ONLY && ip.src==10.77.0.1" tcp.dstport | sort -u | wc -l)
	syns=$(tsh "$CAP" "$SYN_ONLY && ip.src==10.77.0.1" tcp.dstport | wc -l)
	echo "capture: $syns SYNs to $ports distinct ports"
	[ "$ports" -eq 200 ]

	run alerts
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" -eq 1 ]
	[ "$(jq -r '.[0].kind' <<<"$output")" = port-scan ]
	[ "$(jq -r '.[0].src' <<<"$output")" = 10.77.0.1 ]
	[ "$(jq -r '.[0].dst' <<<"$output")" = 10.77.0.2 ]
	[ "$(jq '.[0].port_count' <<<"$output")" -eq "$ports" ]
	[ "$(jq '.[0].port_count' <<<"$output")" -ge 20 ]
	[ "$(jq '.[0].count' <<<"$output")" -eq "$syns" ]
	[ "$(jq '.[0].host_count' <<<"$output")" -eq 1 ]
	[ "$(jq -r '.[0].active' <<<"$output")" = true ]

	# The watcher saw the alert as raised, as one JSON object on one line.
	timeout 10 tail --pid="$wpid" -f /dev/null
	cat "$TMP/watch"
	[ "$(wc -l <"$TMP/watch")" -eq 1 ]
	[ "$(jq -r '.kind + " " + .src' "$TMP/watch")" = "port-scan 10.77.0.1" ]
	[ "$(jq '.port_count' "$TMP/watch")" -ge 20 ]

	# The counter is the kernel's, and outlives a flush of the rows.
	np_in "$NS_B" flush alerts
	[ "$(alerts | jq length)" -eq 0 ]
	run np_in "$NS_B" --prom show alerts
	echo "$output"
	grep -qx 'netprobe_alerts_total{kind="port-scan"} 1' <<<"$(np_prom_plain <<<"$output")"
	grep -qx 'netprobe_alerts_total{kind="syn-flood"} 0' <<<"$(np_prom_plain <<<"$output")"
	promtool check metrics <<<"$output"
}

@test "normal traffic gives no alert: 200 short connections to one port, iperf3 bulk" {
	# A syn-rate the connection loop exceeds: only completed handshakes keep
	# it from being a flood.
	np_in "$NS_B" set security syn-rate 20 >/dev/null
	nsenter --net="/run/netns/$NS_B" socat -u TCP-LISTEN:8080,fork,reuseaddr OPEN:/dev/null \
		3>&- &
	NP_PIDS+=($!)
	nsenter --net="/run/netns/$NS_B" iperf3 -s -1 -p 5201 >/dev/null 3>&- &
	NP_PIDS+=($!)
	sleep 0.5
	local opens0
	opens0=$(in_ns "$NS_B" nstat -asz TcpPassiveOpens | awk '/TcpPassiveOpens/ {print $2}')
	cap_start normal
	in_ns "$NS_A" sh -c 'for i in $(seq 200); do echo hi | socat -u - TCP:10.77.0.2:8080; done'
	in_ns "$NS_A" iperf3 -c 10.77.0.2 -p 5201 -t 2 >/dev/null
	np_cap_stop
	local opens syns span
	opens=$(( $(in_ns "$NS_B" nstat -asz TcpPassiveOpens | awk '/TcpPassiveOpens/ {print $2}') - opens0 ))
	# Connection attempts, by source port: a SYN the kernel retransmits on a
	# loaded machine is the same attempt.
	syns=$(tsh "$CAP" "$SYN_ONLY && tcp.dstport==8080" tcp.srcport | sort -u | wc -l)
	span=$(tsh "$CAP" "$SYN_ONLY && tcp.dstport==8080" frame.time_epoch | awk 'NR==1{f=$1} {l=$1} END{printf "%d", l-f}')
	echo "passive opens $opens, SYNs to 8080 $syns in ${span}s"
	[ "$syns" -eq 200 ]
	[ "$opens" -ge 202 ]
	# 200 SYNs in under 10 s: more than syn-rate per second.
	[ "$span" -lt 10 ]

	run alerts
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
}

@test "hping3: a SYN burst is a syn-flood, the same count spread over 3 s is not" {
	np_in "$NS_B" set security syn-rate 20 >/dev/null
	cap_start flood
	in_ns "$NS_A" hping3 -q -S -c 30 -i u100000 -p 81 10.77.0.2 >/dev/null 2>&1 || true
	in_ns "$NS_A" hping3 -q -S -c 30 --faster -p 80 10.77.0.2 >/dev/null 2>&1 || true
	np_cap_stop
	local slow fast
	slow=$(tsh "$CAP" "$SYN_ONLY && tcp.dstport==81" frame.number | wc -l)
	fast=$(tsh "$CAP" "$SYN_ONLY && tcp.dstport==80" frame.number | wc -l)
	echo "captured SYNs: slow $slow, fast $fast"
	[ "$slow" -eq 30 ] && [ "$fast" -eq 30 ]

	run alerts
	echo "$output"
	[ "$(jq length <<<"$output")" -eq 1 ]
	[ "$(jq -r '.[0].kind' <<<"$output")" = syn-flood ]
	[ "$(jq -r '.[0].src' <<<"$output")" = 10.77.0.1 ]
	[ "$(jq -r '.[0].dst' <<<"$output")" = 10.77.0.2 ]
	[ "$(jq '.[0].dport' <<<"$output")" -eq 80 ]
	[ "$(jq '.[0].count' <<<"$output")" -eq "$fast" ]
	[ "$(jq '.[0].completed' <<<"$output")" -eq 0 ]
	[ "$(jq '.[0].source_count' <<<"$output")" -eq 1 ]
	[ "$(jq '.[0].rate' <<<"$output")" -ge 20 ]
}

@test "set security takes effect at once, without re-attaching" {
	local prog0
	prog0=$(np_in "$NS_B" -j status | jq '.attachments[] | select(.hook=="security_ingress") | .prog_id')
	# The first nmap's 200 refused SYNs, no scan under scan-ports 300, would be
	# a failed-conn source: this test is about the scan thresholds.
	run np_in "$NS_B" -j set security scan-ports 300 scan-window 2 fail-conns 0
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq '.scan_ports' <<<"$output")" -eq 300 ]
	[ "$(jq '.scan_window_ns' <<<"$output")" -eq 2000000000 ]
	[ "$(jq '.syn_rate' <<<"$output")" -eq 1000 ]

	in_ns "$NS_A" nmap -sS -n -T4 -p 1-200 10.77.0.2 >/dev/null
	[ "$(alerts | jq length)" -eq 0 ]

	np_in "$NS_B" set security scan-ports 100 >/dev/null
	run np_in "$NS_B" -j show security
	[ "$(jq '.scan_ports' <<<"$output")" -eq 100 ]
	[ "$(jq '.scan_window_ns' <<<"$output")" -eq 2000000000 ]
	[ "$(jq -r '.devices[0].interface' <<<"$output")" = b0 ]
	in_ns "$NS_A" nmap -sS -n -T4 -p 1-200 10.77.0.2 >/dev/null
	run alerts
	echo "$output"
	[ "$(jq length <<<"$output")" -eq 1 ]
	[ "$(jq -r '.[0].kind + " " + .[0].src' <<<"$output")" = "port-scan 10.77.0.1" ]
	[ "$(jq '.[0].port_count' <<<"$output")" -eq 200 ]
	[ "$(np_in "$NS_B" -j status |
	     jq '.attachments[] | select(.hook=="security_ingress") | .prog_id')" -eq "$prog0" ]
}

@test "pcap replay: the 1000-port nmap scan and the spoofed SYN flood" {
	local scan="$PCAPS/portscan_nmap_syn_1000ports.pcap"
	local flood="$PCAPS/synflood_spoofed_src_500.pcap"
	local ports probes
	ports=$(tsh "$scan" "tcp.flags.ack==0 && tcp.flags.reset==0 && ip.src==10.0.2.9" \
		tcp.dstport | sort -u | wc -l)
	probes=$(tsh "$scan" "tcp.flags.ack==0 && tcp.flags.reset==0" ip.src | wc -l)
	[ "$ports" -eq 1000 ]
	pcap_replay "$NS_A" a0 "$scan"
	run alerts
	echo "$output"
	[ "$(jq length <<<"$output")" -eq 1 ]
	[ "$(jq -r '.[0] | .kind + " " + .src + " " + .dst' <<<"$output")" = \
	  "port-scan 10.0.2.9 10.0.2.8" ]
	[ "$(jq '.[0].port_count' <<<"$output")" -eq "$ports" ]
	[ "$(jq '.[0].count' <<<"$output")" -eq "$probes" ]

	np_in "$NS_B" flush alerts
	np_in "$NS_B" set security syn-rate 100 >/dev/null
	local syns first nsrc
	syns=$(tsh "$flood" "$SYN_ONLY && ip.dst==10.0.2.10 && tcp.dstport==8080" ip.src | wc -l)
	first=$(tsh "$flood" "$SYN_ONLY" ip.src | head -1)
	nsrc=$(tsh "$flood" "$SYN_ONLY" ip.src | sort -u | wc -l)
	echo "pcap: $syns SYNs from $nsrc sources, first $first"
	pcap_replay "$NS_A" a0 "$flood"
	run alerts
	echo "$output"
	[ "$(jq length <<<"$output")" -eq 1 ]
	[ "$(jq -r '.[0] | .kind + " " + .dst + " " + (.dport|tostring)' <<<"$output")" = \
	  "syn-flood 10.0.2.10 8080" ]
	[ "$(jq '.[0].count' <<<"$output")" -eq "$syns" ]
	[ "$(jq '.[0].completed' <<<"$output")" -eq 0 ]
	[ "$(jq -r '.[0].src' <<<"$output")" = "$first" ]
	# An estimate: within 15% of the distinct sources in the file.
	local est
	est=$(jq '.[0].source_count' <<<"$output")
	[ $((est * 100)) -ge $((nsrc * 85)) ] && [ $((est * 100)) -le $((nsrc * 115)) ]
}

# replay_both: the pcaps' scan (10.0.2.9 -> 10.0.2.8, 1000 ports), then their
# spoofed flood (-> 10.0.2.10:8080): two alerts. Sets SCAN_PROBES, FLOOD_SYNS,
# FLOOD_FIRST, FLOOD_NSRC from the captures themselves.
replay_both() {
	local scan="$PCAPS/portscan_nmap_syn_1000ports.pcap"
	local flood="$PCAPS/synflood_spoofed_src_500.pcap"
	SCAN_PROBES=$(tsh "$scan" "tcp.flags.ack==0 && tcp.flags.reset==0" ip.src | wc -l)
	FLOOD_SYNS=$(tsh "$flood" "$SYN_ONLY && ip.dst==10.0.2.10 && tcp.dstport==8080" ip.src | wc -l)
	FLOOD_FIRST=$(tsh "$flood" "$SYN_ONLY" ip.src | head -1)
	FLOOD_NSRC=$(tsh "$flood" "$SYN_ONLY" ip.src | sort -u | wc -l)
	echo "pcaps: scan $SCAN_PROBES probes; flood $FLOOD_SYNS SYNs from $FLOOD_NSRC, first $FLOOD_FIRST"
	np_in "$NS_B" set security syn-rate 100 >/dev/null
	pcap_replay "$NS_A" a0 "$scan"
	pcap_replay "$NS_A" a0 "$flood"
}

# kinds JSON: the alerts' kinds, in order, space-separated.
kinds() {
	jq -r '[.[].kind] | join(" ")' <<<"$1"
}

@test "show alerts src, dst, kind: the scanner, the target, and nothing else" {
	replay_both
	run alerts
	echo "$output"
	[ "$(kinds "$output")" = "port-scan syn-flood" ]
	local args want
	while IFS='|' read -r args want; do
		run np_in "$NS_B" -j show alerts $args
		echo "$args: $output"
		[ "$status" -eq 0 ]
		[ "$(kinds "$output")" = "$want" ]
	done <<-EOF
	src 10.0.2.9|port-scan
	src 10.0.2.0/24|port-scan
	src $FLOOD_FIRST|syn-flood
	src $FLOOD_FIRST/32 kind syn-flood|syn-flood
	src $FLOOD_FIRST kind port-scan|
	dst 10.0.2.8|port-scan
	dst 10.0.2.10/32|syn-flood
	dst 10.0.2.0/24|port-scan syn-flood
	dst 10.0.2.0/24 kind syn|syn-flood
	src 10.0.2.9 dst 10.0.2.10|
	src fd00::/8|
	EOF
	# The scan's row: the scanner, its target and the capture's numbers.
	run np_in "$NS_B" -j show alerts src 10.0.2.9
	[ "$(jq -r '.[0] | "\(.src) \(.dst) \(.port_count) \(.host_count) \(.count)"' <<<"$output")" = \
	  "10.0.2.9 10.0.2.8 1000 1 $SCAN_PROBES" ]
	run np_in "$NS_B" -j show alerts dst 10.0.2.10
	[ "$(jq -r '.[0] | "\(.src) \(.dport) \(.count)"' <<<"$output")" = "$FLOOD_FIRST 8080 $FLOOD_SYNS" ]
	# Plain text: the same one row.
	run np_in "$NS_B" show alerts src 10.0.2.9
	[ "${#lines[@]}" -eq 2 ]
	[ "$(awk '{ print $1, $2, $3 }' <<<"${lines[1]}")" = "port-scan 10.0.2.9 10.0.2.8" ]
}

@test "show alerts sort and top: biggest or latest first, as the captures rank them" {
	replay_both
	local want
	# The flood came last.
	run np_in "$NS_B" -j show alerts top 1
	[ "$(kinds "$output")" = syn-flood ]
	run np_in "$NS_B" -j show alerts sort last
	[ "$(kinds "$output")" = "syn-flood port-scan" ]
	run np_in "$NS_B" -j show alerts sort first top 1
	[ "$(kinds "$output")" = syn-flood ]
	# 1000 ports against 1; ~257 sources against none.
	run np_in "$NS_B" -j show alerts sort ports
	[ "$(kinds "$output")" = "port-scan syn-flood" ]
	run np_in "$NS_B" -j show alerts sort ports top 1
	[ "$(jq '.[0].port_count' <<<"$output")" -eq 1000 ]
	run np_in "$NS_B" -j show alerts sort sources top 1
	[ "$(kinds "$output")" = syn-flood ]
	# count: probes against SYNs, ordered as the captures have them.
	[ "$SCAN_PROBES" -ne "$FLOOD_SYNS" ]
	if [ "$SCAN_PROBES" -gt "$FLOOD_SYNS" ]; then want="port-scan syn-flood"; else want="syn-flood port-scan"; fi
	run np_in "$NS_B" -j show alerts sort count
	[ "$(kinds "$output")" = "$want" ]
	[ "$(jq -c '[.[].count]' <<<"$output")" = \
	  "$(printf '%s\n' "$SCAN_PROBES" "$FLOOD_SYNS" | sort -rn | jq -sc .)" ]
	run np_in "$NS_B" -j show alerts sort count kind port-scan top 5
	[ "$(kinds "$output")" = port-scan ]
}

@test "show alerts -j: types of the fields; show security: counts; --prom: kind only" {
	replay_both
	# Episodes end as time goes by: the kinds table before and after the rows
	# brackets how many of the rows are active.
	local before
	before=$(np_in "$NS_B" -j show security | jq '[.alerts[].active_count] | add')
	run alerts
	echo "$output"
	jq -e 'length == 2 and all(.[];
		(.port_count | type == "number") and (.host_count | type == "number") and
		(.count | type == "number") and (.rate | type == "number") and
		(.active | type == "boolean") and
		(.first_seen | type == "string" and test("^\\d{4}-\\d\\d-\\d\\dT")) and
		(.last_seen | type == "string" and test("^\\d{4}-\\d\\d-\\d\\dT")) and
		(.src | type == "string") and (.dst | type == "string") and
		(.interface == "b0") and
		(has("ports") or has("hosts") or has("sources") | not))' <<<"$output"
	jq -e '.[] | select(.kind == "syn-flood") |
		(.source_count | type == "number") and (.dport == 8080) and (.completed == 0)' <<<"$output"
	# An estimate: within 15% of the distinct sources in the file.
	local est
	est=$(jq '.[] | select(.kind == "syn-flood") | .source_count' <<<"$output")
	[ $((est * 100)) -ge $((FLOOD_NSRC * 85)) ] && [ $((est * 100)) -le $((FLOOD_NSRC * 115)) ]
	# active is a boolean in a row and a count in the kinds table; they agree.
	local active
	active=$(jq '[.[] | select(.active)] | length' <<<"$output")
	run np_in "$NS_B" -j show security
	echo "$output"
	# A row per kind, raised or not.
	jq -e '.alerts | length == 8 and all(.[]; (.active_count | type == "number") and
		(.alerts_total | type == "number") and (has("active") | not))' <<<"$output"
	[ "$(jq '[.alerts[].alerts_total] | add' <<<"$output")" -eq 2 ]
	echo "active: $before, then $active rows, then $(jq '[.alerts[].active_count] | add' <<<"$output")"
	[ "$before" -le 2 ] && [ "$before" -ge "$active" ]
	[ "$active" -ge "$(jq '[.alerts[].active_count] | add' <<<"$output")" ]
	# --prom: the kernel's per-kind counters; kind picks one, the rest is a usage error.
	run np_in "$NS_B" --prom show alerts kind syn-flood
	[ "$status" -eq 0 ]
	echo "$output"
	promtool check metrics <<<"$output"
	grep -qx 'netprobe_alerts_total{kind="syn-flood"} 1' <<<"$(np_prom_plain <<<"$output")"
	! grep -q 'kind="port-scan"' <<<"$output"
	local args
	for args in "src 10.0.2.9" "dst 10.0.2.8" "active" "top 1" "sort last"; do
		run np_in "$NS_B" --prom show alerts $args
		echo "$args: $status $output"
		[ "$status" -eq 2 ]
		[[ "$output" == *"only 'kind' applies"* ]]
	done
}

@test "watch alerts kind and dst: only the alerts that match are printed" {
	nsenter --net="/run/netns/$NS_B" "$NP" -j watch alerts kind syn-flood dst 10.0.2.0/24 count 1 \
		>"$TMP/watch" 3>&- &
	local wpid=$!
	NP_PIDS+=("$wpid")
	wait_watching "$wpid"
	# The scan comes first and is raised first: the watcher passes it over.
	replay_both
	timeout 10 tail --pid="$wpid" -f /dev/null
	cat "$TMP/watch"
	[ "$(wc -l <"$TMP/watch")" -eq 1 ]
	[ "$(jq -r '.kind + " " + .src + " " + .dst' "$TMP/watch")" = "syn-flood $FLOOD_FIRST 10.0.2.10" ]
	jq -e '(.port_count | type == "number") and (.active | type == "boolean")' "$TMP/watch"
	# Both were raised.
	[ "$(kinds "$(alerts)")" = "port-scan syn-flood" ]
}

@test "show alerts and watch alerts keywords: usage errors exit 2, attached or not" {
	local args
	for args in "show alerts src bogus" "show alerts dst 10.0.0.0/33" "show alerts src" \
		"show alerts top 0" "show alerts top many" "show alerts sort bogus" "show alerts sort" \
		"show alerts src 10.0.0.1 src 10.0.0.2" "show alerts sort last sort first" \
		"show alerts bogus" "show alerts kind" "watch alerts src bogus" "watch alerts kind worm" \
		"watch alerts dst ::1/129" "watch alerts sort last" "watch alerts top 1" \
		"watch alerts active" "watch alerts count x"; do
		run np_in "$NS_B" $args
		echo "$args: $status $output"
		[ "$status" -eq 2 ]
	done
	run np_in "$NS_B" -j show alerts sort nope
	[ "$status" -eq 2 ]
	jq -e '.error | test("sort")' <<<"$output"
	run np_in "$NS_B" -j show alerts src 10.0.0.1 dst ::1 kind syn active sort ports top 3
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
	np_in "$NS_B" detach b0 security >/dev/null
	run np_in "$NS_B" show alerts src bogus
	[ "$status" -eq 2 ]
	run np_in "$NS_B" show alerts src 10.0.0.1
	[ "$status" -eq 1 ]
	[[ "$output" == *"not attached"* ]]
	run np_in "$NS_B" watch alerts src bogus
	[ "$status" -eq 2 ]
	# The synopses are the tables'.
	[ "$("$NP" show alerts help | head -1)" = "Usage: netprobe show alerts [kind port-scan|syn-flood|udp-scan|ack-scan|fin-scan|null-scan|xmas-scan|failed-conn] [src CIDR] [dst CIDR] [active] [sort last|first|count|ports|hosts|rate|sources] [top N]" ]
	[ "$("$NP" watch alerts help | head -1)" = "Usage: netprobe watch alerts [kind port-scan|syn-flood|udp-scan|ack-scan|fin-scan|null-scan|xmas-scan|failed-conn] [src CIDR] [dst CIDR] [count N]" ]
}

@test "watch alerts ends with exit 0 when its reader goes away" {
	run timeout 10 bash -c "nsenter --net=/run/netns/$NS_B $NP watch alerts | head -1; \
		echo \"rc=\${PIPESTATUS[0]}\""
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]%% *}" = KIND ]
	[ "${lines[1]}" = rc=0 ]
}

@test "bad input and nothing attached: one-line errors and exit codes" {
	run np_in "$NS_B" set security scan-ports many
	[ "$status" -eq 2 ]
	[[ "$output" == *"scan-ports: 'many' is not a number"* ]]
	run np_in "$NS_B" set security syn-complete 0
	[ "$status" -eq 2 ]
	run np_in "$NS_B" -j set security scan-window 0
	[ "$status" -eq 2 ]
	jq -e .error <<<"$output"
	[ "$(np_in "$NS_B" -j show security | jq .scan_window_ns)" -eq 3000000000 ]
	run np_in "$NS_B" set security bogus 1
	[ "$status" -eq 2 ]
	run np_in "$NS_B" set security
	[ "$status" -eq 2 ]
	run np_in "$NS_B" show alerts kind worm
	[ "$status" -eq 2 ]
	run np_in "$NS_B" watch alerts count 0
	[ "$status" -eq 2 ]
	run np_in "$NS_B" --prom watch alerts
	[ "$status" -eq 2 ]

	run np_in "$NS_B" -j detach b0 security
	[ "$status" -eq 0 ]
	# Nothing else was attached: no pin is left behind.
	np_root_empty && [ -z "$(ls -A "$NP_BPFFS" | grep -v -e '\.debug$' -e '^netprobe$')" ]
	run np_in "$NS_B" -j show alerts
	[ "$status" -eq 1 ]
	jq -e .error <<<"$output"
	run np_in "$NS_B" set security scan-ports 5
	[ "$status" -eq 1 ]
	[[ "$output" == *"not attached"* ]]
	run np_in "$NS_B" flush alerts
	[ "$status" -eq 1 ]
	run np_in "$NS_B" watch alerts
	[ "$status" -eq 1 ]
	# The defaults, documented in netprobe-security(8), without any pin.
	run np_in "$NS_B" -j show security
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.scan_ports, .scan_window_ns, .syn_rate, .syn_complete_pct]' <<<"$output")" = \
	  "[20,3000000000,1000,50]" ]
}

@test "IPv6: an nmap scan over IPv6 is reported with IPv6 addresses" {
	in_ns "$NS_A" sysctl -qw net.ipv6.conf.a0.disable_ipv6=0
	in_ns "$NS_B" sysctl -qw net.ipv6.conf.b0.disable_ipv6=0
	ip -n "$NS_A" addr add fd77::1/64 dev a0 nodad
	ip -n "$NS_B" addr add fd77::2/64 dev b0 nodad
	cap_start scan6
	in_ns "$NS_A" nmap -6 -sS -n -T4 -p 1-100 fd77::2 >/dev/null
	np_cap_stop
	local ports
	ports=$(tsh "$CAP" "$SYN_ONLY && ipv6.src==fd77::1" tcp.dstport | sort -u | wc -l)
	[ "$ports" -eq 100 ]
	run alerts
	echo "$output"
	[ "$(jq length <<<"$output")" -eq 1 ]
	[ "$(jq -r '.[0] | .kind + " " + .src + " " + .dst' <<<"$output")" = \
	  "port-scan fd77::1 fd77::2" ]
	[ "$(jq '.[0].port_count' <<<"$output")" -eq "$ports" ]
}

@test "security runs first at ingress and the tc counters still see every packet" {
	# Attached before tc, the security program is first in the TCX chain:
	# it must hand every packet on (TCX_NEXT).
	np_in "$NS_B" attach b0 tc >/dev/null
	in_ns "$NS_A" ping -c 1 -W 1 10.77.0.2 >/dev/null
	local rx0 np0
	rx0=$(dev_counter "$NS_B" b0 rx packets)
	np0=$(np_in "$NS_B" -j show stats dev b0 | jq '.[0].rx_packets')
	in_ns "$NS_A" ping -c 20 -i 0.01 -q 10.77.0.2 >/dev/null
	in_ns "$NS_A" nmap -sS -n -T4 -p 1-50 10.77.0.2 >/dev/null
	local drx dnp
	drx=$(( $(dev_counter "$NS_B" b0 rx packets) - rx0 ))
	dnp=$(( $(np_in "$NS_B" -j show stats dev b0 | jq '.[0].rx_packets') - np0 ))
	echo "kernel rx $drx, netprobe rx $dnp"
	[ "$drx" -ge 70 ]
	[ "$dnp" -eq "$drx" ]
	[ "$(alerts | jq -r '.[0].kind')" = port-scan ]
}
