#!/bin/bash
# Kubernetes attribution costs, measured side by side in one run:
#   1. `netprobe -j show flows k8s` against `netprobe -j show flows` over the
#      same 1 000 000 flows (bench/flowfill.c), runs alternating; the ratio
#      of the medians (target <= 1.25).
#   2. Loading a node of 100 pods (CNI cache entries, containerd bundles) and
#      300 service ports (an iptables-save file): `show pods`, `show services`
#      and `query ip` wall time (target <= 50 ms), against `netprobe version`
#      as the cost of starting at all.
#   3. Per-packet cost of the traffic program with the classes on (bpf_stats),
#      against the same program with them off, UDP into b0 from one CPU.
# Usage: bench/k8s.sh   (as root, after make). Env: RUNS (5), FLOWS (1000000).
set -euo pipefail

cd "$(dirname "$0")/.."
. bench/lib.sh
NP="${NP:-$PWD/netprobe}"
OUT="$PWD/build/bench"
RUNS=${RUNS:-5}
FLOWS=${FLOWS:-1000000}
SUFFIX=$(printf '%04x' $RANDOM)
NS_A="npbench-ka-$SUFFIX"
NS_B="npbench-kb-$SUFFIX"
PINFS="/run/npbench-k-$SUFFIX"
PIN="$PINFS/netprobe"
HR="$OUT/k8s-host-$SUFFIX"
STATS_WAS=$(cat /proc/sys/kernel/bpf_stats_enabled)

IN_B=(env NETPROBE_PIN_ROOT="$PIN" NETPROBE_HOST_ROOT="$HR"
      NETPROBE_KUBE_PROXY_RULES=/rules.txt nsenter --net="/run/netns/$NS_B")
in_b() { "${IN_B[@]}" "$@"; }

cleanup() {
	[ -e "/run/netns/$NS_B" ] && in_b "$NP" -q detach all >/dev/null 2>&1 || true
	umount "$PINFS" 2>/dev/null || true
	rmdir "$PINFS" 2>/dev/null || true
	ip netns del "$NS_A" 2>/dev/null || true
	ip netns del "$NS_B" 2>/dev/null || true
	rm -rf "$HR"
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
}
trap cleanup EXIT

# secs CMD...: wall seconds of CMD, output discarded.
secs() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>"$OUT/k8s-bench.err" || { echo "failed ($?): $* ($(head -1 "$OUT/k8s-bench.err"))" >&2; exit 1; }
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

# A node of 100 pods (10.0.0.1-100, in the flows flowfill writes) and 300 service ports.
host_root() {
	local i id
	mkdir -p "$HR/var/lib/cni/results" "$HR/run/flannel" \
		"$HR/run/containerd/io.containerd.runtime.v2.task/k8s.io"
	printf 'FLANNEL_NETWORK=10.0.0.0/8\nFLANNEL_SUBNET=10.0.0.0/24\n' >"$HR/run/flannel/subnet.env"
	for i in $(seq 1 100); do
		id=$(printf 'sb%062d' "$i")
		printf '{"kind":"cniCacheV1","containerId":"%s","ifName":"eth0","networkName":"cbr0","cniArgs":[["K8S_POD_NAMESPACE","ns%d"],["K8S_POD_NAME","pod-%d"],["K8S_POD_UID","uid-%d"]],"result":{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.0.0.%d/24"}],"interfaces":[{"name":"cni0"},{"name":"veth%d"},{"name":"eth0","sandbox":"/var/run/netns/cni-%d"}]}}\n' \
			"$id" $((i % 10)) "$i" "$i" "$i" "$i" "$i" >"$HR/var/lib/cni/results/cbr0-$id-eth0"
		mkdir -p "$HR/run/containerd/io.containerd.runtime.v2.task/k8s.io/$id"
		printf '{"annotations":{"io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-name":"pod-%d","io.kubernetes.cri.sandbox-namespace":"ns%d","io.kubernetes.cri.sandbox-uid":"uid-%d"},"linux":{"namespaces":[{"type":"network","path":"/var/run/netns/cni-%d"}]}}\n' \
			"$i" $((i % 10)) "$i" "$i" >"$HR/run/containerd/io.containerd.runtime.v2.task/k8s.io/$id/config.json"
	done
	{
		echo '*nat'
		for i in $(seq 1 300); do
			printf -- '-A KUBE-SERVICES -d 10.96.%d.%d/32 -p tcp -m comment --comment "ns%d/svc%d:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-%d\n' \
				$((i / 250)) $((i % 250 + 1)) $((i % 10)) "$i" "$i"
			printf -- '-A KUBE-SVC-%d -j KUBE-SEP-%d\n' "$i" "$i"
			printf -- '-A KUBE-SEP-%d -p tcp -m tcp -j DNAT --to-destination 10.0.0.%d:80\n' "$i" $((i % 100 + 1))
		done
		echo 'COMMIT'
	} >"$HR/rules.txt"
}

