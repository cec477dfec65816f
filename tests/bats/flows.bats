#!/usr/bin/env bats
# The flow table against independent oracles: tshark on the captures that
# are replayed into b0, the kernel's interface counters, bpftool's view of
# the pinned map. netprobe is attached to the receiving end (b0), so every
# frame of a capture passes TC ingress (frames not addressed to b0 are
# dropped by the stack afterwards, which does not matter here).

load helpers

setup() {
	np_setup_root
	np_veth_pair
	# Some captures hold frames of up to 9100 bytes.
	ip -n "$NS_A" link set a0 mtu 65535
	ip -n "$NS_B" link set b0 mtu 65535
}

teardown() {
	np_teardown
}

# tshark_flows FILE [DISPLAY-FILTER]: the flows of a capture, one line each:
# "proto src dst sport dport packets bytes", bytes = frame.cap_len (what a
# replay sends). IP reassembly is off: a later fragment is a flow of its
# own, under its addresses with ports "frag"; ICMP type/code stand in for ports. Outer headers
# only (first occurrence), whatever they carry.
tshark_flows() {
	tshark -r "$1" -n -o ip.defragment:FALSE -o ipv6.defragment:FALSE ${2:+-Y "$2"} \
		-T fields -E occurrence=f \
		-e frame.cap_len -e ip.src -e ip.dst -e ip.proto -e ip.frag_offset \
		-e ipv6.src -e ipv6.dst -e ipv6.nxt -e ipv6.hopopts.nxt -e ipv6.routing.nxt \
		-e ipv6.fraghdr.nxt -e ipv6.dstopts.nxt -e ipv6.fraghdr.offset \
		-e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport \
		-e icmp.type -e icmp.code -e icmpv6.type -e icmpv6.code 2>/dev/null |
	awk -F'\t' '
	{
		sport = 0; dport = 0; frag = 0
		if ($2 != "") {
			src = $2; dst = $3; p = $4; frag = $5 + 0 > 0
		} else if ($6 != "") {
			src = $6; dst = $7; p = $8
			for (i = 0; i < 4; i++)
				if (p == 0) p = $9
				else if (p == 43) p = $10
				else if (p == 44) { p = $11; frag = $13 + 0 > 0 }
				else if (p == 60) p = $12
		} else {
			next
		}
		if (!frag && p == 6) { sport = $14; dport = $15 }
		if (!frag && p == 17) { sport = $16; dport = $17 }
		if (!frag && p == 1) { sport = $18; dport = $19 }
		if (!frag && p == 58) { sport = $20; dport = $21 }
		k = p " " src " " dst " " sport + 0 " " dport + 0
		if (frag)
			k = p " " src " " dst " frag frag"
		pk[k]++; by[k] += $1
	}
	END { for (k in pk) print k, pk[k], by[k] }' | sort
}

# np_flows NS [ARGS...]: netprobe's ingress flows on b0 in the same form.
np_flows() {
	local ns="$1"
	shift
	np_in "$ns" -j show flows "$@" | jq -r '.[] | select(.interface == "b0" and
		.direction == "ingress") |
		"\(.proto_number) \(.src) \(.dst) \(.sport // "frag") \(.dport // "frag") \(.packets) \(.bytes)"' | sort
}

# status_field NS FIELD: one number from `netprobe -j status`.
status_field() {
	np_in "$1" -j status | jq -r ".$2"
}

# replay_and_compare FILE: replay into b0, compare every flow with tshark.
replay_and_compare() {
	pcap_replay "$NS_A" a0 "$1"
	diff <(tshark_flows "$1") <(np_flows "$NS_B")
}

@test "tcp_ssh_sessions: flows, packets and bytes equal tshark's" {
	np_in "$NS_B" attach b0
	replay_and_compare "$PCAPS/tcp_ssh_sessions.pcap"
	# Both directions of both sessions, with the handshake flags seen.
	run np_in "$NS_B" -j show flows proto tcp
	[ "$(jq length <<<"$output")" -eq 4 ]
	[ "$(jq '[.[] | select(.tcp_flags | test("S"))] | length' <<<"$output")" -eq 4 ]
}

