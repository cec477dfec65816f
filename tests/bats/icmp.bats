#!/usr/bin/env bats
# ICMP diagnostics (show icmp, show icmp errors) against independent oracles:
# tshark's decode of the same bytes (tests/icmp/oracle.py: icmp.type and
# icmp.code, the error's source and the quoted ip/ipv6, udp/tcp or inner
# icmp fields) and the kernel's own ICMP counters (/proc/net/snmp IcmpMsg,
# /proc/net/snmp6 Icmp6InType/OutType) of the namespace that sent and
# received the packets. Crafted errors of every kind (tests/data/icmp,
# made by mkerrors.py there) and a kept capture are replayed into b0; real
# errors come from a router and a server namespace.

load helpers

ORACLE="$BATS_TEST_DIRNAME/../icmp/oracle.py"
ERRORS="$NP_DATA/icmp/errors.pcap"

setup() {
	skip_unless_cmd tshark python3
	np_setup_root
}

teardown() {
	np_teardown
}

# np_rows NS DEV [ARGS...]: netprobe's rows of DEV, counts then errors, in
# oracle.py's form (ARGS: filters for both views).
np_rows() {
	local ns="$1" dev="$2"
	shift 2
	{
		np_in "$ns" -j show icmp "$@" | jq -r --arg dev "$dev" '.[] |
			select(.interface == $dev) |
			"count \(.direction) \(.family) \(.type_number) \(.code_number) \(.packets) \(.bytes)"'
		np_in "$ns" -j show icmp errors "$@" | jq -r --arg dev "$dev" '.[] |
			select(.interface == $dev) |
			(if .later_fragment then "frag" else null end) as $frag |
			"error \(.direction) \(.family) \(.type_number) \(.code_number) \(.reporter) " +
			"\(.proto_number // "-") \(.src // "-") \($frag // .sport // "-") " +
			"\(.dst // "-") \($frag // .dport // "-") \(.mtu // "-") \(.count) \(.bytes)"'
	} | sort
}

# np_errors NS DEV [ARGS...]: only the errors' rows of np_rows, for filters
# that only errors take.
np_errors() {
	local ns="$1" dev="$2"
	shift 2
	np_in "$ns" -j show icmp errors "$@" | jq -r --arg dev "$dev" '.[] |
		select(.interface == $dev) |
		(if .later_fragment then "frag" else null end) as $frag |
		"error \(.direction) \(.family) \(.type_number) \(.code_number) \(.reporter) " +
		"\(.proto_number // "-") \(.src // "-") \($frag // .sport // "-") " +
		"\(.dst // "-") \($frag // .dport // "-") \(.mtu // "-") \(.count) \(.bytes)"' | sort
}

replay_errors() {
	np_veth_pair
	np_in "$NS_B" attach b0 >/dev/null
	pcap_replay "$NS_A" a0 "$ERRORS"
	python3 "$ORACLE" "$ERRORS" >"$BATS_TEST_TMPDIR/tshark"
}

