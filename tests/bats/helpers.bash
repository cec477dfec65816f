# Shared by the bats tests: namespaces with a random suffix, a pin root on a
# bpffs of the test's own, and cleanup that runs even when a test fails.
#
# Tests switch only the network namespace (nsenter --net), never the mount
# namespace: `ip netns exec` would give netprobe a fresh /sys and hide the
# pins from the next invocation.

NP="${NP:-$BATS_TEST_DIRNAME/../../netprobe}"
# Test data kept in the repository: captures in $PCAPS (tests/data/pcaps,
# described by its MANIFEST.tsv and README.md).
NP_DATA="$(realpath "$BATS_TEST_DIRNAME/../data")"
PCAPS="$NP_DATA/pcaps"

# make VALGRIND=1 check: every netprobe run goes through memcheck; an error or a
# definite leak makes netprobe exit 99, which fails the test.
if [ "${NP_VALGRIND:-0}" = 1 ]; then
	NP_REAL="$(realpath "$NP")"
	export NP_REAL
	NP="$(realpath "$BATS_TEST_DIRNAME/../valgrind-netprobe")"
fi

# np_setup_root: a private bpffs for this test's pins.
np_setup_root() {
	NP_SUFFIX="$(printf '%04x%04x' $RANDOM $RANDOM)"
	NP_BPFFS="/run/netprobe-test-$NP_SUFFIX"
	mkdir -p "$NP_BPFFS"
	mount -t bpf bpffs "$NP_BPFFS"
	export NETPROBE_PIN_ROOT="$NP_BPFFS/netprobe"
	NP_NETNS=()
	NP_PIDS=()
}

# np_teardown: stop what np_bg started, detach everything, delete
# namespaces, unmount the bpffs.
np_teardown() {
	local pid
	for pid in "${NP_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	NP_PIDS=()
	if [ -n "${NP_BPFFS:-}" ]; then
		for ns in "${NP_NETNS[@]}"; do
			nsenter --net="/run/netns/$ns" "$NP" -q detach all >/dev/null 2>&1 || true
		done
		"$NP" -q detach all >/dev/null 2>&1 || true
		# Lazily if something still holds it: never leave a mount behind.
		umount "$NP_BPFFS" 2>/dev/null || umount -l "$NP_BPFFS" 2>/dev/null || true
		rmdir "$NP_BPFFS" 2>/dev/null || true
	fi
	for ns in "${NP_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	NP_NETNS=()
}

# np_netns NAME: create a namespace "NAME-<suffix>", remember it for teardown.
# Prints the full name.
np_netns() {
	local ns="$1-$NP_SUFFIX"
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	NP_NETNS+=("$ns")
	echo "$ns"
}

# np_veth_pair: namespaces A and B joined by veth a0 <-> b0, 10.77.0.1/.2,
# IPv6 off (no stray RS/MLD/DAD frames). Sets NS_A, NS_B.
np_veth_pair() {
	NS_A="np-a-$NP_SUFFIX"
	NS_B="np-b-$NP_SUFFIX"
	ip netns add "$NS_A"
	ip netns add "$NS_B"
	NP_NETNS+=("$NS_A" "$NS_B")
	ip -n "$NS_A" link set lo up
	ip -n "$NS_B" link set lo up
	ip link add a0 netns "$NS_A" type veth peer name b0 netns "$NS_B"
	ip netns exec "$NS_A" sysctl -qw net.ipv6.conf.a0.disable_ipv6=1
	ip netns exec "$NS_B" sysctl -qw net.ipv6.conf.b0.disable_ipv6=1
	ip -n "$NS_A" addr add 10.77.0.1/24 dev a0
	ip -n "$NS_B" addr add 10.77.0.2/24 dev b0
	ip -n "$NS_A" link set a0 up
	ip -n "$NS_B" link set b0 up
}

