#!/usr/bin/env bats
# UDP, ACK, FIN, NULL and Xmas scans and failed connections
# (netprobe-security(8), issue 15). The attacker is NS_A (10.77.0.1), the
# watched side NS_B (10.77.0.2) with the probe on b0. The oracles are
# captures of b0 read with tshark and the watched side's TCP MIB counters;
# never netprobe itself.

load helpers

setup() {
	skip_unless_cmd nmap socat tcpdump tshark nstat nft curl python3
	np_setup_root
	np_veth_pair
	TMP="$(mktemp -d)"
	np_in "$NS_B" attach b0 security >/dev/null
}

teardown() {
	np_teardown
	rm -rf "$TMP"
}

# cap_start NAME: capture TCP, UDP and ICMP on b0, both directions, into
# $TMP/NAME.pcap.
cap_start() {
	CAP="$TMP/$1.pcap"
	np_cap_start "$NS_B" b0 "$CAP" -s 128 tcp or udp or icmp
}

# tsh FILTER FIELD...: the fields of the capture's matching packets.
tsh() {
	local y="$1"
	shift
	tshark -r "$CAP" -Y "$y" -T fields $(printf -- '-e %s ' "$@") 2>/dev/null
}

alerts() {
	np_in "$NS_B" -j show alerts
}

# scan_case NMAP_FLAG KIND PROBE_FILTER PORT_FIELD: nmap scans ports 1-200
# of NS_B with one probe each; the one alert is of KIND, with the distinct
# ports and the probes of the capture (PROBE_FILTER from the attacker).
scan_case() {
	local flag="$1" kind="$2" filter="$3 && ip.src==10.77.0.1 && ip.dst==10.77.0.2" field="$4"
	cap_start "$kind"
	in_ns "$NS_A" nmap "$flag" -n -T4 -p 1-200 --max-retries 0 --min-rate 1000 \
		10.77.0.2 >/dev/null
	np_cap_stop
	PORTS=$(tsh "$filter" "$field" | sort -u | wc -l)
	PROBES=$(tsh "$filter" frame.number | wc -l)
	echo "capture: $PROBES $kind probes to $PORTS distinct ports"
	[ "$PORTS" -eq 200 ]

	run alerts
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" -eq 1 ]
	[ "$(jq -r '.[0] | .kind + " " + .src + " " + .dst' <<<"$output")" = \
	  "$kind 10.77.0.1 10.77.0.2" ]
	[ "$(jq '.[0].port_count' <<<"$output")" -eq "$PORTS" ]
	[ "$(jq '.[0].count' <<<"$output")" -eq "$PROBES" ]
	[ "$(jq '.[0].host_count' <<<"$output")" -eq 1 ]
	[ "$(jq -r '.[0].active' <<<"$output")" = true ]
	# The kind filters it, and the kernel's counter is that kind's.
	[ "$(np_in "$NS_B" -j show alerts kind "$kind" | jq length)" -eq 1 ]
	[ "$(np_in "$NS_B" -j show alerts kind port-scan | jq length)" -eq 0 ]
	np_in "$NS_B" -j show security |
		jq -e --arg k "$kind" '[.alerts[] | select(.alerts_total > 0) | .kind] == [$k]'
}

@test "nmap -sU: one udp-scan alert, ports and datagrams as captured" {
	# Answers at full speed: the kernel's ICMP rate limit would slow nmap.
	in_ns "$NS_B" sysctl -qw net.ipv4.icmp_ratelimit=0
	# nmap sends several payloads to some well-known ports: probes, not ports.
	# (An ICMP error quotes the datagram's headers: not one of them.)
	scan_case -sU udp-scan "udp && !icmp" udp.dstport
	# The answering side's port unreachables quote the probes it refused.
	local unreach
	unreach=$(tsh "icmp.type==3 && icmp.code==3 && ip.src==10.77.0.2" frame.number | wc -l)
	echo "port unreachables from the watched side: $unreach"
	[ "$unreach" -gt 0 ] && [ "$unreach" -le "$PROBES" ]
}

@test "nmap -sA: one ack-scan alert, ports and probes as captured" {
	scan_case -sA ack-scan "tcp.flags==0x010" tcp.dstport
}

@test "nmap -sF: one fin-scan alert, ports and probes as captured" {
	scan_case -sF fin-scan "tcp.flags==0x001" tcp.dstport
}