@test "crafted errors: counts, reporters and quoted flows equal tshark's decode" {
	replay_errors
	diff "$BATS_TEST_TMPDIR/tshark" <(np_rows "$NS_B" b0)
	# What the file holds, per tshark: every kind of error, and counts that differ.
	t="$BATS_TEST_TMPDIR/tshark"
	echo "# tshark: $(grep -c ^count "$t") type/code rows, $(grep -c ^error "$t") error rows" >&3
	[ "$(grep -c ^count "$t")" -ge 20 ] && [ "$(grep -c ^error "$t")" -ge 19 ]
	# frag-needed from the router, its MTU, the TCP flow it quotes
	grep -q '^error ingress ipv4 3 4 192.0.2.1 6 10.1.2.3 45000 203.0.113.9 443 1400 2 ' "$t"
	# port unreachable from the server, the UDP flow; also in an 802.1Q frame
	grep -q '^error ingress ipv4 3 3 203.0.113.9 17 10.1.2.3 40000 203.0.113.9 53 - 4 ' "$t"
	grep -q '^error ingress ipv4 3 3 203.0.113.9 17 10.1.2.3 40002 203.0.113.9 53 - 2 ' "$t"
	# packet-too-big, hop limit exceeded quoting ICMPv6 echo, a quoted later fragment
	grep -q '^error ingress ipv6 2 0 2001:db8:ff::1 6 2001:db8::1 45000 2001:db8:1::9 443 1280 2 ' "$t"
	grep -q '^error ingress ipv6 3 0 2001:db8:ff::1 58 2001:db8::1 128 2001:db8:1::9 0 - 1 ' "$t"
	grep -q '^error ingress ipv4 11 1 203.0.113.9 17 10.1.2.3 frag 203.0.113.9 frag - 1 ' "$t"
	# quotes cut short: addresses without ports, then nothing
	grep -q '^error ingress ipv4 3 3 203.0.113.9 17 10.1.2.3 - 203.0.113.9 - - 2 ' "$t"
	grep -q '^error ingress ipv4 3 1 203.0.113.9 - - - - - - 1 ' "$t"
	# no errors: redirect, neighbour discovery, echo
	! grep -Eq '^error ingress (ipv4 (5|8|0)|ipv6 (135|136|134|128|129)) ' "$t"
}

@test "icmp_echo_tunnel: echo requests and replies equal tshark's (448 and 415)" {
	np_veth_pair
	ip -n "$NS_A" link set a0 mtu 9000
	ip -n "$NS_B" link set b0 mtu 9000
	np_in "$NS_B" attach b0 >/dev/null
	pcap_replay "$NS_A" a0 "$PCAPS/icmp_echo_tunnel.pcap"
	diff <(python3 "$ORACLE" "$PCAPS/icmp_echo_tunnel.pcap") <(np_rows "$NS_B" b0)
	run np_in "$NS_B" -j show icmp type echo-request
	[ "$(jq '.[0].packets' <<<"$output")" -eq 448 ]
	run np_in "$NS_B" -j show icmp type echo-reply
	[ "$(jq '.[0].packets' <<<"$output")" -eq 415 ]
	[ "$(np_in "$NS_B" -j show icmp errors | jq length)" -eq 0 ]
}

@test "filters, sort and top select what tshark's decode selects" {
	replay_errors
	t="$BATS_TEST_TMPDIR/tshark"
	e() { grep '^error' "$t" | awk "$1" | sort; }
	c() { grep '^count' "$t" | awk "$1" | sort; }
	# type: names of either family, N and N/CODE
	diff <(e '($3 == "ipv4" && $4 == 3 && $5 == 3) || ($3 == "ipv6" && $4 == 1 && $5 == 4)') \
		<(np_errors "$NS_B" b0 type port-unreachable)
	diff <(e '$3 == "ipv4" && $4 == 3 && $5 == 4') <(np_errors "$NS_B" b0 type frag-needed)
	diff <(e '$3 == "ipv6" && $4 == 2') <(np_errors "$NS_B" b0 type packet-too-big)
	diff <(e '$4 == 3') <(np_errors "$NS_B" b0 type 3)
	diff <(e '$4 == 3 && $5 == 1') <(np_errors "$NS_B" b0 type 3/1)
	diff <(e '$3 == "ipv4" && $4 == 11') <(np_errors "$NS_B" b0 type time-exceeded family ipv4)
	diff <(c '($3 == "ipv4" && $4 == 8) || ($3 == "ipv6" && $4 == 128)') \
		<(np_rows "$NS_B" b0 type echo-request | grep ^count)
	diff <(c '$3 == "ipv6"') <(np_rows "$NS_B" b0 family ipv6 | grep ^count)
	# the errors' own: reporter, the quoted flow's protocol, addresses and ports
	diff <(e '$6 == "192.0.2.1"') <(np_errors "$NS_B" b0 reporter 192.0.2.1)
	diff <(e '$6 ~ /^2001:db8:ff::/') <(np_errors "$NS_B" b0 reporter 2001:db8:ff::/48)
	diff <(e '$7 == 6') <(np_errors "$NS_B" b0 proto tcp)
	diff <(e '$7 == 1 || $7 == 58') \
		<({ np_errors "$NS_B" b0 proto icmp; np_errors "$NS_B" b0 proto icmpv6; } | sort)
	diff <(e '$11 == 53') <(np_errors "$NS_B" b0 dport 53)
	diff <(e '$9 == 45000') <(np_errors "$NS_B" b0 sport 45000)
	diff <(e '$9 == 443 || $11 == 443') <(np_errors "$NS_B" b0 port 443)
	diff <(e '$10 == "203.0.113.10"') <(np_errors "$NS_B" b0 dst 203.0.113.10/32)
	diff <(e '$8 == "2001:db8::1"') <(np_errors "$NS_B" b0 src 2001:db8::1)
	diff <(e '$7 == 6 && $4 == 3 && $5 == 4') <(np_errors "$NS_B" b0 proto tcp type frag-needed dport 443)
	# ICMP quotes hold type and code where the ports are: no port matches them
	[ -z "$(np_errors "$NS_B" b0 proto icmp port 8)" ]
	diff <(e '1') <(np_errors "$NS_B" b0 dir ingress dev b0 hook tc)
	[ -z "$(np_errors "$NS_B" b0 dir egress)" ]
	# sort and top: the most errors, the most bytes
	run np_in "$NS_B" -j show icmp errors sort count top 1
	[ "$(jq -r '.[0] | "\(.count) \(.sport) \(.dport)"' <<<"$output")" = \
		"$(e '1' | sort -k13,13nr | head -1 | awk '{ print $13, $9, $11 }')" ]
	run np_in "$NS_B" -j show icmp sort bytes top 3
	diff <(jq '.[].bytes' <<<"$output") <(c '1' | awk '{ print $7 }' | sort -rn | head -3)
	run np_in "$NS_B" -j show icmp errors sort last top 2
	[ "$(jq length <<<"$output")" -eq 2 ]
}