@test "ipv6_http_tcp_udp: IPv6 flows equal tshark's" {
	np_in "$NS_B" attach b0
	replay_and_compare "$PCAPS/ipv6_http_tcp_udp.pcap"
	[ "$(np_flows "$NS_B" | wc -l)" -eq 30 ]
}

@test "vlan8021q_tcp: 802.1Q frames count their tag (moved to skb metadata at TC)" {
	np_in "$NS_B" attach b0
	replay_and_compare "$PCAPS/vlan8021q_tcp.pcap"
	# The sum is the file's captured bytes, tags included.
	local file_bytes
	file_bytes=$(tshark -r "$PCAPS/vlan8021q_tcp.pcap" -T fields -e frame.cap_len |
		awk '{ s += $1 } END { print s }')
	[ "$(np_in "$NS_B" -j show flows | jq '[.[].bytes] | add')" -eq "$file_bytes" ]
}

@test "ipfrag_v4v6_dns: later fragments are flows of their own, marked, without ports" {
	np_in "$NS_B" attach b0
	replay_and_compare "$PCAPS/ipfrag_v4v6_dns.pcap"
	local later
	later=$(tshark -r "$PCAPS/ipfrag_v4v6_dns.pcap" -o ip.defragment:FALSE \
		-o ipv6.defragment:FALSE -Y 'ip.frag_offset > 0 || ipv6.fraghdr.offset > 0' |
		wc -l)
	[ "$later" -gt 0 ]
	[ "$(status_field "$NS_B" flows_fragments)" -eq "$later" ]
	[ "$(np_in "$NS_B" -j show flows | jq '[.[].fragments] | add')" -eq "$later" ]
	# Marked in the key: their own rows, no ports (not ICMP type 0 code 0).
	[ "$(np_in "$NS_B" -j show flows | jq '[.[] | select(.later_fragment) |
		.packets] | add')" -eq "$later" ]
	np_in "$NS_B" -j show flows | jq -e 'all(.[]; (.later_fragment | type == "boolean") and
		(if .later_fragment then .sport == null and .dport == null and .fragments == .packets
		 else (.sport | type == "number") end))'
	[ "$(np_in "$NS_B" -j show flows fragments | jq '[.[].packets] | add')" -eq "$later" ]
	[ "$(np_in "$NS_B" -j show flows fragments proto udp | jq 'length')" -ge 1 ]
	# Plain text says so where the ports would be.
	run np_in "$NS_B" show flows fragments
	[ "$status" -eq 0 ]
	grep -Eq ' frag .* frag ' <<<"$output"
}

@test "malformed_dns_frags_snaplen: truncated frames count what was sent" {
	np_in "$NS_B" attach b0
	replay_and_compare "$PCAPS/malformed_dns_frags_snaplen.pcap"
	# Truncated: the frame ends before the IP total length says.
	local short
	short=$(tshark -r "$PCAPS/malformed_dns_frags_snaplen.pcap" -T fields \
		-e frame.cap_len -e ip.len | awk '$2 + 14 > $1 { n++ } END { print n + 0 }')
	[ "$short" -gt 0 ]
	[ "$(status_field "$NS_B" flows_truncated)" -eq "$short" ]
	[ "$(np_in "$NS_B" -j show flows | jq '[.[].truncated] | add')" -eq "$short" ]
	# Nothing dropped from the totals: flows hold every frame the kernel received.
	[ "$(np_in "$NS_B" -j show flows | jq '[.[].packets] | add')" -eq \
		"$(dev_counter "$NS_B" b0 rx packets)" ]
}

