#!/usr/bin/env bats
# VXLAN tunnels, inner flows and the Flannel topology, against tshark's
# decoding of the same packets (a capture of the underlay, or the pcap file
# that was replayed) and against iproute2's view of the FDB and routes.

load helpers

setup() {
	skip_unless_cmd tshark tcpdump tcpreplay socat bridge xxd text2pcap mergecap
	np_setup_root
	TSHARK="tshark -o gui.console_open:NEVER"
}

teardown() {
	[ -n "${LISTENER:-}" ] && kill "$LISTENER" 2>/dev/null
	[ -n "${TCPDUMP:-}" ] && kill "$TCPDUMP" 2>/dev/null
	np_teardown
}

# flannel_node NS N M: node N of a two-node Flannel cluster, the way
# flanneld sets it up: underlay ul0 192.168.77.N, flannel.1 (VNI 1, UDP
# 8472, MAC 02:fa:00:00:00:0N, 10.244.N.0/32), bridge cni0 10.244.N.1/24,
# and the FDB entry, neighbour and onlink route towards node M.
flannel_node() {
	local ns=$1 n=$2 m=$3 pod
	ip -n "$ns" addr add "192.168.77.$n/24" dev ul0
	ip -n "$ns" link set ul0 up
	ip -n "$ns" link add flannel.1 address "02:fa:00:00:00:0$n" type vxlan id 1 \
		dstport 8472 local "192.168.77.$n" dev ul0 nolearning
	ip -n "$ns" addr add "10.244.$n.0/32" dev flannel.1
	ip -n "$ns" link set flannel.1 up
	ip -n "$ns" link add cni0 type bridge
	ip -n "$ns" addr add "10.244.$n.1/24" dev cni0
	ip -n "$ns" link set cni0 up
	in_ns "$ns" sysctl -qw net.ipv4.ip_forward=1
	bridge -n "$ns" fdb append "02:fa:00:00:00:0$m" dev flannel.1 dst "192.168.77.$m"
	ip -n "$ns" neigh replace "10.244.$m.0" lladdr "02:fa:00:00:00:0$m" dev flannel.1 \
		nud permanent
	ip -n "$ns" route add "10.244.$m.0/24" via "10.244.$m.0" dev flannel.1 onlink
	# A pod: a namespace behind cni0.
	# np_netns, not $(np_netns): teardown must learn the name.
	np_netns "pod$n" >/dev/null
	pod="pod$n-$NP_SUFFIX"
	in_ns "$pod" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip link add "veth$n" netns "$ns" type veth peer name eth0 netns "$pod"
	ip -n "$ns" link set "veth$n" master cni0 up
	ip -n "$pod" addr add "10.244.$n.2/24" dev eth0
	ip -n "$pod" link set eth0 up
	ip -n "$pod" route add default via "10.244.$n.1"
	eval "POD$n=$pod"
}

flannel_cluster() {
	np_netns node1 >/dev/null
	np_netns node2 >/dev/null
	NODE1="node1-$NP_SUFFIX"
	NODE2="node2-$NP_SUFFIX"
	for ns in "$NODE1" "$NODE2"; do
		in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		in_ns "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	done
	ip link add ul0 netns "$NODE1" type veth peer name ul0 netns "$NODE2"
	flannel_node "$NODE1" 1 2
	flannel_node "$NODE2" 2 1
}

# capture_start NS DEV FILE / capture_stop: tcpdump of the underlay.
capture_start() {
	: >"$BATS_TEST_TMPDIR/tcpdump.err"
	# nsenter execs tcpdump: $! is tcpdump itself, which SIGINT must reach.
	# A 64 MB buffer: a slow machine (sanitizers, valgrind) must not make
	# the oracle itself lose packets.
	nsenter --net="/run/netns/$1" tcpdump -i "$2" -nn -U --immediate-mode -B 65536 -w "$3" \
		2>"$BATS_TEST_TMPDIR/tcpdump.err" &
	TCPDUMP=$!
	for _ in $(seq 100); do
		grep -q 'listening on' "$BATS_TEST_TMPDIR/tcpdump.err" && return 0
		sleep 0.1
	done
	return 1
}

capture_stop() {
	sleep 0.5
	kill -INT "$TCPDUMP"
	wait "$TCPDUMP" || true
	TCPDUMP=
	cat "$BATS_TEST_TMPDIR/tcpdump.err"
	# An incomplete capture is no oracle: say so instead of a wrong diff.
	if grep -Eq '^[1-9][0-9]* packets dropped by kernel' "$BATS_TEST_TMPDIR/tcpdump.err"; then
		echo "the oracle capture lost packets" >&2
		return 1
	fi
}

# wait_listen NS -t|-u PORT: until a socket listens there (busy machines are slow).
wait_listen() {
	for _ in $(seq 100); do
		in_ns "$1" ss -Hln "$2" "sport = :$3" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# Per tunnel as tshark decodes FILE: "vni src dst packets bytes".
tshark_tunnels() {
	$TSHARK -r "$1" -d "udp.port==${2:-8472},vxlan" -Y 'vxlan.flag_i == 1' -T fields \
		-e vxlan.vni -e ip.src -e ip.dst -e frame.len -E occurrence=f 2>/dev/null |
		awk '{ k = $1 " " $2 " " $3; p[k]++; b[k] += $4 }
		     END { for (k in p) print k, p[k], b[k] }' | sort
}

# The same from netprobe's JSON: outer src/dst are local/remote by direction.
np_tunnels() {
	jq -r '.[] | [.vni, (if .direction == "egress" then .local else .remote end),
		      (if .direction == "egress" then .remote else .local end),
		      .packets, .bytes] | map(tostring) | join(" ")' | sort
}