@test "plain text names types and codes; --prom counts equal tshark's; show all has them" {
	replay_errors
	t="$BATS_TEST_TMPDIR/tshark"
	run np_in "$NS_B" show icmp
	[ "$status" -eq 0 ]
	grep -Eq '^b0 +ingress +ipv4 +dest-unreachable +frag-needed +2 ' <<<"$output"
	grep -Eq '^b0 +ingress +ipv6 +packet-too-big +0 +2 ' <<<"$output"
	grep -Eq '^b0 +ingress +ipv6 +neighbor-solicitation +0 +2 ' <<<"$output"
	run np_in "$NS_B" show icmp errors type frag-needed
	[ "$status" -eq 0 ]
	grep -Eq '^b0 +ingress +192\.0\.2\.1 +dest-unreachable +frag-needed +tcp +10\.1\.2\.3 +45000 +203\.0\.113\.9 +443 +1400 +2 ' <<<"$output"
	grep -q '^error table: *[0-9]* of 16384 entries, 0 evictions' <<<"$output"
	# One sample per tshark row, the same numbers per family; types and codes by name.
	diff <(grep ^count "$t" | awk '{ print $3, $6 }' | sort) \
		<(np_in "$NS_B" --prom show icmp | np_prom_plain | grep '^netprobe_icmp_packets_total' |
			sed -E 's/.*family="([^"]+)".* ([0-9]+)$/\1 \2/' | sort)
	np_in "$NS_B" --prom show icmp | np_prom_plain | grep -Fqx \
		'netprobe_icmp_packets_total{interface="b0",direction="ingress",hook="tc",family="ipv4",type="dest-unreachable",code="frag-needed"} 2'
	np_in "$NS_B" --prom show icmp | np_prom_plain | grep -Fqx \
		'netprobe_icmp_packets_total{interface="b0",direction="ingress",hook="tc",family="ipv6",type="packet-too-big",code="0"} 2'
	diff <(grep ^count "$t" | awk '{ s += $7 } END { print s }') \
		<(np_in "$NS_B" --prom show icmp | grep '^netprobe_icmp_bytes_total' | awk '{ s += $2 } END { print s }')
	run np_in "$NS_B" -j show icmp type frag-needed
	[ "$(jq -r '.[0] | "\(.type) \(.code) \(.type_number) \(.code_number) \(.family)"' <<<"$output")" = \
		"dest-unreachable frag-needed 3 4 ipv4" ]
	if command -v promtool >/dev/null; then
		np_in "$NS_B" --prom show icmp | promtool check metrics
	fi
	[ "$(np_in "$NS_B" --prom show all | grep -c '^netprobe_icmp_packets_total')" -eq "$(grep -c ^count "$t")" ]
}

