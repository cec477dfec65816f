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
	jq -r '.[] | [.vni, .outer_src, .outer_dst,
		      ({"icmp": 1, "tcp": 6, "udp": 17}[.proto] // .proto),
		      .src, .sport, .dst, .dport, .packets, .bytes] | map(tostring) | join(" ")' |
		sort
}

@test "flannel pod-to-pod traffic: tunnels and inner flows equal tshark on the underlay" {
	flannel_cluster
	run np_in "$NODE1" attach ul0 vxlan
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
				.pod_cidr == "10.244.2.0/24" and .vni == 1 and
				.local == "192.168.77.1")] | length' <<<"$output")" -eq 2 ]

	want=$(tshark_flows "$cap")
	echo "tshark flows:"; echo "$want"
	run np_in "$NODE1" -j show vxlan flows
	[ "$status" -eq 0 ]
	got=$(np_flows <<<"$output")
	echo "netprobe flows:"; echo "$got"
	[ "$(wc -l <<<"$want")" -eq 7 ]	# echo req/reply both ways, UDP, TCP both ways
	[ "$got" = "$want" ]

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
	grep -q '^netprobe_vxlan_packets_total{interface="ul0",direction="egress",vni="1",local="192.168.77.1",remote="192.168.77.2"} [1-9]' <<<"$(np_prom_plain <<<"$output")"
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

@test "attach all includes vxlan; detach vxlan removes its hooks and entries; errors" {
	replay_setup
	run np_in "$NS_B" show vxlan
	[ "$status" -eq 1 ]
	[[ "$output" == *"vxlan probe is not attached"*"attach DEV vxlan'"* ]]
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
	[ "$(jq -r '.[0].ports' <<<"$output")" = 4789,8472 ]
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
	[ "$(entries np_vxlan_ports)" -eq 3 ]	# c0's 4789, 8472, 4790
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
	[ "$(entries np_vxlan_ports)" -eq 3 ]
	run np_in "$NS_B" detach c0
	[ "$status" -eq 0 ]
	run np_in "$NS_B" show vxlan
	[ "$status" -eq 1 ]
	np_root_empty
	[ -z "$(in_ns "$NS_B" bpftool net show dev b0 | grep np_)" ]
	[ -z "$(in_ns "$NS_B" bpftool net show dev c0 | grep np_)" ]
}