@test "other captures (ICMP, scans, VXLAN, mixed v4/v6) equal tshark; flush between" {
	np_in "$NS_B" attach b0
	for f in mixed_v4v6_http_dns icmp_echo_tunnel portscan_nmap_syn_1000ports \
		synflood_spoofed_src_500 vxlan8472_vni100_icmp; do
		np_in "$NS_B" flush flows
		[ "$(np_in "$NS_B" -j show flows | jq length)" -eq 0 ]
		echo "# $f" >&3
		replay_and_compare "$PCAPS/$f.pcap"
	done
	# Flushed entries are not evictions.
	[ "$(status_field "$NS_B" flows_evictions)" -eq 0 ]
	[ "$(status_field "$NS_B" flows_flushed)" -gt 0 ]
}

@test "xdp: tags in the packet data, same flows as tshark" {
	np_in "$NS_B" attach b0 xdp 2>/dev/null
	# ipv6_http_tcp_udp has 3633-byte frames: multi-buffer XDP frames on veth.
	for f in vlan8021q_tcp ipfrag_v4v6_dns ipv6_http_tcp_udp; do
		np_in "$NS_B" flush flows
		replay_and_compare "$PCAPS/$f.pcap"
	done
	[ "$(np_in "$NS_B" -j show flows | jq -r '[.[].hook] | unique | join(",")')" = xdp ]
	# XDP sees ingress only: hook xdp is every ingress flow, and the plain
	# text has a HOOK column once XDP is attached.
	diff <(tshark_flows "$PCAPS/ipv6_http_tcp_udp.pcap") <(np_flows "$NS_B" hook xdp dir ingress)
	[ "$(np_in "$NS_B" -j show flows hook tc dir ingress)" = "[]" ]
	np_in "$NS_B" show flows top 1 | grep -q '^INTERFACE.*HOOK'
}

@test "a full small table evicts the oldest flows and counts them" {
	skip_unless_cmd hping3 nft bpftool taskset
	local n=3000 size=1024 mac rx0 rx1 entries bpftool_entries inserts evictions
	# Nothing but our datagrams on b0: no ARP (static entry), no replies (dropped).
	mac=$(ip -n "$NS_B" -j link show b0 | jq -r '.[0].address')
	ip -n "$NS_A" neigh replace 10.77.0.2 lladdr "$mac" dev a0 nud permanent
	in_ns "$NS_B" nft add table ip np_test
	in_ns "$NS_B" nft 'add chain ip np_test in { type filter hook input priority 0; policy drop; }'
	np_in "$NS_B" attach b0 flows $size
	rx0=$(dev_counter "$NS_B" b0 rx packets)
	# One datagram per source port 20000, 20001, ...: every packet a new flow.
	# One CPU: the LRU keeps per-CPU lists, whose order only holds within a CPU.
	in_ns "$NS_A" taskset -c 0 hping3 -q --udp -p 9999 -s 20000 -i u100 -c $n 10.77.0.2 >/dev/null 2>&1 || true
	rx1=$(dev_counter "$NS_B" b0 rx packets)
	[ $((rx1 - rx0)) -eq $n ]

	entries=$(status_field "$NS_B" flows_entries)
	inserts=$(status_field "$NS_B" flows_inserts)
	evictions=$(status_field "$NS_B" flows_evictions)
	bpftool_entries=$(bpftool -j map dump pinned "$NETPROBE_PIN_ROOT/maps/np_flows" | jq length)
	echo "entries $entries bpftool $bpftool_entries inserts $inserts evictions $evictions" >&3
	[ "$(status_field "$NS_B" flows_max_entries)" -eq $size ]
	[ "$entries" -eq "$bpftool_entries" ]
	# The LRU frees up to 128 entries per CPU at a time into a per-CPU list.
	[ "$entries" -le $size ]
	[ "$entries" -ge $((size - 128 * $(nproc))) ]
	[ "$inserts" -eq $n ]
	[ "$evictions" -eq $((n - entries)) ]
	[ "$(status_field "$NS_B" flows_insert_failures)" -eq 0 ]
	# The newest flows are the ones kept: all of the last half table, none
	# older than a table (plus the per-CPU free lists) ago.
	run np_in "$NS_B" -j show flows
	[ "$(jq length <<<"$output")" -eq "$entries" ]
	[ "$(jq "[.[] | select(.sport >= $((20000 + n - size / 2)))] | length" <<<"$output")" -eq \
		$((size / 2)) ]
	[ "$(jq '[.[].sport] | min' <<<"$output")" -ge $((20000 + n - size - 128 * $(nproc))) ]
	# The interface totals are untouched by evictions.
	run np_in "$NS_B" -j show stats
	[ "$(jq '.[0].rx_packets' <<<"$output")" -eq "$(dev_counter "$NS_B" b0 rx packets)" ]
	[ "$(jq '.[0].rx_bytes' <<<"$output")" -eq "$(dev_counter "$NS_B" b0 rx bytes)" ]
	[ "$(jq '.[0].tx_packets' <<<"$output")" -eq "$(dev_counter "$NS_B" b0 tx packets)" ]
}