@test "flush icmp empties both tables and counts no evictions; detach removes a device's rows" {
	replay_errors
	t="$BATS_TEST_TMPDIR/tshark"
	run np_in "$NS_B" -j flush icmp
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[] | select(.table == "icmp") | .entries' <<<"$output")" -eq "$(grep -c ^count "$t")" ]
	[ "$(jq -r '.[] | select(.table == "icmp_errors") | .entries' <<<"$output")" -eq "$(grep -c ^error "$t")" ]
	[ "$(np_in "$NS_B" -j show icmp | jq length)" -eq 0 ]
	[ "$(np_in "$NS_B" -j show icmp errors | jq length)" -eq 0 ]
	run np_in "$NS_B" show icmp errors
	grep -q '^error table: *0 of 16384 entries, 0 evictions' <<<"$output"
	# Counting goes on after the flush, from zero.
	pcap_replay "$NS_A" a0 "$ERRORS"
	diff "$t" <(np_rows "$NS_B" b0)
	# flush all takes them too.
	run np_in "$NS_B" -j flush all
	[ "$(jq -r '.[] | select(.table == "icmp_errors") | .entries' <<<"$output")" -eq "$(grep -c ^error "$t")" ]
	[ "$(np_in "$NS_B" -j show icmp | jq length)" -eq 0 ]
	# Two devices: detaching one removes its rows, the other's stay.
	ip link add a1 netns "$NS_A" type veth peer name b1 netns "$NS_B"
	ip netns exec "$NS_A" sysctl -qw net.ipv6.conf.a1.disable_ipv6=1
	ip netns exec "$NS_B" sysctl -qw net.ipv6.conf.b1.disable_ipv6=1
	ip -n "$NS_A" link set a1 up
	ip -n "$NS_B" link set b1 up
	np_in "$NS_B" attach b1 >/dev/null
	pcap_replay "$NS_A" a0 "$ERRORS"
	pcap_replay "$NS_A" a1 "$ERRORS"
	diff "$t" <(np_rows "$NS_B" b1)
	np_in "$NS_B" detach b0 >/dev/null
	[ -z "$(np_in "$NS_B" -j show icmp errors | jq -r '.[] | select(.interface != "b1") | .interface')" ]
	[ -z "$(np_in "$NS_B" -j show icmp | jq -r '.[] | select(.interface != "b1") | .interface')" ]
	diff "$t" <(np_rows "$NS_B" b1)
}

# icmp_topology: three_netns with IPv6, R's link to S at MTU 1280, and no
# ICMP rate limits (every error the probes ask for is sent).
icmp_topology() {
	local ns
	three_netns ipv6
	for ns in "$NS_C" "$NS_R" "$NS_S"; do
		ip netns exec "$ns" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
	done
	ip -n "$NS_R" link set r1 mtu 1280
	ip -n "$NS_S" link set s0 mtu 1280
}

# snmp_icmp NS: the namespace's ICMP counters by type, a "NAME VALUE" line
# each (IcmpMsg InType3, Icmp InDestUnreachs, Icmp6InType1, ...).
snmp_icmp() {
	in_ns "$1" cat /proc/net/snmp | awk '$1 == "IcmpMsg:" || $1 == "Icmp:" {
		if (!(($1) in h)) { h[$1] = 1; for (i = 2; i <= NF; i++) k[$1, i] = $i }
		else for (i = 2; i <= NF; i++) print k[$1, i], $i }'
	in_ns "$1" cat /proc/net/snmp6 | awk '$1 ~ /^Icmp6(In|Out)Type[0-9]+$/ { print $1, $2 }'
}