# in_ns NS CMD...: run in NS's network namespace only.
in_ns() {
	local ns="$1"
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

# np_in NS ARGS...: netprobe in NS's network namespace.
np_in() {
	local ns="$1"
	shift
	nsenter --net="/run/netns/$ns" "$NP" "$@"
}

# dev_counter NS DEV rx|tx bytes|packets: the kernel's own interface counter.
dev_counter() {
	ip -n "$1" -s -j link show "$2" | jq ".[0].stats64.$3.$4"
}

# np_zeroed_within NS DEV CMD...: after CMD (a flush, an attach), netprobe's
# packet counters of NS's DEV hold no more than the kernel counted on DEV from
# before CMD to after netprobe's read. A veth's own ARP (a neighbour probe
# some seconds after the last ping) may land in that window; older counts not.
np_zeroed_within() {
	local ns="$1" dev="$2" rxp txp out d_rxp d_txp
	shift 2
	rxp=$(dev_counter "$ns" "$dev" rx packets); txp=$(dev_counter "$ns" "$dev" tx packets)
	"$@" >/dev/null || return 1
	out=$(np_in "$ns" -j show stats dev "$dev") || return 1
	d_rxp=$(( $(dev_counter "$ns" "$dev" rx packets) - rxp ))
	d_txp=$(( $(dev_counter "$ns" "$dev" tx packets) - txp ))
	echo "$out; the kernel's in the window: rx $d_rxp tx $d_txp"
	jq -e --argjson rx "$d_rxp" --argjson tx "$d_txp" \
		'.[0] | .rx_packets <= $rx and .tx_packets <= $tx' <<<"$out" >/dev/null
}

# pcap_replay NS DEV FILE: send a capture out of DEV at top speed.
pcap_replay() {
	in_ns "$1" tcpreplay -q -i "$2" --topspeed "$3" >/dev/null 2>&1
}

# skip_unless_cmd CMD...: skip with a reason when a tool is missing.
skip_unless_cmd() {
	for c in "$@"; do
		command -v "$c" >/dev/null || skip "$c is not installed"
	done
}

# json_valid: stdin parses as one JSON document.
json_valid() {
	jq -e . >/dev/null
}

# np_root_empty: nothing is pinned. gc keeps the pin root directory itself
# (it is the lock), so "empty" is: no pin root, or an empty one.
np_root_empty() {
	[ ! -e "$NETPROBE_PIN_ROOT" ] || [ -z "$(ls -A "$NETPROBE_PIN_ROOT")" ]
}

# np_prom_plain: Prometheus text without the pin_netns label netprobe adds
# outside the host's network namespace (every test runs in one).
np_prom_plain() {
	sed -E 's/,?pin_netns="[0-9]+"//; s/\{\}//'
}

# three_netns [ipv6]: three namespaces in a line, C - R - S, R forwarding
# between 10.79.1.0/24 (c0 .1, r0 .2) and 10.79.2.0/24 (r1 .2, s0 .1). IPv6
# off (no stray frames), or with "ipv6" on too: fd00:1::/64 and fd00:2::/64
# with the same host numbers, no DAD, no router solicitations.
three_netns() {
	local v6="${1:-}" ns l
	# np_netns records the name for teardown: not in a $(subshell).
	np_netns np-c >/dev/null
	np_netns np-r >/dev/null
	np_netns np-s >/dev/null
	NS_C="np-c-$NP_SUFFIX" NS_R="np-r-$NP_SUFFIX" NS_S="np-s-$NP_SUFFIX"
	if [ "$v6" = ipv6 ]; then
		for ns in "$NS_C" "$NS_R" "$NS_S"; do
			ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 \
				net.ipv6.conf.default.router_solicitations=0
		done
	fi
	ip link add c0 netns "$NS_C" type veth peer name r0 netns "$NS_R"
	ip link add r1 netns "$NS_R" type veth peer name s0 netns "$NS_S"
	if [ "$v6" != ipv6 ]; then
		for ns in "$NS_C" "$NS_R" "$NS_S"; do
			ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
				net.ipv6.conf.default.disable_ipv6=1
		done
	fi
	ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1
	[ "$v6" != ipv6 ] || ip netns exec "$NS_R" sysctl -qw net.ipv6.conf.all.forwarding=1
	for l in "$NS_C c0 10.79.1.1 fd00:1::1" "$NS_R r0 10.79.1.2 fd00:1::2" \
		"$NS_R r1 10.79.2.2 fd00:2::2" "$NS_S s0 10.79.2.1 fd00:2::1"; do
		set -- $l
		ip -n "$1" addr add "$3/24" dev "$2"
		[ "$v6" != ipv6 ] || ip -n "$1" addr add "$4/64" dev "$2" nodad
		ip -n "$1" link set "$2" up
	done
	ip -n "$NS_C" route add default via 10.79.1.2
	ip -n "$NS_S" route add default via 10.79.2.2
	[ "$v6" = ipv6 ] || return 0
	ip -n "$NS_C" -6 route add default via fd00:1::2
	ip -n "$NS_S" -6 route add default via fd00:2::2
}

# An nft counter at each inet hook of NS (priority 0), the oracle for netprobe.
nft_hook_counters() {
	local chains="" h
	for h in prerouting input forward output postrouting; do
		chains+="chain $h { type filter hook $h priority 0; meta nfproto ipv4 counter; }"$'\n'
	done
	in_ns "$1" nft -f - <<<"table inet np_oracle { $chains }"
}

# netns_inode NS: the inode of a named network namespace (the kernel's ns.inum).
netns_inode() {
	stat -L -c %i "/run/netns/$1"
}

# np_bg LOG CMD...: start CMD in the background, output to LOG; its PID goes
# into NP_BG_PID and into NP_PIDS, which np_teardown stops. Call it
# directly, not in a $(subshell), or teardown never learns the PID.
np_bg() {
	local log="$1"
	shift
	"$@" >"$log" 2>&1 3>&- &
	NP_BG_PID=$!
	NP_PIDS+=("$NP_BG_PID")
}

# np_cap_start NS DEV FILE [TCPDUMP-ARGS...]: capture DEV in NS's namespace
# into FILE (tcpdump's messages in FILE.err) until np_cap_stop; returns once
# tcpdump listens. Teardown ends it if a test does not. Immediate mode has
# fixed-size ring frames: "-s 128" in the arguments makes room for bursts.
np_cap_start() {
	local ns="$1" dev="$2"
	NP_CAP="$3"
	shift 3
	: >"$NP_CAP.err"
	# nsenter execs tcpdump: $! is tcpdump itself, so the signal reaches it.
	nsenter --net="/run/netns/$ns" tcpdump -i "$dev" -nn -U --immediate-mode \
		-w "$NP_CAP" "$@" 2>"$NP_CAP.err" 3>&- &
	NP_CAP_PID=$!
	NP_PIDS+=("$NP_CAP_PID")
	np_wait_for 10 grep -q 'listening on' "$NP_CAP.err"
}

# np_cap_stop: end np_cap_start's capture with all it saw written out; fails
# if the kernel dropped a packet of it: an oracle that missed packets is none.
np_cap_stop() {
	sleep 0.3
	kill -INT "$NP_CAP_PID"
	timeout 10 tail --pid="$NP_CAP_PID" -f /dev/null
	grep -q '^0 packets dropped by kernel' "$NP_CAP.err"
}

# np_stop PID: stop one process np_bg started (SIGTERM) and wait until it is
# gone, also from a $(subshell), where `wait` cannot wait for it.
np_stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	np_wait_for 10 eval "! kill -0 $1 2>/dev/null"
}

# np_free_port NS tcp|udp: a port nothing listens on in NS's network
# namespace ("" for the host's), from 20000-39999.
np_free_port() {
	local ns="$1" proto="$2" port i
	for i in $(seq 50); do
		port=$((20000 + RANDOM % 20000))
		if [ -n "$ns" ]; then
			[ -z "$(in_ns "$ns" ss -Han --"$proto" -l "sport = :$port")" ] && break
		else
			[ -z "$(ss -Han --"$proto" -l "sport = :$port")" ] && break
		fi
	done
	echo "$port"
}

# np_wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds; fails
# after SECONDS.
np_wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
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