@test "filters, alone and combined, select what tshark's display filters select" {
	local f="$PCAPS/mixed_v4v6_http_dns.pcap"
	np_in "$NS_B" attach b0
	pcap_replay "$NS_A" a0 "$f"
	diff <(tshark_flows "$f" 'ip.proto == 6 || ipv6.nxt == 6') <(np_flows "$NS_B" proto tcp)
	diff <(tshark_flows "$f" 'ip.proto == 17 || ipv6.nxt == 17') <(np_flows "$NS_B" proto 17)
	diff <(tshark_flows "$f" 'ip.src == 141.142.220.0/24') <(np_flows "$NS_B" src 141.142.220.0/24)
	diff <(tshark_flows "$f" 'ip.dst == 208.80.152.0/22') <(np_flows "$NS_B" dst 208.80.152.0/22)
	diff <(tshark_flows "$f" 'ipv6.src == fe80::/10') <(np_flows "$NS_B" src fe80::/10)
	diff <(tshark_flows "$f" 'ipv6.dst == ff02::1:3') <(np_flows "$NS_B" dst ff02::1:3)
	diff <(tshark_flows "$f" 'udp.port == 53 || tcp.port == 53') <(np_flows "$NS_B" port 53)
	diff <(tshark_flows "$f" 'ip') <(np_flows "$NS_B" src 0.0.0.0/0)
	diff <(tshark_flows "$f" 'tcp.port == 80 && ip.src == 141.142.220.118') \
		<(np_flows "$NS_B" proto tcp port 80 src 141.142.220.118)
	diff <(tshark_flows "$f" 'udp.port == 5355 && ipv6.src == fe80::/16 && ipv6.dst == ff02::/16') \
		<(np_flows "$NS_B" dst ff02::/16 port 5355 src fe80::/16 proto udp)
	diff <(tshark_flows "$f" 'udp.srcport == 53 || tcp.srcport == 53') \
		<(np_flows "$NS_B" sport 53)
	diff <(tshark_flows "$f" 'tcp.dstport == 80') <(np_flows "$NS_B" dport 80 proto tcp)
	# dir and hook: everything replayed came in through tc on b0.
	diff <(tshark_flows "$f") <(np_flows "$NS_B" dir ingress hook tc)
	[ "$(np_in "$NS_B" -j show flows dev b0 dir egress hook tc | jq '[.[].direction] |
		unique == ["egress"] or . == []')" = true ]
	[ "$(np_in "$NS_B" -j show flows hook xdp)" = "[]" ]
	# Prefixes of keywords work; a filter matching nothing gives [].
	diff <(tshark_flows "$f" 'ip.proto == 6 || ipv6.nxt == 6') <(np_flows "$NS_B" pro tcp)
	[ "$(np_in "$NS_B" -j show flows src 192.0.2.0/24)" = "[]" ]

	# dev: lo carries its own flows, b0's stay apart.
	np_in "$NS_B" attach lo
	in_ns "$NS_B" ping -c 2 -i 0.2 -q 127.0.0.1 >/dev/null
	diff <(tshark_flows "$f") <(np_flows "$NS_B" dev b0)
	run np_in "$NS_B" -j show flows dev lo
	[ "$(jq -r '[.[].interface] | unique | join(",")' <<<"$output")" = lo ]
	[ "$(jq '[.[] | select(.proto == "icmp" and .direction == "egress") | .packets] | add' \
		<<<"$output")" -eq 4 ]
}

@test "sort and top: biggest first, top N of the oracle's numbers" {
	local f="$PCAPS/mixed_v4v6_http_dns.pcap"
	np_in "$NS_B" attach b0
	pcap_replay "$NS_A" a0 "$f"
	run np_in "$NS_B" -j show flows sort packets top 5
	[ "$(jq length <<<"$output")" -eq 5 ]
	diff <(jq '.[].packets' <<<"$output") \
		<(tshark_flows "$f" | awk '{ print $6 }' | sort -rn | head -5)
	run np_in "$NS_B" -j show flows top 3
	diff <(jq '.[].bytes' <<<"$output") <(tshark_flows "$f" | awk '{ print $7 }' | sort -rn | head -3)
	run np_in "$NS_B" -j show flows sort last
	[ "$(jq length <<<"$output")" -eq "$(tshark_flows "$f" | wc -l)" ]
	jq -e '[.[].last_seen] | . == (sort | reverse)' <<<"$output"
	# Plain: a header, one line per flow, the summary; times are local.
	run np_in "$NS_B" show flows top 4
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == INTERFACE*PROTO*SRC*DPORT*PACKETS*BYTES*FLAGS* ]]
	[ "${#lines[@]}" -eq 7 ]
	[[ "${lines[5]}" == "flows shown:"*"4 of 57 matching" ]]
	[[ "${lines[6]}" == "flow table:"*"57 of 262144 entries, 0 evictions"* ]]
}