# snmp_delta BEFORE AFTER NAME: how much NAME grew between two snmp_icmp files.
snmp_delta() {
	local a b
	a=$(awk -v k="$3" '$1 == k { print $2 }' "$1")
	b=$(awk -v k="$3" '$1 == k { print $2 }' "$2")
	echo $(( ${b:-0} - ${a:-0} ))
}

# np_type_sum DIR FAMILY TYPE: netprobe's packets of one type on c0 (0 if none).
np_type_sum() {
	jq --arg d "$1" --arg f "$2" --argjson t "$3" '[.[] | select(.interface == "c0" and
		.direction == $d and .family == $f and .type_number == $t) | .packets] | add // 0' \
		"$BATS_TEST_TMPDIR/counts.json"
}

# probe_traffic FAMILY: from C, the packets that make S and R send errors,
# each from a source port of its own; SRV is S's address.
probe_traffic() {
	in_ns "$NS_C" python3 - "$1" "$SRV" "$CLOSED" <<-'PY'
	import socket, sys, time
	fam = socket.AF_INET if sys.argv[1] == "4" else socket.AF_INET6
	srv, closed = sys.argv[2], int(sys.argv[3])
	if fam == socket.AF_INET:
	    ttl = (socket.IPPROTO_IP, socket.IP_TTL)
	    pmtu = (socket.IPPROTO_IP, 10, 3)        # IP_MTU_DISCOVER, IP_PMTUDISC_PROBE
	else:
	    ttl = (socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS)
	    pmtu = (socket.IPPROTO_IPV6, 23, 3)      # IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE
	def udp(sport, dport, hops=None, size=16, probe=False):
	    s = socket.socket(fam, socket.SOCK_DGRAM)
	    s.bind(("", sport))
	    if hops:
	        s.setsockopt(ttl[0], ttl[1], hops)
	    if probe:
	        s.setsockopt(*pmtu)
	    for _ in range(2):
	        s.sendto(b"x" * size, (srv, dport))
	        time.sleep(0.1)
	    s.close()
	udp(41001, closed)                   # port unreachable, from S
	udp(41002, 33434, hops=1)            # time exceeded, from R
	udp(41003, 9, size=1400, probe=True) # frag-needed / packet-too-big, from R
	t = socket.socket(fam, socket.SOCK_STREAM)
	t.setsockopt(ttl[0], ttl[1], 1)      # a SYN that R does not forward
	t.bind(("", 41004))
	t.setblocking(False)
	try:
	    t.connect((srv, 443))
	except BlockingIOError:
	    pass
	time.sleep(0.3)
	t.close()
	PY
}

# live_errors FAMILY: attach c0, capture it, send pings and probes, then
# compare netprobe with the capture (tshark) and with C's ICMP counters.
live_errors() {
	skip_unless_cmd ping tcpdump
	icmp_topology
	CLOSED=$(np_free_port "$NS_S" udp)
	np_in "$NS_C" attach c0 >/dev/null
	np_cap_start "$NS_C" c0 "$BATS_TEST_TMPDIR/c0.pcap"
	snmp_icmp "$NS_C" >"$BATS_TEST_TMPDIR/snmp0"
	in_ns "$NS_C" ping -"$1" -c 3 -i 0.2 -W 1 -q "$SRV" >/dev/null
	in_ns "$NS_C" ping -"$1" -c 2 -i 0.2 -W 1 -q -t 1 "$SRV" >/dev/null || true
	probe_traffic "$1"
	sleep 0.3
	snmp_icmp "$NS_C" >"$BATS_TEST_TMPDIR/snmp1"
	np_in "$NS_C" -j show icmp >"$BATS_TEST_TMPDIR/counts.json"
	np_cap_stop
	python3 "$ORACLE" "$BATS_TEST_TMPDIR/c0.pcap" 10.79.1.1 fd00:1::1 >"$BATS_TEST_TMPDIR/tshark"
}