# Per inner flow as tshark decodes FILE: "vni osrc odst proto src sport dst
# dport packets bytes", inner bytes = outer UDP length - 8 (UDP) - 8 (VXLAN).
tshark_flows() {
	$TSHARK -r "$1" -d "udp.port==${2:-8472},vxlan" \
		-Y 'vxlan.flag_i == 1 && !arp' \
		-T fields -E occurrence=a -E aggregator=, \
		-e vxlan.vni -e ip.src -e ip.dst -e ip.proto -e udp.srcport -e udp.dstport \
		-e udp.length -e icmp.type -e icmp.code -e tcp.srcport -e tcp.dstport 2>/dev/null |
		awk -F '\t' '{ split($2, s, ","); split($3, d, ","); split($4, pr, ",");
		       split($5, sp, ","); split($6, dp, ","); split($7, ul, ",");
		       p = pr[2]; a = 0; b = 0; if (p == "") next;
		       if (p == 17) { a = sp[2]; b = dp[2] } else if (p == 1) { a = $8; b = $9 }
		       else if (p == 6) { a = $10; b = $11 }
		       k = $1 " " s[1] " " d[1] " " p " " s[2] " " a " " d[2] " " b;
		       n[k]++; by[k] += ul[1] - 16 }
		     END { for (k in n) print k, n[k], by[k] }' | sort
}

np_flows() {
	jq -r '.[] | [.vni, .outer_src, .outer_dst, .proto_number,
		      .src, .sport, .dst, .dport, .packets, .bytes] | map(tostring) | join(" ")' |
		sort
}

# lines_where LINES AWK-CONDITION: the lines of tshark_flows or tshark_tunnels
# output that the condition picks ($1 vni, $2 outer src, $3 outer dst; flows:
# $4 proto, $5 src, $6 sport, $7 dst, $8 dport).
lines_where() {
	awk "$2" <<<"$1" | sed '/^$/d'
}

# tshark_inner FILE PORT FILTER: "packets bytes" of the inner IP frames
# tshark's display filter picks; bytes as netprobe counts them (UDP length - 16).
tshark_inner() {
	$TSHARK -r "$1" -d "udp.port==$2,vxlan" -Y "vxlan.flag_i == 1 && !arp && ($3)" \
		-T fields -e udp.length -E occurrence=f 2>/dev/null |
		awk '{ p++; b += $1 - 16 } END { print p + 0, b + 0 }'
}

# tshark_outer FILE PORT FILTER: "packets bytes" of the VXLAN frames it picks.
tshark_outer() {
	$TSHARK -r "$1" -d "udp.port==$2,vxlan" -Y "vxlan.flag_i == 1 && ($3)" \
		-T fields -e frame.len 2>/dev/null | awk '{ p++; b += $1 } END { print p + 0, b + 0 }'
}

# np_sum: "packets bytes" of netprobe's JSON rows.
np_sum() {
	jq -r '"\([.[].packets] | add // 0) \([.[].bytes] | add // 0)"'
}

# flags_str MASK: TCP flags as show flows writes them (CEUAPRSF, '.' where unset).
flags_str() {
	local letters=CEUAPRSF s="" i
	for i in 0 1 2 3 4 5 6 7; do
		if (($1 & (0x80 >> i))); then s+=${letters:i:1}; else s+=.; fi
	done
	echo "$s"
}

# tshark_tcp_flags FILE FILTER: the OR of the inner TCP flags of the frames it picks.
tshark_tcp_flags() {
	local m=0 f
	while read -r f; do
		m=$((m | f))
	done < <($TSHARK -r "$1" -d udp.port==8472,vxlan -Y "vxlan && tcp && ($2)" -T fields \
		-e tcp.flags 2>/dev/null)
	echo "$m"
}

