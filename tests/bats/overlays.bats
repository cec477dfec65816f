#!/usr/bin/env bats
# Geneve and IP-in-IP (and VXLAN on 4789 beside them): the vxlan probe's
# tunnel rows, inner flows and counters against tshark's decoding of the
# crafted captures in tests/data/overlays, replayed into a veth.

load helpers

setup() {
	skip_unless_cmd tshark tcpreplay tcprewrite python3
	np_setup_root
	TSHARK="tshark -o gui.console_open:NEVER"
	OVL="$NP_DATA/overlays"
	np_veth_pair
	ip -n "$NS_A" link set a0 mtu 9000
	ip -n "$NS_B" link set b0 mtu 9000
}

teardown() {
	np_teardown
}

# tshark_overlay FILE: what tshark decodes in FILE, one line per frame that
# is an overlay packet (or one a parser must count apart):
#   T type vni outer_src outer_dst frame_len options_bytes oam critical
#   F type vni outer_src outer_dst proto src sport dst dport inner_bytes
#   C counter
# The outer header is the first IP header of the frame, the inner one the
# last; inner bytes are the inner frame's (Geneve: UDP length - 8 - 8 -
# options; IP-in-IP: the outer IP payload). tshark 4.0 names the header's
# options length geneve.option.length, as each option's: the first is the header's.
tshark_overlay() {
	local port=${2:-6081}
	# shellcheck disable=SC2046
	$TSHARK -r "$1" $([ "$port" = 6081 ] || echo "-d udp.port==$port,geneve") -T fields -E separator=/t -E occurrence=a -E aggregator=, \
		-e frame.len -e frame.protocols -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst \
		-e ip.proto -e ipv6.nxt -e ip.len -e ip.hdr_len -e ipv6.plen \
		-e udp.dstport -e udp.length -e udp.srcport \
		-e geneve.version -e geneve.option.length -e geneve.flags.oam \
		-e geneve.flags.critical -e geneve.proto_type -e geneve.vni \
		-e tcp.srcport -e tcp.dstport -e icmp.type -e icmp.code \
		-e icmpv6.type -e icmpv6.code 2>/dev/null |
	awk -F '\t' -v port="$port" '
	function last(s,   a, n) { n = split(s, a, ","); return a[n] }
	function first(s,   a) { split(s, a, ","); return a[1] }
	function count(s,   a) { return s == "" ? 0 : split(s, a, ",") }
	function yes(s) { return s == "1" || s == "True" || s == "true" }
	# tshark writes hexadecimal fields (VNI, protocol type) as 0x...
	function num(s,   i, n) {
		if (s !~ /^0x/) return s + 0
		s = tolower(substr(s, 3)); n = 0
		for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return n
	}
	{
		np = split($2, pr, ":")
		ofam = pr[3]
		if (ofam == "ip") { os = first($3); od = first($4); op = first($7) }
		else if (ofam == "ipv6") { os = first($5); od = first($6); op = first($8) }
		else next
		type = ""; opt = 0; oam = 0; crit = 0; vni = 0; ifam = ""
		if (op == 17 && first($12) == port) {
			ulen = first($13)
			if (ulen < 16) { print "C geneve_short"; next }
			if (first($15) != 0) { print "C geneve_bad_version"; next }
			opt = first($16); gp = num(first($19))
			if (ulen < 16 + opt + (gp == 25944 ? 14 : 0)) {
				print "C geneve_short"; next
			}
			type = "geneve"; vni = num(first($20))
			oam = yes(first($17)); crit = yes(first($18))
			ilen = ulen - 16 - opt
			# The inner network layer, if tshark decoded one after Geneve.
			g = 0
			for (i = 1; i <= np; i++) {
				if (pr[i] == "geneve") g = i
				else if (g && (pr[i] == "ip" || pr[i] == "ipv6")) ifam = pr[i]
			}
			if (ifam == "" && pr[np] == "arp") print "C inner_arp"
			else if (ifam == "") print "C inner_other"
		} else if (op == 4 || op == 41) {
			want = op == 4 ? "ip" : "ipv6"
			n = count(want == "ip" ? $3 : $5)
			if (n < (want == ofam ? 2 : 1)) { print "C ipip_bad"; next }
			type = "ipip"; ifam = want
			ilen = ofam == "ip" ? first($9) - first($10) : first($11)
		} else next
		print "T", type, vni, os, od, $1, opt, oam, crit
		if (ifam == "") next
		if (ifam == "ip") { is = last($3); id = last($4); ip = last($7) }
		else { is = last($5); id = last($6); ip = last($8) }
		sp = 0; dp = 0
		if (ip == 6) { sp = last($21); dp = last($22) }
		else if (ip == 17) { sp = last($14); dp = last($12) }
		else if (ip == 1) { sp = $23; dp = $24 }
		else if (ip == 58) { sp = $25; dp = $26 }
		print "F", type, vni, os, od, ip, is, sp, id, dp, ilen
	}'
}

