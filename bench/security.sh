#!/usr/bin/env bash
# Per-packet cost of the security program (TC ingress) by kind of packet,
# from the kernel's bpf_stats (run_time_ns / run_cnt of security_ingress):
# builds side by side, e.g. the branch before the scan kinds and this one.
#
#   NPS="main=/tmp/np-main/netprobe this=$PWD/netprobe" ROUNDS=3 bench/security.sh
#
# hping3 sends COUNT packets from one CPU into b0; NS_B drops everything at
# its input hook, so nothing is answered. The kinds:
#   tcp data     ACK+PSH with 64 bytes of payload, one flow (a known flow)
#   tcp ack+ts   pure ACK with a timestamp option, one flow (a known flow)
#   udp one flow one (src, dst, port): the next datagrams of a known flow
#   udp scan     a new destination port per datagram (the udp-scan path)
# Env: COUNT (packets per kind, 100000), ROUNDS (1).
set -euo pipefail

cd "$(dirname "$0")/.."
. bench/lib.sh
NP="${NP:-$PWD/netprobe}"
COUNT=${COUNT:-100000}
SUFFIX=$(printf '%04x' $RANDOM)
NS_A="npbench-a-$SUFFIX"
NS_B="npbench-b-$SUFFIX"
PINFS_B="/run/npbench-b-$SUFFIX"
PIN_B="$PINFS_B/netprobe"
STATS_WAS=$(cat /proc/sys/kernel/bpf_stats_enabled)

cleanup() {
	if [ -e "/run/netns/$NS_B" ]; then
		in_b "$NP" -q detach all >/dev/null 2>&1 || true
	fi
	umount "$PINFS_B" 2>/dev/null || true
	rmdir "$PINFS_B" 2>/dev/null || true
	ip netns del "$NS_A" 2>/dev/null || true
	ip netns del "$NS_B" 2>/dev/null || true
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
}
trap cleanup EXIT

in_a() { nsenter --net="/run/netns/$NS_A" "$@"; }
in_b() { env NETPROBE_PIN_ROOT="$PIN_B" nsenter --net="/run/netns/$NS_B" "$@"; }

# cost LABEL HPING-ARGS...: ns per run of b0's security_ingress for that traffic.
cost() {
	local label="$1" s0 s1
	shift
	s0=($(stats))
	in_a taskset -c 0 hping3 -q -i u20 -c "$COUNT" "$@" 10.77.0.2 >/dev/null 2>&1 || true
	s1=($(stats))
	awk -v l="$label" -v c="$((s1[0] - s0[0]))" -v t="$((s1[1] - s0[1]))" \
		'BEGIN { printf "%-28s %8d pkts %7.1f ns/pkt\n", l, c, c ? t / c : 0 }'
}

stats() {
	in_b "$NP" -j status | jq -r '.attachments[] |
		select(.interface == "b0" and .hook == "security_ingress") | "\(.run_cnt) \(.run_time_ns)"'
}

one() {
	in_b "$NP" -q attach b0 security >/dev/null
	cost "$1: tcp data" -s 20000 -k -p 8080 -P -A -d 64
	cost "$1: tcp ack+ts" -s 20001 -k -p 8080 -A --tcp-timestamp
	cost "$1: udp one flow" --udp -s 20002 -k -p 5353
	cost "$1: udp scan" --udp -s 20003 -k -p ++1
	in_b "$NP" -q detach all >/dev/null
}

mkdir -p "$PINFS_B"
mount -t bpf bpffs "$PINFS_B"
bench_veth_pair "$NS_A" "$NS_B" 10.77.0.1 10.77.0.2
in_b nft add table ip npbench
in_b nft 'add chain ip npbench in { type filter hook input priority 0; policy drop; }'
sysctl -qw kernel.bpf_stats_enabled=1
echo "== security_ingress per-packet cost (bpf_stats, $COUNT packets per kind, one sending CPU)"
for _ in $(seq "${ROUNDS:-1}"); do
	for spec in ${NPS:-this=$NP}; do
		NP=${spec#*=} one "${spec%%=*}"
	done
done