setup() {
	[ -x "$NP" ] || { echo "build netprobe first (make)" >&2; exit 1; }
	mkdir -p "$OUT" "$PINFS"
	mount -t bpf bpffs "$PINFS"
	bench_veth_pair "$NS_A" "$NS_B" 10.0.0.1 10.0.0.200
	ip netns exec "$NS_B" nft add table ip npbench
	ip netns exec "$NS_B" nft 'add chain ip npbench in { type filter hook input priority 0; policy drop; }'
	host_root
}

bench_read() {
	local plain=() k8s=() i
	echo "== reading $FLOWS flows: show flows k8s against show flows ($RUNS runs each, alternating)"
	cc -O2 -Wall -o "$OUT/flowfill" bench/flowfill.c -lbpf
	in_b "$NP" -q attach b0 flows 1048576 >/dev/null
	"$OUT/flowfill" "$PIN/maps/np_flows" "$FLOWS"
	for i in $(seq 1 "$RUNS"); do
		plain+=("$(secs in_b "$NP" -j show flows)")
		k8s+=("$(secs in_b "$NP" -j show flows k8s)")
	done
	local p k
	p=$(printf '%s\n' "${plain[@]}" | median)
	k=$(printf '%s\n' "${k8s[@]}" | median)
	awk -v p="$p" -v k="$k" 'BEGIN { printf "show flows %.2f s, show flows k8s %.2f s: %.2fx (target <= 1.25x)\n", p, k, k / p }'
	in_b "$NP" -q flush flows >/dev/null
}

bench_load() {
	local c t v=() pods=() svcs=() q=() i
	echo "== loading 100 pods and 300 service ports ($RUNS runs each, alternating)"
	for i in $(seq 1 "$RUNS"); do
		v+=("$(secs in_b "$NP" -j version)")
		pods+=("$(secs in_b "$NP" -j show pods)")
		svcs+=("$(secs in_b "$NP" -j show services)")
		q+=("$(secs in_b "$NP" -j query ip 10.0.0.7)")
	done
	[ "$(in_b "$NP" -j show pods | jq length)" -eq 100 ]
	[ "$(in_b "$NP" -j show services | jq length)" -eq 300 ]
	for c in v pods svcs q; do
		eval "t=\$(printf '%s\n' \"\${$c[@]}\" | median)"
		printf '%-32s %6.1f ms\n' "$c" "$(awk -v t="$t" 'BEGIN { print t * 1000 }')"
	done
}

# cost_run: ns per run of b0's tc ingress program over 200000 datagrams.
cost_run() {
	local before after
	before=$(in_b "$NP" -j status | jq -r '.attachments[] | select(.interface == "b0" and .hook == "tc_ingress") | "\(.run_cnt) \(.run_time_ns)"')
	ip netns exec "$NS_A" taskset -c 0 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(200000):
    s.sendto(b"x" * 64, ("10.0.0.200", 9))'
	after=$(in_b "$NP" -j status | jq -r '.attachments[] | select(.interface == "b0" and .hook == "tc_ingress") | "\(.run_cnt) \(.run_time_ns)"')
	awk -v b="$before" -v a="$after" 'BEGIN { split(b, x); split(a, y); printf "%.0f\n", (y[2] - x[2]) / (y[1] - x[1]) }'
}

bench_cost() {
	local on=() off=() i
	echo "== per-packet cost of tc ingress, classes on against off ($RUNS runs each)"
	sysctl -qw kernel.bpf_stats_enabled=1
	in_b "$NP" -q attach b0 >/dev/null
	for i in $(seq 1 "$RUNS"); do
		in_b "$NP" -q k8s sync >/dev/null
		on+=("$(cost_run)")
		bpftool map update pinned "$PIN/maps/np_k8s_config" key 0 0 0 0 value hex 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00
		off+=("$(cost_run)")
	done
	printf 'classes on %s ns, off %s ns per packet (medians)\n' \
		"$(printf '%s\n' "${on[@]}" | median)" "$(printf '%s\n' "${off[@]}" | median)"
}

setup
for what in "${@:-read load cost}"; do
	for w in $what; do
		"bench_$w"
	done
done