# tunnels LINES: "type vni src dst packets bytes options oam critical" per tunnel.
tunnels() {
	awk '$1 == "T" { k = $2 " " $3 " " $4 " " $5; p[k]++; b[k] += $6; o[k] += $7;
			 m[k] += $8; c[k] += $9 }
	     END { for (k in p) print k, p[k], b[k], o[k], m[k], c[k] }' <<<"$1" | sort
}

# np_tunnels: the same from netprobe's JSON (ingress: the outer source is remote).
np_tunnels() {
	jq -r '.[] | [.type, .vni, .remote, .local, .packets, .bytes, (.options_bytes // 0),
		      (.oam_packets // 0), (.critical_packets // 0)] | map(tostring) | join(" ")' | sort
}

# flows LINES: "type vni osrc odst proto src sport dst dport packets bytes" per inner flow.
flows() {
	awk '$1 == "F" { k = $2; for (i = 3; i <= 10; i++) k = k " " $i; p[k]++; b[k] += $11 }
	     END { for (k in p) print k, p[k], b[k] }' <<<"$1" | sort
}

np_flows() {
	jq -r '.[] | [.type, .vni, .outer_src, .outer_dst, .proto_number, .src, .sport, .dst,
		      .dport, .packets, .bytes] | map(tostring) | join(" ")' | sort
}

# replay_matches FILE: the vxlan probe on b0, FILE replayed into a0; show
# vxlan and show vxlan flows (kept in TUNNELS and FLOWS) equal tshark's
# decode of FILE (kept in T).
replay_matches() {
	local want got
	T=$(tshark_overlay "$1")
	np_in "$NS_B" attach b0 vxlan >/dev/null
	pcap_replay "$NS_A" a0 "$1"
	TUNNELS=$(np_in "$NS_B" -j show vxlan)
	FLOWS=$(np_in "$NS_B" -j show vxlan flows)
	want=$(tunnels "$T")
	got=$(np_tunnels <<<"$TUNNELS")
	echo "tunnels, tshark:"; echo "$want"; echo "netprobe:"; echo "$got"
	[ "$got" = "$want" ] || return 1
	want=$(flows "$T")
	got=$(np_flows <<<"$FLOWS")
	echo "flows, tshark:"; echo "$want"; echo "netprobe:"; echo "$got"
	[ "$got" = "$want" ]
}

# counted LINES NAME: how many "C NAME" lines.
counted() {
	grep -c "^C $2\$" <<<"$1" || true
}

@test "the captures are what mkoverlays.py writes" {
	python3 "$OVL/mkoverlays.py" "$BATS_TEST_TMPDIR"
	cmp "$BATS_TEST_TMPDIR/geneve.pcap" "$OVL/geneve.pcap"
	cmp "$BATS_TEST_TMPDIR/ipip.pcap" "$OVL/ipip.pcap"
}

