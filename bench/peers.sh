#!/usr/bin/env bash
# netprobe against the classic flow tools a user would pick instead:
# softflowd and pmacctd (libpcap), each alone on the receiving end (b0) of
# the same iperf3 TCP load over a veth pair, runs alternating with nothing
# attached at all. For each tool, side by side in one run:
#   - packets it saw against the kernel's own counters of b0 (rx + tx:
#     a capture sees both directions, so do netprobe's TC programs);
#   - CPU time it used during the load: utime + stime of its processes
#     (/proc/PID/stat, children included); for netprobe the run_time_ns of
#     its BPF programs (bpf_stats) plus the user + sys time of the readout
#     (`netprobe -j show flows`);
#   - iperf3 throughput against the bare runs of the same round.
# The machine may be shared: compare within one run, not across runs.
#
# Usage: bench/peers.sh   (as root, after make)
# Env: RUNS (rounds, 3), SECS (seconds per iperf3 run, 4)
set -euo pipefail

cd "$(dirname "$0")/.."
. bench/lib.sh
NP="${NP:-$PWD/netprobe}"
OUT="$PWD/build/bench/peers"
RUNS=${RUNS:-3}
SECS=${SECS:-4}
SUFFIX=$(printf '%04x' $RANDOM)
NS_A="nppeer-a-$SUFFIX"
NS_B="nppeer-b-$SUFFIX"
PINFS="/run/nppeer-$SUFFIX"
export NETPROBE_PIN_ROOT="$PINFS/netprobe"
STATS_WAS=$(cat /proc/sys/kernel/bpf_stats_enabled)
TICK=$(getconf CLK_TCK)
TOOL_PIDS=()
IPERF_PID=""

cleanup() {
	stop_tool
	[ -z "$IPERF_PID" ] || kill "$IPERF_PID" 2>/dev/null || true
	if [ -e "/run/netns/$NS_B" ]; then
		in_b "$NP" -q detach all >/dev/null 2>&1 || true
	fi
	umount "$PINFS" 2>/dev/null || true
	rmdir "$PINFS" 2>/dev/null || true
	ip netns del "$NS_A" 2>/dev/null || true
	ip netns del "$NS_B" 2>/dev/null || true
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
}
trap cleanup EXIT

in_a() { nsenter --net="/run/netns/$NS_A" "$@"; }
in_b() { nsenter --net="/run/netns/$NS_B" "$@"; }

setup() {
	local c
	[ -x "$NP" ] || { echo "build netprobe first (make)" >&2; exit 1; }
	for c in softflowd softflowctl pmacctd pmacct iperf3 jq; do
		command -v "$c" >/dev/null || { echo "$c is not installed (NP_DEPS_BENCH=1 scripts/deps.sh)" >&2; exit 1; }
	done
	mkdir -p "$OUT" "$PINFS"
	mount -t bpf bpffs "$PINFS"
	bench_veth_pair "$NS_A" "$NS_B" 10.79.0.1 10.79.0.2
	in_b iperf3 -s -D -I "$OUT/iperf3.pid" >/dev/null
	sleep 0.5
	IPERF_PID=$(cat "$OUT/iperf3.pid")
	sysctl -qw kernel.bpf_stats_enabled=1
}

# b0's packets both ways, as the kernel counts them.
kernel_packets() {
	ip -n "$NS_B" -s -j link show b0 | jq '.[0].stats64 | .rx.packets + .tx.packets'
}