@test "flannel pod-to-pod traffic: tunnels and inner flows equal tshark on the underlay" {
	flannel_cluster
	run np_in "$NODE1" attach ul0 vxlan
	[ "$status" -eq 0 ]
	# The pod's side of node 1, for show flows to see the same inner flows.
	run np_in "$NODE1" attach veth1
	[ "$status" -eq 0 ]
	capture_start "$NODE1" ul0 "$BATS_TEST_TMPDIR/ul0.pcap"
	nsenter --net="/run/netns/$POD2" socat -u UDP4-RECV:9999 /dev/null &
	LISTENER=$!
	wait_listen "$POD2" -u 9999
	in_ns "$POD1" ping -c 5 -i 0.2 -q 10.244.2.2 >/dev/null
	in_ns "$POD2" ping -c 3 -i 0.2 -s 1000 -q 10.244.1.2 >/dev/null
	for i in $(seq 7); do
		printf 'datagram %03d' "$i" | in_ns "$POD1" socat -u - UDP4-SENDTO:10.244.2.2:9999,sp=5555
	done
	# TCP: segments may cross the underlay as GSO packets, one skb each.
	nsenter --net="/run/netns/$POD2" socat -u TCP4-LISTEN:8080,reuseaddr /dev/null &
	TCPLISTENER=$!
	wait_listen "$POD2" -t 8080
	head -c 300000 /dev/zero | in_ns "$POD1" socat -u - TCP4:10.244.2.2:8080,sourceport=40000
	wait "$TCPLISTENER" || true
	capture_stop

	local cap="$BATS_TEST_TMPDIR/ul0.pcap" want got
	want=$(tshark_tunnels "$cap")
	echo "tshark tunnels:"; echo "$want"
	run np_in "$NODE1" -j show vxlan
	[ "$status" -eq 0 ]
	echo "$output"
	got=$(np_tunnels <<<"$output")
	echo "netprobe tunnels:"; echo "$got"
	[ "$(wc -l <<<"$want")" -eq 2 ]
	[ "$got" = "$want" ]
	# The topology join: the remote VTEP is node 2 with its pod CIDR.
	[ "$(jq -r '[.[] | select(.remote == "192.168.77.2")] | length' <<<"$output")" -eq 2 ]
	[ "$(jq -r '[.[] | select(.remote_node == "192.168.77.2" and
				.pod_cidr == ["10.244.2.0/24"] and .vni == 1 and
				.local == "192.168.77.1")] | length' <<<"$output")" -eq 2 ]
	local tunnels=$want kw cond filter
	# Tunnel keywords, against tshark's tunnels ($2 outer src, $3 outer dst).
	while IFS=';' read -r kw cond; do
		want=$(lines_where "$tunnels" "$cond")
		run np_in "$NODE1" -j show vxlan $kw
		[ "$status" -eq 0 ]
		got=$(np_tunnels <<<"$output")
		echo "show vxlan $kw: tshark '$want' netprobe '$got'"
		[ "$got" = "$want" ]
	done <<-'EOF'
	dir egress;$2 == "192.168.77.1"
	dir ingress;$3 == "192.168.77.1"
	remote 192.168.77.2/32 dir egress;$3 == "192.168.77.2"
	remote 192.168.77.0/24 vni 1;1
	remote 10.0.0.0/8;0
	vni 2;0
	EOF
	# top 1: the tunnel with the most bytes; sort packets: most packets first.
	run np_in "$NODE1" -j show vxlan top 1
	[ "$(np_tunnels <<<"$output")" = "$(sort -k5,5n <<<"$tunnels" | tail -1)" ]
	run np_in "$NODE1" -j show vxlan sort packets
	[ "$(jq -r '.[].packets' <<<"$output" | xargs)" = "$(awk '{ print $4 }' <<<"$tunnels" | sort -rn | xargs)" ]

	want=$(tshark_flows "$cap")
	echo "tshark flows:"; echo "$want"
	run np_in "$NODE1" -j show vxlan flows
	[ "$status" -eq 0 ]
	got=$(np_flows <<<"$output")
	echo "netprobe flows:"; echo "$got"
	[ "$(wc -l <<<"$want")" -eq 7 ]	# echo req/reply both ways, UDP, TCP both ways
	[ "$got" = "$want" ]

	# Inner flow keywords (src, dst, proto, ports: the inner packet's), against
	# tshark's flows and, where given, its display filter's exact counts.
	local flows=$want
	while IFS=';' read -r kw cond filter; do
		want=$(lines_where "$flows" "$cond")
		run np_in "$NODE1" -j show vxlan flows $kw
		[ "$status" -eq 0 ]
		got=$(np_flows <<<"$output")
		echo "show vxlan flows $kw: tshark '$want' netprobe '$got'"
		[ "$got" = "$want" ]
		if [ -n "$filter" ]; then
			[ "$(np_sum <<<"$output")" = "$(tshark_inner "$cap" 8472 "$filter")" ]
		fi
	done <<-'EOF'
	proto tcp;$4 == 6;tcp
	proto udp;$4 == 17;ip.proto#2 == 17
	proto icmp;$4 == 1;icmp
	src 10.244.1.2;$5 == "10.244.1.2";ip.src#2 == 10.244.1.2
	dst 10.244.1.0/24;$7 ~ /^10\.244\.1\./;ip.dst#2 == 10.244.1.0/24
	src 10.244.2.2 dst 10.244.1.2 proto tcp;$5 == "10.244.2.2" && $7 == "10.244.1.2" && $4 == 6;
	port 8080;($4 == 6 || $4 == 17) && ($6 == 8080 || $8 == 8080);tcp.port == 8080
	sport 5555;($4 == 6 || $4 == 17) && $6 == 5555;udp.srcport#2 == 5555
	dport 40000;($4 == 6 || $4 == 17) && $8 == 40000;tcp.dstport == 40000
	port 8;($4 == 6 || $4 == 17) && ($6 == 8 || $8 == 8);
	dir egress;$2 == "192.168.77.1";ip.src#1 == 192.168.77.1
	dir ingress remote 192.168.77.2;$2 == "192.168.77.2";ip.src#1 == 192.168.77.2
	dir egress remote 192.168.77.2;$3 == "192.168.77.2";ip.dst#1 == 192.168.77.2
	remote 192.168.77.1;0;
	remote fd00::/8;0;
	vni 7;0;
	EOF
	# ICMP keeps type and code in sport and dport: an echo request is no port 8.
	[ -n "$(lines_where "$flows" '$4 == 1 && $6 == 8')" ]
	# top 1: the flow with the most bytes (the 300 kB TCP transfer).
	run np_in "$NODE1" -j show vxlan flows top 1
	[ "$(np_flows <<<"$output")" = "$(sort -k10,10n <<<"$flows" | tail -1)" ]
	[ "$(jq -r '.[0].dport' <<<"$output")" -eq 8080 ]

	# tcp_flags: a string, as show flows has it, and the OR of tshark's flags.
	run np_in "$NODE1" -j show vxlan flows proto tcp sport 40000
	[ "$(jq length <<<"$output")" -eq 1 ]
	local vf sf
	vf=$(jq -c '.[0]' <<<"$output")
	[ "$(jq -r .tcp_flags <<<"$vf")" = "$(flags_str "$(tshark_tcp_flags "$cap" 'tcp.srcport == 40000')")" ]
	jq -e 'all(.[]; .tcp_flags | type == "string")' <<<"$output"
	run np_in "$NODE1" -j show vxlan flows
	jq -e 'all(.[]; (.proto == "tcp") == has("tcp_flags"))' <<<"$output"
	# The same inner flow in show flows (pod side) has the same keys, of the
	# same types: only the hook's (handshake times included) and the tunnel's
	# own keys differ.
	run np_in "$NODE1" -j show flows dev veth1 proto tcp sport 40000
	[ "$status" -eq 0 ]
	sf=$(jq -c '.[0]' <<<"$output")
	echo "show flows: $sf"; echo "show vxlan flows: $vf"
	jq -e -n --argjson a "$sf" --argjson b "$vf" '
		(($a | keys) - ($b | keys)) == ["fragments", "hook", "rtt_ack_us", "rtt_synack_us", "rtt_us", "truncated"] and
		(($b | keys) - ($a | keys)) == ["outer_dst", "outer_src", "type", "vni"] and
		all($a | keys[] | select(in($b)); ($a[.] | type) == ($b[.] | type)) and
		($a.tcp_flags | type) == "string" and
		([$a, $b] | map([.proto, .proto_number, .src, .sport, .dst, .dport]) | .[0] == .[1])'

	# A VTEP with a second pod CIDR: pod_cidr lists both, as ip(8) routes them.
	ip -n "$NODE1" route add 10.245.2.0/24 via 10.244.2.0 dev flannel.1 onlink
	local cidrs
	cidrs=$(ip -n "$NODE1" -j route show dev flannel.1 |
		jq -c '[.[] | select(.gateway == "10.244.2.0") | .dst] | sort')
	[ "$(jq length <<<"$cidrs")" -eq 2 ]
	run np_in "$NODE1" -j show vxlan
	jq -e --argjson w "$cidrs" 'length == 2 and
		all(.[]; .pod_cidr | type == "array" and all(type == "string") and sort == $w)' <<<"$output"
	want=$(jq -r '.[0].pod_cidr | join(",")' <<<"$output")
	run np_in "$NODE1" show vxlan
	[ "$status" -eq 0 ]
	[ "$(grep -c " $want " <<<"$output")" -eq 2 ]

	# Linux sends VXLAN over IPv4 without UDP checksum: all zero, none bad.
	run np_in "$NODE1" -j show vxlan counters
	[ "$status" -eq 0 ]
	local frames zero
	frames=$($TSHARK -r "$cap" -d udp.port==8472,vxlan -Y vxlan 2>/dev/null | wc -l)
	zero=$($TSHARK -r "$cap" -d udp.port==8472,vxlan -Y 'vxlan && udp.checksum == 0' \
		2>/dev/null | wc -l)
	[ "$(jq '[.[].csum_zero] | add' <<<"$output")" -eq "$zero" ]
	[ "$(jq '[.[].packets] | add' <<<"$output")" -eq "$frames" ]
	[ "$(jq '[.[].inner_ipv4] | add' <<<"$output")" -eq "$frames" ]
	[ "$(jq '[.[].flows_created] | add' <<<"$output")" -eq 7 ]
	[ "$(jq '[.[].csum_bad] | add' <<<"$output")" -eq 0 ]

	run np_in "$NODE1" --prom show vxlan
	[ "$status" -eq 0 ]
	grep -q '^netprobe_vxlan_packets_total{interface="ul0",direction="egress",type="vxlan",vni="1",local="192.168.77.1",remote="192.168.77.2"} [1-9]' <<<"$(np_prom_plain <<<"$output")"
	if command -v promtool >/dev/null; then
		promtool check metrics <<<"$output"
		np_in "$NODE1" --prom show vxlan counters | promtool check metrics
	fi
}