@test "Geneve: tunnels (VNI, options, O and C bits) and inner flows equal tshark on the capture" {
	replay_matches "$OVL/geneve.pcap"
	# The capture holds what it should: 9 tunnel packets in 5 tunnels; 6
	# inner flows (IPv4 and IPv6, with and without an inner Ethernet
	# header, over an IPv6 underlay too).
	[ "$(grep -c '^T geneve' <<<"$T")" -eq 9 ]
	[ "$(jq length <<<"$TUNNELS")" -eq 5 ] && [ "$(jq length <<<"$FLOWS")" -eq 6 ]
	jq -e 'all(.[]; .type == "geneve" and .direction == "ingress")' <<<"$TUNNELS"
	# Options, O and C were seen at all (not only zero on both sides).
	[ "$(jq '[.[].options_bytes] | add' <<<"$TUNNELS")" -eq 12 ]
	[ "$(jq '[.[].oam_packets] | add' <<<"$TUNNELS")" -eq 1 ]
	[ "$(jq '[.[].critical_packets] | add' <<<"$TUNNELS")" -eq 1 ]
	run np_in "$NS_B" -j show vxlan flows vni 9 proto icmp
	[ "$(jq -r '.[0] | "\(.src) \(.dst) \(.bytes)"' <<<"$output")" = "10.0.9.1 10.0.9.2 36" ]
	run np_in "$NS_B" -j show vxlan flows remote fd00:50::/64
	[ "$(jq -r '.[0] | "\(.vni) \(.src) \(.dport) \(.tcp_flags)"' <<<"$output")" = "11 fd00:11::1 443 ......S." ]
}