@test "nmap -sN: one null-scan alert, ports and probes as captured" {
	scan_case -sN null-scan "tcp.flags==0x000" tcp.dstport
}

@test "nmap -sX: one xmas-scan alert, ports and probes as captured" {
	scan_case -sX xmas-scan "tcp.flags==0x029" tcp.dstport
}

@test "failed connections: refused and dropped attempts of one source, as captured" {
	# Attempts are decided 0.2-0.4 s after they were made; the whole loop fits
	# in one window even on a loaded machine.
	np_in "$NS_B" set security fail-timeout 0.2 scan-window 10 >/dev/null
	nsenter --net="/run/netns/$NS_B" socat -u TCP-LISTEN:8080,fork,reuseaddr OPEN:/dev/null \
		3>&- &
	NP_PIDS+=($!)
	in_ns "$NS_B" nft -f - <<-EOF
	table inet np_scans_test {
		chain input {
			type filter hook input priority 0;
			tcp dport 9100 drop
		}
	}
	EOF
	sleep 0.3
	local opens0
	opens0=$(in_ns "$NS_B" nstat -asz TcpPassiveOpens | awk '/TcpPassiveOpens/ {print $2}')
	cap_start failed
	# 5 that work, 25 refused (5 closed ports), 8 unanswered (a dropped port):
	# 6 (dst, port) pairs, no scan.
	in_ns "$NS_A" sh -c '
		for i in 1 2 3 4 5; do echo hi | socat -u - TCP:10.77.0.2:8080; done
		for p in 9001 9002 9003 9004 9005; do
			for i in 1 2 3 4 5; do socat -u /dev/null TCP:10.77.0.2:$p 2>/dev/null; done
		done
		for i in 1 2 3 4 5 6 7 8; do
			socat -u /dev/null TCP:10.77.0.2:9100,connect-timeout=0.15 2>/dev/null
		done
		true'
	np_cap_stop
	local opens syns rsts dropped
	opens=$(( $(in_ns "$NS_B" nstat -asz TcpPassiveOpens | awk '/TcpPassiveOpens/ {print $2}') - opens0 ))
	# Attempts by ports and sequence number: a retransmitted SYN is the same
	# attempt; a source port may serve two destination ports.
	syns=$(tsh "tcp.flags.syn==1 && tcp.flags.ack==0 && ip.src==10.77.0.1" tcp.srcport \
		tcp.dstport tcp.seq_raw | sort -u | wc -l)
	rsts=$(tsh "tcp.flags.reset==1 && ip.src==10.77.0.2" frame.number | wc -l)
	dropped=$(tsh "tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.dstport==9100" tcp.srcport \
		tcp.seq_raw | sort -u | wc -l)
	echo "capture: $syns attempts, $rsts RSTs, $dropped unanswered; $opens passive opens"
	[ "$syns" -eq 38 ] && [ "$rsts" -eq 25 ] && [ "$dropped" -eq 8 ] && [ "$opens" -eq 5 ]

	run alerts
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" -eq 1 ]
	[ "$(jq -r '.[0] | .kind + " " + .src' <<<"$output")" = "failed-conn 10.77.0.1" ]
	[ "$(jq '.[0].count' <<<"$output")" -eq "$syns" ]
	[ "$(jq '.[0].completed' <<<"$output")" -eq "$opens" ]
	[ "$(jq '.[0].failed' <<<"$output")" -eq $((rsts + dropped)) ]
	[ "$(np_in "$NS_B" -j show alerts kind failed-conn | jq length)" -eq 1 ]
	run np_in "$NS_B" --prom show alerts kind failed-conn
	grep -qx 'netprobe_alerts_total{kind="failed-conn"} 1' <<<"$(np_prom_plain <<<"$output")"
}