@test "live IPv4: echo, port unreachable, ttl-exceeded, frag-needed equal tshark and /proc/net/snmp" {
	SRV=10.79.2.1
	live_errors 4
	t="$BATS_TEST_TMPDIR/tshark" s0="$BATS_TEST_TMPDIR/snmp0" s1="$BATS_TEST_TMPDIR/snmp1"
	# Every error and the flow it quotes, as tshark decodes the capture.
	diff <(grep ^error "$t") <(np_rows "$NS_C" c0 | grep ^error)
	# The types the test made (neighbour resolution aside), per tshark.
	diff <(grep -E '^count (ingress ipv4 (0|3|11) |egress ipv4 8 )' "$t") \
		<(np_rows "$NS_C" c0 family ipv4 | grep ^count)
	# The kernel's own counters in C, per type.
	for ty in 0 3 11; do
		[ "$(np_type_sum ingress ipv4 $ty)" -eq "$(snmp_delta "$s0" "$s1" InType$ty)" ]
	done
	[ "$(np_type_sum egress ipv4 8)" -eq "$(snmp_delta "$s0" "$s1" OutType8)" ]
	[ "$(np_type_sum ingress ipv4 3)" -eq "$(snmp_delta "$s0" "$s1" InDestUnreachs)" ]
	[ "$(np_type_sum ingress ipv4 11)" -eq "$(snmp_delta "$s0" "$s1" InTimeExcds)" ]
	echo "# snmp: OutType8 $(snmp_delta "$s0" "$s1" OutType8) InType0 $(snmp_delta "$s0" "$s1" InType0) InType3 $(snmp_delta "$s0" "$s1" InType3) InType11 $(snmp_delta "$s0" "$s1" InType11); tshark: $(grep -c ^error "$t") error rows" >&3
	# What was sent: 5 echo requests, 3 replies, 2 + 2 unreachable, >= 5 ttl-exceeded.
	[ "$(np_type_sum egress ipv4 8)" -eq 5 ] && [ "$(np_type_sum ingress ipv4 0)" -eq 3 ]
	[ "$(np_type_sum ingress ipv4 3)" -eq 4 ] && [ "$(np_type_sum ingress ipv4 11)" -ge 5 ]
	# Which flows got what, from whom.
	grep -q "^error ingress ipv4 3 3 10.79.2.1 17 10.79.1.1 41001 10.79.2.1 $CLOSED - 2 " "$t"
	grep -q '^error ingress ipv4 3 4 10.79.1.2 17 10.79.1.1 41003 10.79.2.1 9 1280 2 ' "$t"
	grep -q '^error ingress ipv4 11 0 10.79.1.2 17 10.79.1.1 41002 10.79.2.1 33434 - 2 ' "$t"
	grep -q '^error ingress ipv4 11 0 10.79.1.2 1 10.79.1.1 8 10.79.2.1 0 - 2 ' "$t"
	grep -q '^error ingress ipv4 11 0 10.79.1.2 6 10.79.1.1 41004 10.79.2.1 443 - ' "$t"
}

@test "live IPv6: echo, port unreachable, hop limit, packet too big equal tshark and /proc/net/snmp6" {
	SRV=fd00:2::1
	live_errors 6
	t="$BATS_TEST_TMPDIR/tshark" s0="$BATS_TEST_TMPDIR/snmp0" s1="$BATS_TEST_TMPDIR/snmp1"
	diff <(grep ^error "$t") <(np_rows "$NS_C" c0 | grep ^error)
	diff <(grep -E '^count (ingress ipv6 (1|2|3|129) |egress ipv6 128 )' "$t") \
		<(np_rows "$NS_C" c0 family ipv6 | grep -E '^count (ingress ipv6 (1|2|3|129) |egress ipv6 128 )')
	for ty in 1 2 3 129; do
		[ "$(np_type_sum ingress ipv6 $ty)" -eq "$(snmp_delta "$s0" "$s1" Icmp6InType$ty)" ]
	done
	[ "$(np_type_sum egress ipv6 128)" -eq "$(snmp_delta "$s0" "$s1" Icmp6OutType128)" ]
	echo "# snmp6: OutType128 $(snmp_delta "$s0" "$s1" Icmp6OutType128) InType129 $(snmp_delta "$s0" "$s1" Icmp6InType129) InType1 $(snmp_delta "$s0" "$s1" Icmp6InType1) InType2 $(snmp_delta "$s0" "$s1" Icmp6InType2) InType3 $(snmp_delta "$s0" "$s1" Icmp6InType3); tshark: $(grep -c ^error "$t") error rows" >&3
	[ "$(np_type_sum egress ipv6 128)" -eq 5 ] && [ "$(np_type_sum ingress ipv6 129)" -eq 3 ]
	[ "$(np_type_sum ingress ipv6 1)" -eq 2 ] && [ "$(np_type_sum ingress ipv6 2)" -eq 2 ]
	grep -q "^error ingress ipv6 1 4 fd00:2::1 17 fd00:1::1 41001 fd00:2::1 $CLOSED - 2 " "$t"
	grep -q '^error ingress ipv6 2 0 fd00:1::2 17 fd00:1::1 41003 fd00:2::1 9 1280 2 ' "$t"
	grep -q '^error ingress ipv6 3 0 fd00:1::2 17 fd00:1::1 41002 fd00:2::1 33434 - 2 ' "$t"
	grep -q '^error ingress ipv6 3 0 fd00:1::2 6 fd00:1::1 41004 fd00:2::1 443 - ' "$t"
}