@test "Geneve: checksums, bad versions, short headers and inner protocols are counted apart" {
	local f="$OVL/geneve.pcap" t in tsk
	t=$(tshark_overlay "$f")
	run np_in "$NS_B" attach b0 vxlan
	[ "$status" -eq 0 ]
	pcap_replay "$NS_A" a0 "$f"
	run np_in "$NS_B" -j show vxlan counters dev b0
	[ "$status" -eq 0 ]
	in=$(jq '.[] | select(.direction == "ingress")' <<<"$output")
	echo "$in"
	tsk() { $TSHARK -r "$f" -o udp.check_checksum:TRUE -Y "$1" 2>/dev/null | wc -l; }
	# Outer checksums (#1: the outer UDP header) of datagrams with a whole
	# Geneve header (16 bytes of UDP).
	local g='udp.dstport#1 == 6081 && udp.length#1 >= 16'
	[ "$(jq .csum_ok <<<"$in")" -eq "$(tsk "$g && udp.checksum.status#1 == 1")" ]
	[ "$(jq .csum_bad <<<"$in")" -eq "$(tsk "$g && udp.checksum.status#1 == 0")" ]
	[ "$(jq .csum_zero <<<"$in")" -eq "$(tsk "$g && udp.checksum#1 == 0")" ]
	[ "$(jq .csum_ok <<<"$in")" -eq 3 ] && [ "$(jq .csum_bad <<<"$in")" -eq 1 ]
	[ "$(jq .csum_zero <<<"$in")" -eq 7 ]
	[ "$(jq .geneve_short <<<"$in")" -eq "$(counted "$t" geneve_short)" ]
	[ "$(jq .geneve_short <<<"$in")" -eq 2 ]
	[ "$(jq .geneve_bad_version <<<"$in")" -eq "$(counted "$t" geneve_bad_version)" ]
	[ "$(jq .geneve_bad_version <<<"$in")" -eq 1 ]
	[ "$(jq .geneve_packets <<<"$in")" -eq "$(grep -c '^T geneve' <<<"$t")" ]
	[ "$(jq .packets <<<"$in")" -eq "$(grep -c '^T ' <<<"$t")" ]
	[ "$(jq .geneve_options <<<"$in")" -eq "$(awk '$1 == "T" && $7 > 0' <<<"$t" | wc -l)" ]
	[ "$(jq .geneve_oam <<<"$in")" -eq "$(awk '$1 == "T" && $8' <<<"$t" | wc -l)" ]
	[ "$(jq .geneve_critical <<<"$in")" -eq "$(awk '$1 == "T" && $9' <<<"$t" | wc -l)" ]
	[ "$(jq .inner_arp <<<"$in")" -eq "$(counted "$t" inner_arp)" ]
	[ "$(jq .inner_other <<<"$in")" -eq "$(counted "$t" inner_other)" ]
	[ "$(jq '.inner_ipv4 + .inner_ipv6' <<<"$in")" -eq "$(grep -c '^F ' <<<"$t")" ]
	[ "$(jq .inner_ipv6 <<<"$in")" -eq "$(awk '$1 == "F" && $7 ~ /:/' <<<"$t" | wc -l)" ]
	# The UDP datagram to 6082 is no tunnel; nothing of VXLAN or IP-in-IP here.
	[ "$(jq '.short + .bad_flags + .ipip_packets + .ipip_bad' <<<"$in")" -eq 0 ]
	jq -e '.ports == [4789, 8472] and .geneve_ports == [6081]' <<<"$in"
}

@test "IP-in-IP (4 and 41, IPv4 and IPv6 underlay): tunnels and inner flows equal tshark" {
	local t in
	replay_matches "$OVL/ipip.pcap"
	t=$T
	[ "$(grep -c '^T ipip' <<<"$t")" -eq 6 ]
	[ "$(jq length <<<"$TUNNELS")" -eq 4 ] && [ "$(jq length <<<"$FLOWS")" -eq 5 ]
	jq -e 'all(.[]; .type == "ipip" and .vni == 0 and has("options_bytes") == false)' <<<"$TUNNELS"
	# Flows' filters on the inner packet and on the other end of the tunnel.
	run np_in "$NS_B" -j show vxlan flows type ipip remote 192.168.60.1 proto tcp dport 8080
	[ "$(jq -r '[.[].packets] | add' <<<"$output")" -eq 2 ]
	[ "$(jq -r '[.[].bytes] | add' <<<"$output")" -eq "$((40 + 240))" ]
	run np_in "$NS_B" -j show vxlan counters dev b0
	in=$(jq '.[] | select(.direction == "ingress")' <<<"$output")
	echo "$in"
	[ "$(jq .ipip_packets <<<"$in")" -eq "$(grep -c '^T ipip' <<<"$t")" ]
	[ "$(jq .ipip_bad <<<"$in")" -eq "$(counted "$t" ipip_bad)" ]
	[ "$(jq .ipip_bad <<<"$in")" -eq 2 ]
	[ "$(jq .inner_ipv6 <<<"$in")" -eq 1 ]
	[ "$(jq '.geneve_packets + .short + .geneve_short + .csum_zero + .csum_ok + .csum_bad' <<<"$in")" -eq 0 ]
}

@test "VXLAN on 4789, Geneve and IP-in-IP together: type keeps them apart in every view" {
	local t4789="$PCAPS/vxlan4789_vni100_icmp.pcap" ty n want
	run np_in "$NS_B" attach b0 vxlan
	[ "$status" -eq 0 ]
	for f in "$t4789" "$OVL/geneve.pcap" "$OVL/ipip.pcap"; do
		pcap_replay "$NS_A" a0 "$f"
	done
	# VXLAN on 4789 is parsed without vxlan-port: tshark's VXLAN frames.
	n=$($TSHARK -r "$t4789" -Y 'vxlan.flag_i == 1' 2>/dev/null | wc -l)
	[ "$n" -eq 10 ]
	run np_in "$NS_B" -j show vxlan type vxlan
	[ "$status" -eq 0 ]
	[ "$(jq '[.[].packets] | add' <<<"$output")" -eq "$n" ]
	[ "$(jq '[.[].bytes] | add' <<<"$output")" -eq "$($TSHARK -r "$t4789" -Y vxlan -T fields -e frame.len 2>/dev/null | awk '{ b += $1 } END { print b }')" ]
	for ty in geneve ipip; do
		want=$(tshark_overlay "$OVL/$ty.pcap" | grep -c "^T $ty")
		run np_in "$NS_B" -j show vxlan type "$ty"
		[ "$status" -eq 0 ]
		[ "$(jq "[.[] | select(.type == \"$ty\") | .packets] | add" <<<"$output")" -eq "$want" ]
		[ "$(jq "[.[] | select(.type != \"$ty\")] | length" <<<"$output")" -eq 0 ]
		run np_in "$NS_B" -j show vxlan flows type "$ty"
		[ "$(jq "[.[] | select(.type != \"$ty\")] | length" <<<"$output")" -eq 0 ]
		[ "$(jq length <<<"$output")" -eq "$(flows "$(tshark_overlay "$OVL/$ty.pcap")" | wc -l)" ]
	done
	# The totals: every type's packets.
	run np_in "$NS_B" -j show vxlan counters dev b0 dir ingress
	[ "$(jq '.[0].packets' <<<"$output")" -eq "$((n + 9 + 6))" ]
	# Plain text has the column, Prometheus the label.
	run np_in "$NS_B" show vxlan
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *" TYPE "* ]]
	[ "$(grep -c ' geneve ' <<<"$output")" -eq 5 ]
	run np_in "$NS_B" --prom show vxlan
	[ "$status" -eq 0 ]
	grep -q 'netprobe_vxlan_packets_total{interface="b0",direction="ingress",type="ipip",vni="0",local="192.168.60.1",remote="192.168.60.2"} 1$' <<<"$(np_prom_plain <<<"$output")"
	if command -v promtool >/dev/null; then
		promtool check metrics <<<"$output"
		np_in "$NS_B" --prom show vxlan counters | promtool check metrics
	fi
	# A type that is none: a usage error.
	run np_in "$NS_B" show vxlan type gre
	[ "$status" -eq 2 ]
	[[ "$output" == *"type: unknown keyword 'gre'"* ]]
	run np_in "$NS_B" show vxlan counters type geneve
	[ "$status" -eq 2 ]
	[[ "$output" == *"'type' applies to"* ]]
}

@test "geneve-port adds a port to a live probe; vxlan-port on 6081 makes it VXLAN" {
	local f="$BATS_TEST_TMPDIR/geneve6090.pcap" t
	tcprewrite --portmap=6081:6090 -i "$OVL/geneve.pcap" -o "$f" 2>/dev/null
	t=$(tshark_overlay "$f" 6090)
	[ "$(grep -c '^T geneve' <<<"$t")" -eq 9 ]
	run np_in "$NS_B" attach b0 vxlan
	[ "$status" -eq 0 ]
	pcap_replay "$NS_A" a0 "$f"
	run np_in "$NS_B" -j show vxlan
	[ "$output" = "[]" ]
	run np_in "$NS_B" attach b0 vxlan geneve-port 6090
	[ "$status" -eq 0 ]
	[[ "$output" == *"UDP port 6090 is now parsed as Geneve"* ]]
	pcap_replay "$NS_A" a0 "$f"
	run np_in "$NS_B" -j show vxlan
	[ "$(np_tunnels <<<"$output")" = "$(tunnels "$t")" ]
	run np_in "$NS_B" -j show vxlan counters dev b0 dir ingress
	jq -e '.[0].geneve_ports == [6081, 6090] and .[0].ports == [4789, 8472]' <<<"$output"
	# 6081 as VXLAN: Geneve's frames are no VXLAN (no I flag) and are counted so.
	np_in "$NS_B" flush vxlan >/dev/null
	run np_in "$NS_B" attach b0 vxlan vxlan-port 6081
	[ "$status" -eq 0 ]
	[[ "$output" == *"UDP port 6081 is now parsed as VXLAN"* ]]
	pcap_replay "$NS_A" a0 "$OVL/geneve.pcap"
	run np_in "$NS_B" -j show vxlan counters dev b0 dir ingress
	echo "$output"
	jq -e '.[0].geneve_packets == 0 and .[0].bad_flags > 0 and (.[0].ports | index(6081)) != null' <<<"$output"
	run np_in "$NS_B" attach b0 vxlan geneve-port 70000
	[ "$status" -eq 2 ]
}