@test "show topology lists the vxlan device, remote VTEPs from the FDB and pod CIDRs" {
	flannel_cluster
	printf 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n' \
		>"$BATS_TEST_TMPDIR/subnet.env"
	export NETPROBE_FLANNEL_SUBNET_ENV="$BATS_TEST_TMPDIR/subnet.env"
	run np_in "$NODE1" -j show topology
	[ "$status" -eq 0 ]
	echo "$output"
	[ "$(jq -r .local_subnet <<<"$output")" = 10.244.1.1/24 ]
	[ "$(jq -r .network <<<"$output")" = 10.244.0.0/16 ]
	[ "$(jq -r .mtu <<<"$output")" = 1450 ]
	# The device, as ip(8) reports it.
	local link
	link=$(ip -n "$NODE1" -j -d link show flannel.1)
	[ "$(jq -r '.vxlan_devices | length' <<<"$output")" -eq 1 ]
	[ "$(jq -r '.vxlan_devices[0] | [.interface, .vni, .dstport, .local, .underlay, .mac] | map(tostring) | join(" ")' <<<"$output")" = \
	  "$(jq -r '.[0] | [.ifname, .linkinfo.info_data.id, .linkinfo.info_data.port, .linkinfo.info_data.local, .linkinfo.info_data.link, .address] | map(tostring) | join(" ")' <<<"$link")" ]
	# Remote VTEPs: what bridge(8) lists with a dst, MAC -> node IP.
	[ "$(jq -r '.remote_vteps[] | [.mac, .remote] | join(" ")' <<<"$output" | sort)" = \
	  "$(bridge -n "$NODE1" -j fdb show dev flannel.1 | jq -r '.[] | select(.dst) | [.mac, .dst] | join(" ")' | sort)" ]
	# pod_cidr and a VTEP's gateways are lists (JSON arrays of strings).
	jq -e '.remote_vteps[0] | .pod_cidr == ["10.244.2.0/24"] and .gateway == ["10.244.2.0"]' <<<"$output"
	# Pod CIDRs: the routes ip(8) shows on flannel.1.
	[ "$(jq -r '.pod_routes[] | [(.pod_cidr | join(",")), (.gateway | join(",")), .onlink] | map(tostring) | join(" ")' <<<"$output" | sort)" = \
	  "$(ip -n "$NODE1" -j route show dev flannel.1 | jq -r '.[] | [.dst, (.gateway // ""), (.flags | index("onlink") != null)] | map(tostring) | join(" ")' | sort)" ]
	[ "$(jq -r '.pod_routes[0].remote' <<<"$output")" = 192.168.77.2 ]
	# Node 2 sees node 1.
	run np_in "$NODE2" -j show topology
	[ "$status" -eq 0 ]
	[ "$(jq -r '.remote_vteps[0] | [.mac, .remote, (.pod_cidr | join(","))] | join(" ")' <<<"$output")" = \
	  "02:fa:00:00:00:01 192.168.77.1 10.244.1.0/24" ]
	run np_in "$NODE2" --prom show topology
	[ "$status" -eq 0 ]
	grep -q '^netprobe_vxlan_remote_vteps{interface="flannel.1",vni="1",local="192.168.77.2"} 1$' <<<"$(np_prom_plain <<<"$output")"
	if command -v promtool >/dev/null; then
		promtool check metrics <<<"$output"
	fi
}