@test "failed connections: fail-conns 0 turns it off, fail-pct above the share of failures" {
	np_in "$NS_B" set security fail-timeout 0.2 fail-conns 0 >/dev/null
	in_ns "$NS_A" sh -c 'for i in $(seq 30); do socat -u /dev/null TCP:10.77.0.2:9001 2>/dev/null; done
		sleep 0.5; socat -u /dev/null TCP:10.77.0.2:9001 2>/dev/null; true'
	[ "$(alerts)" = "[]" ]
	# 30 refused of 60: 50%, under fail-pct 60.
	run np_in "$NS_B" -j set security fail-conns 20 fail-pct 60
	[ "$(jq -c '[.fail_conns, .fail_pct, .fail_timeout_ns]' <<<"$output")" = "[20,60,200000000]" ]
	nsenter --net="/run/netns/$NS_B" socat -u TCP-LISTEN:8080,fork,reuseaddr OPEN:/dev/null \
		3>&- &
	NP_PIDS+=($!)
	sleep 0.3
	in_ns "$NS_A" sh -c 'for i in $(seq 30); do
			socat -u /dev/null TCP:10.77.0.2:9001 2>/dev/null
			echo hi | socat -u - TCP:10.77.0.2:8080
		done
		sleep 0.5; socat -u /dev/null TCP:10.77.0.2:9001 2>/dev/null; true'
	run alerts
	echo "$output"
	[ "$output" = "[]" ]
}

@test "benign loads give no alert: short connections, a web-like client, DNS-like UDP" {
	# Strict: attempts are decided after 0.2 s.
	np_in "$NS_B" set security fail-timeout 0.2 >/dev/null
	nsenter --net="/run/netns/$NS_B" socat -u TCP-LISTEN:8080,fork,reuseaddr OPEN:/dev/null \
		3>&- &
	NP_PIDS+=($!)
	mkdir "$TMP/www"
	for i in $(seq 30); do echo "page $i" >"$TMP/www/$i.html"; done
	nsenter --net="/run/netns/$NS_B" python3 -m http.server -b 10.77.0.2 -d "$TMP/www" 8000 \
		>/dev/null 2>&1 3>&- &
	NP_PIDS+=($!)
	nsenter --net="/run/netns/$NS_B" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.2", 5353))
while True:
    d, a = s.recvfrom(2048)
    s.sendto(d + b"answer", a)' 3>&- &
	NP_PIDS+=($!)
	for _ in $(seq 50); do
		in_ns "$NS_A" curl -s -o /dev/null http://10.77.0.2:8000/1.html && break
		sleep 0.1
	done
	cap_start benign
	in_ns "$NS_A" sh -c 'for i in $(seq 200); do echo hi | socat -u - TCP:10.77.0.2:8080; done'
	# Ten pages at a time, each on a connection of its own, three rounds.
	for _ in 1 2 3; do
		in_ns "$NS_A" curl -s --parallel --parallel-max 10 -H 'Connection: close' \
			-o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
			-o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
			"http://10.77.0.2:8000/[1-10].html"
	done
	# 300 queries, each from a socket (a source port) of its own.
	in_ns "$NS_A" python3 -c '
import socket
n = 0
for i in range(300):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.sendto(b"query %d" % i, ("10.77.0.2", 5353))
    n += s.recv(2048).startswith(b"query")
    s.close()
assert n == 300, n'
	sleep 0.5
	# A last SYN: every attempt before it is past its timeout now.
	echo hi | in_ns "$NS_A" socat -u - TCP:10.77.0.2:8080
	np_cap_stop
	local syns web dns
	syns=$(tsh "tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.dstport==8080" tcp.srcport | sort -u | wc -l)
	web=$(tsh "tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.dstport==8000" tcp.srcport | sort -u | wc -l)
	dns=$(tsh "udp.dstport==5353 && ip.src==10.77.0.1" frame.number | wc -l)
	echo "capture: $syns connections to 8080, $web to the web server, $dns queries"
	[ "$syns" -eq 201 ] && [ "$web" -ge 30 ] && [ "$dns" -eq 300 ]

	run alerts
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
}

@test "set security fail-*: bad values are usage errors, nothing is written" {
	local args
	for args in "fail-conns many" "fail-conns -1" "fail-pct 0" "fail-pct 101" \
		"fail-timeout 0" "fail-timeout 61" "fail-timeout x" "fail-conns" \
		"fail-pct 50 fail-pct 60"; do
		run np_in "$NS_B" set security $args
		echo "$args: $status $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == Error:* ]]
	done
	run np_in "$NS_B" -j show security
	[ "$(jq -c '[.fail_conns, .fail_pct, .fail_timeout_ns]' <<<"$output")" = "[20,80,1000000000]" ]
	run np_in "$NS_B" show alerts kind udp
	[ "$status" -eq 0 ]
	run np_in "$NS_B" show alerts kind worm
	[ "$status" -eq 2 ]
}