@test "json fields and --prom: the documented names, valid exposition" {
	skip_unless_cmd promtool
	np_in "$NS_B" attach b0
	pcap_replay "$NS_A" a0 "$PCAPS/tcp_ssh_sessions.pcap"
	run np_in "$NS_B" -j show flows proto tcp top 1
	for k in interface direction proto src dst sport dport packets bytes first_seen last_seen \
		tcp_flags; do
		jq -e ".[0] | has(\"$k\")" <<<"$output"
	done
	jq -e '.[0].first_seen | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")' <<<"$output"
	run np_in "$NS_B" --prom show flows top 2
	[ "$status" -eq 0 ]
	promtool check metrics <<<"$output"
	[ "$(grep -c '^netprobe_flow_packets_total{' <<<"$(np_prom_plain <<<"$output")")" -eq 2 ]
	grep -q '^netprobe_flow_table_entries 4$' <<<"$(np_prom_plain <<<"$output")"
	grep -q '^netprobe_flow_evictions_total 0$' <<<"$(np_prom_plain <<<"$output")"
	# Without top N no per-flow series: their number is unbounded.
	run np_in "$NS_B" --prom show flows
	promtool check metrics <<<"$output"
	[ "$(grep -c '^netprobe_flow_packets_total' <<<"$(np_prom_plain <<<"$output")" || true)" -eq 0 ]
}

@test "a device without Ethernet header (tun): flows from the IP header" {
	local ns="tun-$NP_SUFFIX"
	np_netns tun >/dev/null		# not in $(...): teardown must know it
	ip -n "$ns" tuntap add tun0 mode tun 2>/dev/null || skip "no tun device support"
	ip -n "$ns" addr add 10.99.0.1/24 dev tun0
	ip -n "$ns" link set tun0 up
	np_in "$ns" attach tun0
	in_ns "$ns" ping -c 3 -i 0.2 -W 1 -q 10.99.0.2 >/dev/null || true
	# Three echo requests of 20 (IP) + 8 (ICMP) + 56 (data) bytes, type 8 code 0.
	run np_in "$ns" -j show flows dev tun0
	[ "$(jq -c '[.[] | {direction, proto, src, dst, sport, dport, packets, bytes}]' \
		<<<"$output")" = '[{"direction":"egress","proto":"icmp","src":"10.99.0.1","dst":"10.99.0.2","sport":8,"dport":0,"packets":3,"bytes":252}]' ]
}