@test "inner IP fragments: later fragments are flows of their own, without ports, as in show flows" {
	flannel_cluster
	run np_in "$NODE1" attach ul0 vxlan
	[ "$status" -eq 0 ]
	local cap="$BATS_TEST_TMPDIR/frag.pcap" want first
	capture_start "$NODE1" ul0 "$cap"
	# 3000 bytes, DF clear: the pod fragments them, flannel.1 (MTU 1450) again.
	in_ns "$POD1" ping -c 2 -i 0.2 -M dont -s 3000 -q 10.244.2.2 >/dev/null
	capture_stop
	# tshark without reassembly: inner IPv4 with a fragment offset, and without.
	want=$($TSHARK -r "$cap" -o ip.defragment:FALSE -d udp.port==8472,vxlan \
		-Y 'vxlan && ip.frag_offset#2 > 0' -T fields -e udp.length -E occurrence=f 2>/dev/null |
		awk '{ p++; b += $1 - 16 } END { print p + 0, b + 0 }')
	first=$($TSHARK -r "$cap" -o ip.defragment:FALSE -d udp.port==8472,vxlan \
		-Y 'vxlan && ip.proto#2 == 1 && ip.frag_offset#2 == 0' 2>/dev/null | wc -l)
	run np_in "$NODE1" -j show vxlan flows fragments
	[ "$status" -eq 0 ]
	echo "tshark: $want ($first first fragments); netprobe: $output"
	[ "${want%% *}" -ge 4 ]
	[ "$(np_sum <<<"$output")" = "$want" ]
	jq -e 'length > 0 and all(.[]; .later_fragment == true and .sport == null and
		.dport == null and .proto == "icmp")' <<<"$output"
	# The first fragments hold the ICMP header: echo request and reply rows.
	run np_in "$NODE1" -j show vxlan flows proto icmp
	jq -e '[.[] | select(.later_fragment | not) | .sport] | sort == [0, 8]' <<<"$output"
	[ "$(jq '[.[] | select(.later_fragment | not) | .packets] | add' <<<"$output")" -eq "$first" ]
	# ICMP type 8 is no port: port 8 picks nothing, fragments or not.
	run np_in "$NODE1" -j show vxlan flows port 8
	[ "$output" = "[]" ]
	run np_in "$NODE1" show vxlan flows fragments
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == *" frag "*" frag "* ]]
}

@test "IPv6 underlay: tunnels equal tshark; kernel-made checksums are not counted bad" {
	np_netns v6a >/dev/null
	np_netns v6b >/dev/null
	local A="v6a-$NP_SUFFIX" B="v6b-$NP_SUFFIX" cap="$BATS_TEST_TMPDIR/u0.pcap" n
	ip link add u0 netns "$A" type veth peer name u0 netns "$B"
	for n in 1 2; do
		local ns=$A peer=2
		[ "$n" = 2 ] && ns=$B peer=1
		ip -n "$ns" addr add "fd00:77::$n/64" dev u0 nodad
		ip -n "$ns" link set u0 up
		# Linux computes the outer UDP checksum of VXLAN over IPv6. No
		# default remote: multicast (MLD, ND) stays home, as with Flannel.
		ip -n "$ns" link add vx0 address "02:fb:00:00:00:0$n" type vxlan id 4242 \
			dstport 4789 local "fd00:77::$n" dev u0 nolearning
		ip -n "$ns" addr add "10.99.0.$n/24" dev vx0
		ip -n "$ns" addr add "fd01::$n/64" dev vx0 nodad
		ip -n "$ns" link set vx0 up
		bridge -n "$ns" fdb append "02:fb:00:00:00:0$peer" dev vx0 dst "fd00:77::$peer"
		ip -n "$ns" neigh replace "10.99.0.$peer" lladdr "02:fb:00:00:00:0$peer" dev vx0 \
			nud permanent
		ip -n "$ns" neigh replace "fd01::$peer" lladdr "02:fb:00:00:00:0$peer" dev vx0 \
			nud permanent
	done
	run np_in "$A" attach u0 vxlan
	[ "$status" -eq 0 ]
	capture_start "$A" u0 "$cap"
	in_ns "$A" ping -c 4 -i 0.2 -q 10.99.0.2 >/dev/null
	in_ns "$A" ping -c 3 -i 0.2 -q fd01::2 >/dev/null
	capture_stop
	local want got
	want=$($TSHARK -r "$cap" -Y 'vxlan' -T fields -e vxlan.vni -e ipv6.src -e ipv6.dst \
		-e frame.len -E occurrence=f 2>/dev/null |
		awk '{ k = $1 " " $2 " " $3; p[k]++; b[k] += $4 } END { for (k in p) print k, p[k], b[k] }' | sort)
	run np_in "$A" -j show vxlan
	[ "$status" -eq 0 ]
	got=$(np_tunnels <<<"$output")
	echo "tshark: $want"; echo "netprobe: $got"
	[ "$(wc -l <<<"$want")" -eq 2 ]
	[ "$got" = "$want" ]
	run np_in "$A" -j show vxlan counters
	[ "$status" -eq 0 ]
	echo "$output"
	local v6inner arp nonzero
	v6inner=$($TSHARK -r "$cap" -Y 'vxlan && eth.type#2 == 0x86dd' 2>/dev/null | wc -l)
	arp=$($TSHARK -r "$cap" -Y 'vxlan && eth.type#2 == 0x0806' 2>/dev/null | wc -l)
	nonzero=$($TSHARK -r "$cap" -Y 'vxlan && udp.checksum != 0' 2>/dev/null | wc -l)
	[ "$v6inner" -ge 6 ]
	[ "$(jq '[.[].inner_ipv6] | add' <<<"$output")" -eq "$v6inner" ]
	[ "$(jq '[.[].inner_arp] | add' <<<"$output")" -eq "$arp" ]
	[ "$(jq '[.[].csum_bad] | add' <<<"$output")" -eq 0 ]
	[ "$(jq '[.[] | .csum_ok + .csum_trusted] | add' <<<"$output")" -eq "$nonzero" ]
	run np_in "$A" -j show vxlan flows
	[ "$(jq '[.[] | select(.proto == "icmpv6" and .src == "fd01::1" and .dst == "fd01::2" and .sport == 128)] | .[0].packets' <<<"$output")" -eq 3 ]
	# Attaching the vxlan device instead of the underlay says which to use.
	run np_in "$A" attach vx0 vxlan
	[ "$status" -eq 0 ]
	[[ "$output" == *"try 'netprobe attach u0 vxlan'"* ]]
}

# Replays FILE into b0 from a0 (MTU large enough for any frame).
replay_setup() {
	np_veth_pair
	ip -n "$NS_A" link set a0 mtu 9000
	ip -n "$NS_B" link set b0 mtu 9000
}