@test "bad input, views and empty state: one-line errors, exit codes" {
	# Nothing attached: a runtime error, in JSON too; flushing nothing is no error.
	run "$NP" show icmp
	[ "$status" -eq 1 ] && [[ "$output" == Error:* ]] && [ "${#lines[@]}" -eq 1 ]
	run "$NP" -j show icmp errors
	[ "$status" -eq 1 ] && jq -e .error <<<"$output" >/dev/null
	run "$NP" -j flush icmp
	[ "$status" -eq 0 ] && [ "$(jq length <<<"$output")" -eq 0 ]
	# Usage errors come first, attached or not.
	for args in "type bogus" "type 256" "type 3/256" "type 3/" "port 53" "sport 1" "reporter 10.0.0.0/8" \
		"proto tcp" "src ::/0" "sort last" "sort nonsense" "dport 70000" "family ipv5" "dir up" \
		"bogus 1" "type" "errors errors" "dev"; do
		run "$NP" show icmp $args
		[ "$status" -eq 2 ] || { echo "show icmp $args: $status" >&2; false; }
		[[ "$output" == Error:* ]] && [ "${#lines[@]}" -eq 1 ]
	done
	run "$NP" show icmp port 53
	[[ "$output" == *"only with errors"* ]]
	run "$NP" --prom show icmp errors
	[ "$status" -eq 2 ] && [[ "$output" == *"no Prometheus form"* ]]
	run "$NP" show icmp errors dport 70000
	[ "$status" -eq 2 ]
	run "$NP" show icmp rep 10.0.0.0/8
	[ "$status" -eq 2 ] && [[ "$output" == *"'reporter' only with errors"* ]]
	run "$NP" flush icmp now
	[ "$status" -eq 2 ]
	run "$NP" show icmp help
	[ "$status" -eq 0 ] && [[ "$output" == *"show icmp [errors]"* ]]
	# A device that carries no traffic hook.
	np_veth_pair
	np_in "$NS_B" attach b0 >/dev/null
	run np_in "$NS_B" show icmp dev nosuchdev
	[ "$status" -ne 0 ] && [[ "$output" == Error:* ]]
	# Attached: empty lists, valid JSON, no rows.
	run np_in "$NS_B" -j show icmp errors
	[ "$status" -eq 0 ] && [ "$(jq length <<<"$output")" -eq 0 ]
	# Prefixes: `e` for errors, `ty` for type.
	pcap_replay "$NS_A" a0 "$ERRORS"
	# (the wall-clock times of two runs may differ by the microsecond of rounding)
	diff <(np_in "$NS_B" -j show icmp errors type frag-needed | jq -S 'map(del(.first_seen, .last_seen))') \
		<(np_in "$NS_B" -j sh ic e ty frag-needed | jq -S 'map(del(.first_seen, .last_seen))')
	[ "$(np_in "$NS_B" -j sh ic e ty frag-needed | jq length)" -eq 1 ]
}