@test "bad filters and keywords: one-line usage errors, exit 2" {
	np_in "$NS_B" attach b0
	for args in "src 10.0.0.0/33" "dst abc" "src 300.1.1.1" "dst 2001:db8::/129" \
		"port 70000" "port x" "port -1" "proto bogus" "proto 256" "sort size" "top 0" \
		"frobnicate" "k8s-direction sideways" "pod shop" "port" "src"; do
		run np_in "$NS_B" show flows $args
		echo "$args -> $status: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == Error:* ]]
	done
	run np_in "$NS_B" -j show flows port x
	[ "$status" -eq 2 ]
	jq -e '.error | test("port")' <<<"$output"
	run np_in "$NS_B" show flows dev nosuchdev
	[ "$status" -eq 1 ]
	[[ "$output" == *"device 'nosuchdev' does not exist"* ]]
}

@test "flows N: set at attach, a different size is refused, detach leaves nothing" {
	np_in "$NS_B" attach b0 flows 2048
	[ "$(status_field "$NS_B" flows_max_entries)" -eq 2048 ]
	[ "$(bpftool -j map show pinned "$NETPROBE_PIN_ROOT/maps/np_flows" | jq .max_entries)" -eq 2048 ]
	# Same size again, or none: fine and idempotent.
	np_in "$NS_B" attach b0 flows 2048
	np_in "$NS_B" attach b0
	run np_in "$NS_B" attach b0 flows 4096
	[ "$status" -eq 1 ]
	[[ "$output" == *"2048 entries"*"detach all"* ]]
	run np_in "$NS_B" attach b0 flows 10
	[ "$status" -eq 2 ]
	np_in "$NS_B" detach all
	np_root_empty
	# Flushing nothing is fine, and pins nothing.
	np_in "$NS_B" flush flows
	np_root_empty
	# Default size once nothing is pinned.
	np_in "$NS_B" attach b0
	[ "$(status_field "$NS_B" flows_max_entries)" -eq 262144 ]
}

# flowfill MAP N: N synthetic flows written into the pinned map (bench/flowfill.c).
flowfill() {
	cc -O2 -o "$BATS_TEST_TMPDIR/flowfill" "$BATS_TEST_DIRNAME/../../bench/flowfill.c" -lbpf
	"$BATS_TEST_TMPDIR/flowfill" "$@"
}

@test "a table of many read-ahead batches reads whole, as bpftool reads it; | head ends it" {
	skip_unless_cmd bpftool cc
	local n=120000 err="$BATS_TEST_TMPDIR/err" bt np
	np_in "$NS_B" attach b0 flows 131072
	# ~45,000 entries fill a read-ahead batch: this is three of them.
	flowfill "$NETPROBE_PIN_ROOT/maps/np_flows" $n
	bt=$(bpftool -j map dump pinned "$NETPROBE_PIN_ROOT/maps/np_flows" |
		jq -r '[length, (map(.formatted.value.packets) | add),
			(map(.formatted.value.bytes) | add),
			(map(.formatted.key | "\(.src)\(.dst)\(.sport)\(.dport)\(.dir)") | unique | length)] | @tsv')
	np=$(np_in "$NS_B" -j show flows |
		jq -r '[length, (map(.packets) | add), (map(.bytes) | add),
			(map("\(.src)\(.dst)\(.sport)\(.dport)\(.direction)") | unique | length)] | @tsv')
	echo "bpftool: $bt  netprobe: $np" >&3
	[ "$(cut -f1 <<<"$bt")" -ge $n ]
	[ "$np" = "$bt" ]
	# The reader leaves after 4 KB of 30 MB: exit 0, nothing said, state untouched.
	set -o pipefail
	np_in "$NS_B" -j show flows 2>"$err" | head -c 4096 >/dev/null
	[ ! -s "$err" ]
	np_in "$NS_B" show flows top 10 2>"$err" | head -1 >/dev/null
	[ ! -s "$err" ]
	[ "$(status_field "$NS_B" flows_entries)" -eq "$(cut -f1 <<<"$bt")" ]
}