@test "replayed pcaps (UDP 4789 and 8472): tunnels, inner flows and ARP equal tshark on the files" {
	replay_setup
	run np_in "$NS_B" attach b0 vxlan
	[ "$status" -eq 0 ]
	local f4789="$PCAPS/vxlan4789_vni100_icmp.pcap" f8472="$PCAPS/vxlan8472_vni100_icmp.pcap"
	pcap_replay "$NS_A" a0 "$f4789"
	pcap_replay "$NS_A" a0 "$f8472"
	local want got
	want=$( (tshark_tunnels "$f4789" 4789; tshark_tunnels "$f8472" 8472) |
		awk '{ k = $1 " " $2 " " $3; p[k] += $4; b[k] += $5 } END { for (k in p) print k, p[k], b[k] }' | sort)
	echo "tshark: $want"
	run np_in "$NS_B" -j show vxlan
	[ "$status" -eq 0 ]
	# Everything arrived on b0: all ingress.
	[ "$(jq -r '[.[] | select(.direction != "ingress")] | length' <<<"$output")" -eq 0 ]
	got=$(jq -r '.[] | [.vni, .remote, .local, .packets, .bytes] | map(tostring) | join(" ")' <<<"$output" | sort)
	echo "netprobe: $got"
	[ "$got" = "$want" ]
	[ "$(jq '[.[].packets] | add' <<<"$output")" -eq 20 ]

	want=$( (tshark_flows "$f4789" 4789; tshark_flows "$f8472" 8472) |
		awk '{ k = $1; for (i = 2; i <= 8; i++) k = k " " $i; p[k] += $9; b[k] += $10 }
		     END { for (k in p) print k, p[k], b[k] }' | sort)
	run np_in "$NS_B" -j show vxlan flows
	[ "$status" -eq 0 ]
	got=$(np_flows <<<"$output")
	echo "tshark: $want"; echo "netprobe: $got"
	[ "$got" = "$want" ]

	# The inner addresses and protocol, the remote VTEP: exact counts from
	# tshark's display filters (ip.src#1 the outer address, ip.src#2 the inner).
	local kw filter
	while IFS='|' read -r kw filter; do
		want=$( (tshark_inner "$f4789" 4789 "$filter"; tshark_inner "$f8472" 8472 "$filter") |
			awk '{ p += $1; b += $2 } END { print p + 0, b + 0 }')
		run np_in "$NS_B" -j show vxlan flows $kw
		[ "$status" -eq 0 ]
		got=$(np_sum <<<"$output")
		echo "show vxlan flows $kw: tshark $want netprobe $got"
		[ "$got" = "$want" ]
	done <<-'EOF'
	src 192.168.203.3|ip.src#2 == 192.168.203.3
	dst 192.168.203.0/24|ip.dst#2 == 192.168.203.0/24
	src 192.168.203.5/32 dst 192.168.203.3 proto icmp|ip.src#2 == 192.168.203.5 && ip.dst#2 == 192.168.203.3 && icmp
	proto udp|ip.proto#2 == 17
	remote 192.168.202.1|ip.src#1 == 192.168.202.1
	remote 192.168.203.1/32 src 192.168.203.3|ip.src#1 == 192.168.203.1 && ip.src#2 == 192.168.203.3
	dst 10.0.0.0/8|ip.dst#2 == 10.0.0.0/8
	EOF
	# Not all zero: 4 echo requests from 192.168.203.3 in each file.
	[ "$(np_in "$NS_B" -j show vxlan flows src 192.168.203.3 | np_sum)" = "8 $((8 * (148 - 34 - 16)))" ]
	# Tunnels: the remote VTEP, outer frames (ARP included).
	while IFS='|' read -r kw filter; do
		want=$( (tshark_outer "$f4789" 4789 "$filter"; tshark_outer "$f8472" 8472 "$filter") |
			awk '{ p += $1; b += $2 } END { print p + 0, b + 0 }')
		run np_in "$NS_B" -j show vxlan $kw
		[ "$status" -eq 0 ]
		got=$(np_sum <<<"$output")
		echo "show vxlan $kw: tshark $want netprobe $got"
		[ "$got" = "$want" ]
	done <<-'EOF'
	remote 192.168.202.1|ip.src#1 == 192.168.202.1
	remote 192.168.203.0/24 vni 100|ip.src#1 == 192.168.203.0/24 && vxlan.vni == 100
	dir ingress|vxlan
	dir egress|!vxlan
	EOF

	local arp
	arp=$( (for f in "$f4789" "$f8472"; do
		$TSHARK -r "$f" -d udp.port==8472,vxlan -Y 'vxlan && arp' 2>/dev/null; done) | wc -l)
	run np_in "$NS_B" -j show vxlan counters dev b0
	[ "$status" -eq 0 ]
	[ "$(jq '.[] | select(.direction == "ingress") | .inner_arp' <<<"$output")" -eq "$arp" ]
	[ "$(jq '.[] | select(.direction == "ingress") | .inner_ipv4' <<<"$output")" -eq $((20 - arp)) ]
}

@test "vxlan-port adds a port to a live probe; other ports are not parsed" {
	replay_setup
	local f="$BATS_TEST_TMPDIR/vxlan4790.pcap"
	tcprewrite --portmap=4789:4790 -i "$PCAPS/vxlan4789_vni100_icmp.pcap" -o "$f" 2>/dev/null
	run np_in "$NS_B" attach b0 vxlan
	[ "$status" -eq 0 ]
	pcap_replay "$NS_A" a0 "$f"
	run np_in "$NS_B" -j show vxlan
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
	run np_in "$NS_B" attach b0 vxlan vxlan-port 4790
	[ "$status" -eq 0 ]
	[[ "$output" == *unchanged* ]]
	pcap_replay "$NS_A" a0 "$f"
	run np_in "$NS_B" -j show vxlan
	[ "$status" -eq 0 ]
	[ "$(np_tunnels <<<"$output")" = "$(tshark_tunnels "$f" 4790)" ]
	[ "$(jq '[.[].packets] | add' <<<"$output")" -eq 10 ]
}

# Frame N's data offset in the pcap whose bytes are the hex string $1.
pcap_frame_off() {
	local hex=$1 n=$2 off=24 i h
	for ((i = 1; i < n; i++)); do
		h=${hex:$(((off + 8) * 2)):8}
		off=$((off + 16 + 16#${h:6:2}${h:4:2}${h:2:2}${h:0:2}))
	done
	echo $((off + 16))
}

# hex_patch HEX OFFSET NEWHEX: HEX with the bytes at OFFSET replaced.
hex_patch() {
	echo "${1:0:$(($2 * 2))}$3${1:$(($2 * 2 + ${#3}))}"
}

@test "bad outer UDP checksums, missing I flag and short packets are counted apart" {
	replay_setup
	local src="$PCAPS/vxlan4789_vni100_icmp.pcap" t="$BATS_TEST_TMPDIR" hex calc i off
	# Give every frame its right UDP checksum: write a dummy one, let tshark
	# compute the real one, write that.
	hex=$(xxd -p "$src" | tr -d '\n')
	for i in $(seq 10); do
		hex=$(hex_patch "$hex" $(($(pcap_frame_off "$hex" "$i") + 40)) 1234)
	done
	xxd -r -p <<<"$hex" >"$t/dummy.pcap"
	mapfile -t calc < <($TSHARK -r "$t/dummy.pcap" -o udp.check_checksum:TRUE -T fields \
		-e udp.checksum_calculated 2>/dev/null)
	for i in $(seq 10); do
		hex=$(hex_patch "$hex" $(($(pcap_frame_off "$hex" "$i") + 40)) "${calc[$((i - 1))]#0x}")
	done
	# Frame 2: a wrong checksum. Frame 3: the I flag cleared (its checksum
	# then is wrong too, and counted so).
	off=$(pcap_frame_off "$hex" 2)
	hex=$(hex_patch "$hex" $((off + 40)) "$(printf %04x $(((16#${calc[1]#0x} + 1) % 65536)))")
	off=$(pcap_frame_off "$hex" 3)
	hex=$(hex_patch "$hex" $((off + 42)) 00)
	xxd -r -p <<<"$hex" >"$t/csum.pcap"
	# A datagram to 4789 too short for a VXLAN header and an inner frame.
	echo "0000 $(xxd -p -l 12 -s 40 "$src" | sed 's/../& /g')08 00 45 00 00 20 00 01 00 00 40 11 00 00 c0 a8 cb 01 c0 a8 ca 01 c3 50 12 b5 00 0c 00 00 08 00 00 00" |
		text2pcap -q - "$t/short.pcap"
	mergecap -F pcap -a -w "$t/all.pcap" "$t/csum.pcap" "$t/short.pcap"

	run np_in "$NS_B" attach b0 vxlan
	[ "$status" -eq 0 ]
	pcap_replay "$NS_A" a0 "$t/all.pcap"
	run np_in "$NS_B" -j show vxlan counters dev b0
	[ "$status" -eq 0 ]
	echo "$output"
	local in bad ok noflag short tunnel
	in=$(jq '.[] | select(.direction == "ingress")' <<<"$output")
	tsk() { $TSHARK -r "$t/all.pcap" -o udp.check_checksum:TRUE -Y "$1" 2>/dev/null | wc -l; }
	bad=$(tsk 'udp.dstport == 4789 && udp.length >= 30 && udp.checksum.status == 0')
	ok=$(tsk 'udp.dstport == 4789 && udp.length >= 30 && udp.checksum.status == 1')
	noflag=$(tsk 'vxlan && vxlan.flag_i == 0 && udp.length >= 30')
	short=$(tsk 'udp.dstport == 4789 && udp.length < 30')
	tunnel=$(tsk 'vxlan && vxlan.flag_i == 1 && udp.length >= 30')
	echo "tshark: bad $bad ok $ok noflag $noflag short $short tunnel $tunnel"
	[ "$bad" -eq 2 ] && [ "$noflag" -eq 1 ] && [ "$short" -eq 1 ]
	[ "$(jq .csum_bad <<<"$in")" -eq "$bad" ]
	[ "$(jq .csum_ok <<<"$in")" -eq "$ok" ]
	[ "$(jq .bad_flags <<<"$in")" -eq "$noflag" ]
	[ "$(jq .short <<<"$in")" -eq "$short" ]
	[ "$(jq .packets <<<"$in")" -eq "$tunnel" ]
	run np_in "$NS_B" -j show vxlan
	[ "$(jq '[.[].packets] | add' <<<"$output")" -eq "$tunnel" ]
}

@test "an inner protocol without a name: proto is its number as a string, as in show flows" {
	replay_setup
	local src="$PCAPS/vxlan4789_vni100_icmp.pcap" f="$BATS_TEST_TMPDIR/proto99.pcap" hex
	# Frame 1's inner IPv4 protocol (14 + 20 + 8 + 8 + 14 + 9 bytes in) made 99.
	hex=$(xxd -p "$src" | tr -d '\n')
	hex=$(hex_patch "$hex" $(($(pcap_frame_off "$hex" 1) + 73)) 63)
	xxd -r -p <<<"$hex" >"$f"
	[ "$($TSHARK -r "$f" -Y 'vxlan && ip.proto#2 == 99' 2>/dev/null | wc -l)" -eq 1 ]
	run np_in "$NS_B" attach b0 vxlan
	[ "$status" -eq 0 ]
	pcap_replay "$NS_A" a0 "$f"
	run np_in "$NS_B" -j show vxlan flows proto 99
	[ "$status" -eq 0 ]
	echo "$output"
	jq -e 'length == 1 and .[0].proto == "99" and .[0].proto_number == 99 and .[0].packets == 1' <<<"$output"
	run np_in "$NS_B" -j show vxlan flows
	jq -e 'all(.[]; (.proto | type == "string") and (.proto_number | type == "number"))' <<<"$output"
}

@test "attach all includes vxlan; detach vxlan removes its hooks and entries; errors" {
	replay_setup
	run np_in "$NS_B" show vxlan
	[ "$status" -eq 1 ]
	[[ "$output" == *"vxlan probe is not attached"*"attach DEV vxlan'"* ]]
	# Usage errors come first, attached or not.
	run np_in "$NS_B" show vxlan counters vni 1
	[ "$status" -eq 2 ]
	run np_in "$NS_B" show vxlan flows dev b0 src bogus
	[ "$status" -eq 2 ]
	run np_in "$NS_B" attach b0 all flows 2048
	[ "$status" -eq 0 ]
	[ "$(np_in "$NS_B" -j status | jq '.maps[] | select(.name == "np_vxlan_flows") | .max_entries')" -eq 2048 ]
	[[ "$output" == *vxlan_ingress* && "$output" == *vxlan_egress* && "$output" == *tc_ingress* ]]
	[ -e "$NETPROBE_PIN_ROOT/links/b0/vxlan_ingress" ]
	[ -e "$NETPROBE_PIN_ROOT/links/b0/vxlan_egress" ]
	pcap_replay "$NS_A" a0 "$PCAPS/vxlan4789_vni100_icmp.pcap"
	run np_in "$NS_B" -j show vxlan vni 100
	[ "$(jq '[.[].packets] | add' <<<"$output")" -eq 10 ]
	run np_in "$NS_B" -j show vxlan vni 1
	[ "$output" = "[]" ]
	# Usage errors exit 2, runtime errors 1.
	run np_in "$NS_B" show vxlan bogus
	[ "$status" -eq 2 ]
	# A keyword of another view is a usage error in this one, and says where it goes.
	local args msg
	while IFS='|' read -r args msg; do
		run np_in "$NS_B" show vxlan $args
		echo "show vxlan $args: $status $output"
		[ "$status" -eq 2 ]
		[[ "$output" == *"$msg"* ]]
		run np_in "$NS_B" -j show vxlan $args
		[ "$status" -eq 2 ]
		jq -e .error <<<"$output"
	done <<-'EOF'
	counters vni 1|show vxlan counters: 'vni' applies to 'show vxlan' and 'show vxlan flows'
	counters remote 10.0.0.1|'remote' applies to 'show vxlan' and 'show vxlan flows'
	counters sort bytes|'sort' applies to
	counters top 1|'top' applies to
	src 10.0.0.0/8|show vxlan: 'src' applies to 'show vxlan flows'
	proto tcp|'proto' applies to 'show vxlan flows'
	port 53|'port' applies to 'show vxlan flows'
	sport 53|'sport' applies to 'show vxlan flows'
	dport 53|'dport' applies to 'show vxlan flows'
	dev b0 flows|show vxlan: 'flows' comes first
	flows remote 300.1.1.1|remote: '300.1.1.1' is not an address
	flows dir up|dir: unknown keyword 'up'
	flows proto bogus|proto: 'bogus' is not a protocol
	flows port 65536|port: '65536' is not a number
	flows src 10.0.0.0/8 src 10.1.0.0/16|'src' given twice
	sort size|sort: unknown keyword 'size'
	top 0|top: '0' is not a number
	EOF
	run np_in "$NS_B" -j show vxlan vni 99999999
	[ "$status" -eq 2 ]
	jq -e .error <<<"$output"
	run np_in "$NS_B" show vxlan dev a0
	[ "$status" -eq 1 ]
	run np_in "$NS_B" attach b0 vxlan vxlan-port 0
	[ "$status" -eq 2 ]
	run np_in "$NS_B" --prom show vxlan flows
	[ "$status" -eq 2 ]
	run np_in "$NS_B" -j show vxlan counters
	# ports: a list of numbers (attach's defaults); comma-joined in plain text.
	jq -e '.[0].ports == [4789, 8472] and
		all(.[]; .ports | type == "array" and all(type == "number"))' <<<"$output"
	run np_in "$NS_B" show vxlan counters dir ingress
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == b0*ingress*" 4789,8472" ]]
	# c0 keeps the maps alive while b0 goes: b0 must leave no entry behind.
	# (Same namespace: a pin root serves one namespace's ifindexes.)
	ip -n "$NS_B" link add c0 type veth peer name c1
	run np_in "$NS_B" attach c0 vxlan vxlan-port 4790
	[ "$status" -eq 0 ]
	entries() { bpftool -j map dump pinned "$NETPROBE_PIN_ROOT/maps/$1" | jq length; }
	# Detaching only vxlan leaves tc, and no vxlan entry of b0.
	run np_in "$NS_B" detach b0 vxlan
	[ "$status" -eq 0 ]
	[ ! -e "$NETPROBE_PIN_ROOT/links/b0/vxlan_ingress" ]
	[ -e "$NETPROBE_PIN_ROOT/links/b0/tc_ingress" ]
	[ "$(entries np_vxlan_tunnels)" -eq 0 ]
	[ "$(entries np_vxlan_flows)" -eq 0 ]
	[ "$(entries np_vxlan_counters)" -eq 0 ]
	[ "$(entries np_vxlan_ports)" -eq 4 ]	# c0's 4789, 8472, 6081 (Geneve), 4790
	run np_in "$NS_B" show vxlan dev b0
	[ "$status" -eq 1 ]
	[[ "$output" == *"not attached to 'b0'"* ]]
	# The same through 'detach DEV' (every probe of the device).
	np_in "$NS_B" attach b0 vxlan
	pcap_replay "$NS_A" a0 "$PCAPS/vxlan4789_vni100_icmp.pcap"
	[ "$(entries np_vxlan_tunnels)" -eq 2 ]
	run np_in "$NS_B" detach b0
	[ "$status" -eq 0 ]
	[ ! -e "$NETPROBE_PIN_ROOT/links/b0" ]
	[ "$(entries np_vxlan_tunnels)" -eq 0 ]
	[ "$(entries np_vxlan_flows)" -eq 0 ]
	[ "$(entries np_vxlan_ports)" -eq 4 ]
	run np_in "$NS_B" detach c0
	[ "$status" -eq 0 ]
	run np_in "$NS_B" show vxlan
	[ "$status" -eq 1 ]
	np_root_empty
	[ -z "$(in_ns "$NS_B" bpftool net show dev b0 | grep np_)" ]
	[ -z "$(in_ns "$NS_B" bpftool net show dev c0 | grep np_)" ]
}