# CPU seconds (utime + stime) of the tool's processes and their children.
tool_cpu() {
	local pid ticks=0 kids
	for pid in "${TOOL_PIDS[@]}"; do
		kids=$(ps --ppid "$pid" -o pid= 2>/dev/null || true)
		for p in $pid $kids; do
			[ -r "/proc/$p/stat" ] || continue
			ticks=$((ticks + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
		done
	done
	awk -v t="$ticks" -v hz="$TICK" 'BEGIN { printf "%.3f\n", t / hz }'
}

stop_tool() {
	local pid kids
	for pid in "${TOOL_PIDS[@]}"; do
		kids=$(ps --ppid "$pid" -o pid= 2>/dev/null || true)
		kill "$pid" $kids 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	TOOL_PIDS=()
}

iperf_gbps() {
	in_a iperf3 -c 10.79.0.2 -t "$SECS" -J 2>/dev/null |
		jq '.end.sum_received.bits_per_second / 1e9 * 1000 | round / 1000'
}

# Sum of run_time_ns of netprobe's programs on b0.
bpf_run_ns() {
	in_b "$NP" -j status | jq '[.attachments[] | select(.interface == "b0") | .run_time_ns] | add // 0'
}

# Each run_TOOL prints "gbps kernel_packets seen_packets cpu_seconds".
run_bare() {
	local k0 k1 g
	k0=$(kernel_packets)
	g=$(iperf_gbps)
	k1=$(kernel_packets)
	echo "$g $((k1 - k0)) $((k1 - k0)) 0"
}

run_netprobe() {
	local k0 k1 g r0 r1 seen rt
	in_b "$NP" -q attach b0 >/dev/null
	r0=$(bpf_run_ns)
	k0=$(kernel_packets)
	g=$(iperf_gbps)
	sleep 1
	k1=$(kernel_packets)
	r1=$(bpf_run_ns)
	/usr/bin/time -f "%U %S" -o "$OUT/readout.time" \
		nsenter --net="/run/netns/$NS_B" "$NP" -j show flows >"$OUT/flows.json"
	seen=$(jq '[.[].packets] | add // 0' "$OUT/flows.json")
	rt=$(awk -v r="$((r1 - r0))" '{ printf "%.3f\n", r / 1e9 + $1 + $2 }' "$OUT/readout.time")
	in_b "$NP" -q detach all >/dev/null
	echo "$g $((k1 - k0)) $seen $rt"
}

# load_tool DRAIN: the load with a libpcap tool (TOOL_PIDS) running; DRAIN
# seconds for it to catch up after. Sets K_PKTS (kernel) and CPU_S.
load_tool() {
	local k0 c0
	c0=$(tool_cpu)
	k0=$(kernel_packets)
	GBPS=$(iperf_gbps)
	sleep "$1"
	K_PKTS=$(($(kernel_packets) - k0))
	CPU_S=$(awk -v a="$c0" -v b="$(tool_cpu)" 'BEGIN { printf "%.3f\n", b - a }')
}

run_softflowd() {
	local seen
	rm -f "$OUT/softflowd.ctl"
	in_b softflowd -i b0 -d -m 65536 -c "$OUT/softflowd.ctl" -p "$OUT/softflowd.pid" \
		-n 127.0.0.1:2055 >"$OUT/softflowd.log" 2>&1 &
	TOOL_PIDS=($!)
	sleep 1
	load_tool 1
	# What reached it: processed IP packets and the ones it ignored.
	seen=$(in_b softflowctl -c "$OUT/softflowd.ctl" statistics |
		awk '/^Packets processed:/ { p = $3 } /^Ignored packets:/ { i = $3 } END { print p + i }')
	stop_tool
	echo "$GBPS $K_PKTS $seen $CPU_S"
}

run_pmacctd() {
	local seen
	rm -f "$OUT/pmacct.pipe"
	# The buffer sizes its own "missing data" warning asks for, so that the
	# core's pipe to the plugin is not what loses packets.
	cat >"$OUT/pmacctd.conf" <<-EOF
	daemonize: false
	pcap_interface: b0
	aggregate: src_host, dst_host, src_port, dst_port, proto
	plugins: memory
	imt_path: $OUT/pmacct.pipe
	plugin_buffer_size: 102400
	plugin_pipe_size: 102400000
	EOF
	in_b pmacctd -f "$OUT/pmacctd.conf" >"$OUT/pmacctd.log" 2>&1 &
	TOOL_PIDS=($!)
	sleep 2
	load_tool 2
	seen=$(in_b pmacct -p "$OUT/pmacct.pipe" -s -O json | jq -s 'map(.packets) | add // 0')
	stop_tool
	echo "$GBPS $K_PKTS $seen $CPU_S"
}

TOOLS=(bare netprobe softflowd pmacctd)

bench() {
	local r t
	echo "== $RUNS rounds of iperf3 TCP over veth, ${SECS}s per run; tools on the receiving end, one at a time"
	: >"$OUT/runs.txt"
	for r in $(seq "$RUNS"); do
		for t in "${TOOLS[@]}"; do
			echo "$r $t $("run_$t")" | tee -a "$OUT/runs.txt"
		done
	done
	report
}

# One line per tool: medians over the rounds; ratio to the bare runs of the same round.
report() {
	local t
	printf '\n%-10s %9s %8s %11s %11s %8s %8s %7s\n' TOOL "Gbit/s" "vs bare" "kernel pkts" "seen pkts" missed "CPU s" "% core"
	for t in "${TOOLS[@]}"; do
		awk -v t="$t" -v secs="$SECS" '
		$2 == "bare" { bare[$1] = $3 }
		$2 == t { n++; g[n] = $3; r[n] = $1; k += $4; s += $5; c[n] = $6 }
		END {
			for (i = 1; i <= n; i++) ratio[i] = bare[r[i]] ? g[i] / bare[r[i]] : 0
			printf "%-10s %9.2f %8.3f %11d %11d %7.2f%% %8.3f %6.1f%%\n", t, med(g, n),
				med(ratio, n), k, s, k ? 100 * (k - s) / k : 0, med(c, n), 100 * med(c, n) / secs
		}
		function med(v, n,   i, j, x, w) {
			for (i = 1; i <= n; i++) w[i] = v[i]
			for (i = 2; i <= n; i++) for (j = i; j > 1 && w[j - 1] > w[j]; j--) { x = w[j]; w[j] = w[j - 1]; w[j - 1] = x }
			return n % 2 ? w[(n + 1) / 2] : (w[n / 2] + w[n / 2 + 1]) / 2
		}' "$OUT/runs.txt"
	done
	echo "(kernel/seen: sums over the rounds; Gbit/s, ratio and CPU: medians; % core: CPU s / ${SECS}s)"
}

setup
bench
