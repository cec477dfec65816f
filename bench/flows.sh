#!/usr/bin/env bash
# Flow table benchmarks, measured side by side in one run (the machine is
# shared and noisy: compare the ratios, not the absolute figures).
#
#   1. Per-packet cost of the TC (and XDP) programs with flow tracking,
#      from the kernel's bpf_stats (run_time_ns / run_cnt): a table with
#      one flow vs a full 1024-entry table that evicts on every packet
#      (UDP), and TCP: ACKs of one flow, SYNs of new flows.
#   1b. The same programs run by BPF_PROG_TEST_RUN (bench/progrun.c) beside
#      an empty program: a hot flow and a new flow per run, less noisy.
#   2. TCP throughput over a veth pair, iperf3, netprobe on both ends vs
#      nothing attached: medians of RUNS alternating runs, and their ratio.
#   3. 64-byte UDP over the same pair, iperf3 -u: packets per second
#      received, the same alternation and ratio.
#   4. Reading 1,000,000 flows (written into the pinned map by
#      bench/flowfill.c): `netprobe -j show flows` vs `bpftool map dump -j`
#      (run between netprobe's runs), wall and CPU time and peak memory;
#      plain text, top 100, sort bytes and status on the same table.
#
# Usage: bench/flows.sh [cost|prog|iperf|udp|read ...]   (as root; default: all)
# Env: RUNS (iperf runs per side, 7), SECS (seconds per run, 4), FLOWS (1000000)
set -euo pipefail

cd "$(dirname "$0")/.."
. bench/lib.sh
NP="${NP:-$PWD/netprobe}"
OUT="$PWD/build/bench"
RUNS=${RUNS:-7}
SECS=${SECS:-4}
FLOWS=${FLOWS:-1000000}
SUFFIX=$(printf '%04x' $RANDOM)
NS_A="npbench-a-$SUFFIX"
NS_B="npbench-b-$SUFFIX"
# One pin root serves one network namespace: each namespace gets a bpffs of
# its own, and every netprobe run is given its namespace's root.
PINFS_A="/run/npbench-a-$SUFFIX"
PINFS_B="/run/npbench-b-$SUFFIX"
PIN_A="$PINFS_A/netprobe"
PIN_B="$PINFS_B/netprobe"
STATS_WAS=$(cat /proc/sys/kernel/bpf_stats_enabled)
PIDS=()
PROG_NS=()
PROG_FS=()

cleanup() {
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	if [ -e "/run/netns/$NS_B" ]; then
		in_b "$NP" -q detach all >/dev/null 2>&1 || true
	fi
	if [ -e "/run/netns/$NS_A" ]; then
		in_a "$NP" -q detach all >/dev/null 2>&1 || true
	fi
	for fs in "$PINFS_A" "$PINFS_B"; do
		umount "$fs" 2>/dev/null || true
		rmdir "$fs" 2>/dev/null || true
	done
	ip netns del "$NS_A" 2>/dev/null || true
	ip netns del "$NS_B" 2>/dev/null || true
	for ns in "${PROG_NS[@]}"; do
		NETPROBE_PIN_ROOT="/run/$ns/netprobe" ip netns exec "$ns" "$NP" -q detach all \
			>/dev/null 2>&1 || true
		ip netns del "$ns" 2>/dev/null || true
	done
	for fs in "${PROG_FS[@]}"; do
		umount "$fs" 2>/dev/null || true
		rmdir "$fs" 2>/dev/null || true
	done
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
}
trap cleanup EXIT

IN_A=(env NETPROBE_PIN_ROOT="$PIN_A" nsenter --net="/run/netns/$NS_A")
IN_B=(env NETPROBE_PIN_ROOT="$PIN_B" nsenter --net="/run/netns/$NS_B")
in_a() { "${IN_A[@]}" "$@"; }
in_b() { "${IN_B[@]}" "$@"; }

setup() {
	[ -x "$NP" ] || { echo "build netprobe first (make)" >&2; exit 1; }
	mkdir -p "$OUT" "$PINFS_A" "$PINFS_B"
	mount -t bpf bpffs "$PINFS_A"
	mount -t bpf bpffs "$PINFS_B"
	# Only our datagrams reach b0 (no ARP), and none is answered.
	bench_veth_pair "$NS_A" "$NS_B" 10.77.0.1 10.77.0.2
	in_b nft add table ip npbench
	in_b nft 'add chain ip npbench in { type filter hook input priority 0; policy drop; }'
}

# prog_stats HOOK: "run_cnt run_time_ns" of b0's program at HOOK.
prog_stats() {
	in_b "$NP" -j status | jq -r --arg h "$1" \
		'.attachments[] | select((.interface // .target) == "b0" and .hook == $h) | "\(.run_cnt) \(.run_time_ns)"'
}

# cost_run LABEL HPING-ARGS...: ns per run of tc_ingress and xdp for that traffic.
cost_run() {
	local label="$1" tc0 tc1 x0 x1
	shift
	tc0=($(prog_stats tc_ingress))
	x0=($(prog_stats xdp))
	in_a taskset -c 0 hping3 -q ${HPING_PROTO:---udp} -p 9999 -i u20 -c 200000 "$@" 10.77.0.2 >/dev/null 2>&1 || true
	tc1=($(prog_stats tc_ingress))
	x1=($(prog_stats xdp))
	awk -v l="$label" -v c="$((tc1[0] - tc0[0]))" -v t="$((tc1[1] - tc0[1]))" \
		-v xc="$((x1[0] - x0[0]))" -v xt="$((x1[1] - x0[1]))" -v e="$(in_b "$NP" -j status |
		jq .flows_evictions)" 'BEGIN { printf "%-48s %9d pkts  tc %6.1f ns/pkt  xdp %6.1f ns/pkt  evictions %d\n",
		l, c, c ? t / c : 0, xc ? xt / xc : 0, e }'
}

# NPS="label=path ..." measures several builds side by side: ROUNDS rounds,
# each running every build in turn; then the median of each figure per build.
bench_cost() {
	local spec r
	echo "== per-packet cost (bpf_stats, UDP 200k packets, one sending CPU)"
	sysctl -qw kernel.bpf_stats_enabled=1
	: >"$OUT/cost.txt"
	for r in $(seq "${ROUNDS:-1}"); do
		for spec in ${NPS:-this=$NP}; do
			NP=${spec#*=} bench_cost_one "${spec%%=*}" | tee -a "$OUT/cost.txt"
		done
	done
	[ "${ROUNDS:-1}" -gt 1 ] || return 0
	echo "== medians of $ROUNDS rounds (ns per packet)"
	awk -F'|' '{ k = $1; tc[k] = tc[k] " " $2; xdp[k] = xdp[k] " " $3; if (!(k in seen)) { seen[k] = 1; order[++n] = k } }
		function med(s,   a, m, i, j, t) { m = split(s, a, " "); for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t } return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
		END { for (i = 1; i <= n; i++) printf "%-48s tc %6.1f  xdp %6.1f\n", order[i], med(tc[order[i]]), med(xdp[order[i]]) }' \
		<(sed -n 's/^\(.*[^ ]\)  *[0-9][0-9]* pkts  tc *\([0-9.]*\) ns\/pkt  xdp *\([0-9.]*\) ns.*/\1|\2|\3/p' "$OUT/cost.txt")
}

# bench_cost_one LABEL: both traffic kinds with the netprobe in $NP.
bench_cost_one() {
	in_b "$NP" -q attach b0 tc xdp flows 1024 >/dev/null 2>&1
	cost_run "$1: one flow (table of 1024)" -s 20000 -k
	# 200k distinct flows (source port and address vary) through 1024 entries.
	cost_run "$1: new flow per packet, full table" -s 1024 --rand-source
	# TCP: ACK segments of one flow (the handshake code's one branch), and a
	# SYN per packet from new sources (each SYN is stamped: what it costs).
	HPING_PROTO=-A cost_run "$1: one TCP flow, ACK segments" -s 20000 -k
	HPING_PROTO=-S cost_run "$1: TCP SYN per packet, new flows" -s 1024 --rand-source
	in_b "$NP" -q detach all >/dev/null
}

# The same programs through BPF_PROG_TEST_RUN (bench/progrun.c): no traffic
# generator and no bpf_stats, beside an empty program of the same type. Each
# build of NPS is attached in a namespace of its own (p0, tc and xdp, flows
# 1024) and progrun runs all of them in turn, ROUNDS short rounds: this VM's
# speed drifts by tens of per cent within minutes, which moves them alike.
bench_prog() {
	local spec k=0 pins_tc=() pins_xdp=() ns fs
	echo "== per-run cost (BPF_PROG_TEST_RUN of the pinned programs, 64-byte UDP; table of 1024)"
	cc -O2 -Wall -Werror -o "$OUT/progrun" bench/progrun.c -lbpf
	for spec in ${NPS:-this=$NP}; do
		k=$((k + 1))
		ns="npbench-p$k-$SUFFIX"
		fs="/run/npbench-p$k-$SUFFIX"
		PROG_NS+=("$ns")
		PROG_FS+=("$fs")
		ip netns add "$ns"
		ip -n "$ns" link add p0 type veth peer name p1
		ip -n "$ns" link set p0 up
		mkdir -p "$fs"
		mount -t bpf bpffs "$fs"
		env NETPROBE_PIN_ROOT="$fs/netprobe" ip netns exec "$ns" "${spec#*=}" -q attach p0 tc xdp \
			flows 1024 >/dev/null 2>&1
		pins_tc+=("$fs/netprobe/progs/p0/tc_ingress")
		pins_xdp+=("$fs/netprobe/progs/p0/xdp")
	done
	names=$(for spec in ${NPS:-this=$NP}; do printf '%s ' "${spec%%=*}"; done)
	for run in "tc hot 100000 ${pins_tc[*]}" "tc new 20000 ${pins_tc[*]}" \
		"xdp hot 100000 ${pins_xdp[*]}" "xdp new 20000 ${pins_xdp[*]}"; do
		set -- $run
		local hook=$1
		shift
		"$OUT/progrun" "$1" "${ROUNDS:-31}" "$2" "${@:3}" |
			awk -v names="$names" -v hook="$hook" 'BEGIN { n = split(names, nm, " ") }
				{ label = NR <= n ? nm[NR] : "empty"; printf "%-8s %-4s %-4s min %7.1f  median %7.1f ns a run\n", label, hook, $2, $4, $6 }'
	done
}

# tcp_run: Gbit/s of one iperf3 TCP stream.
tcp_run() {
	in_a iperf3 -c 10.77.0.2 -t "$SECS" -J 2>/dev/null | jq '.end.sum_received.bits_per_second / 1e9 * 100 | round / 100'
}

# udp_run: datagrams per second that reached the iperf3 server (sent - lost).
udp_run() {
	in_a iperf3 -c 10.77.0.2 -u -b 0 -l 64 -t "$SECS" -J 2>/dev/null |
		jq '.end.sum | ((.packets - .lost_packets) / .seconds) | round'
}

# alternate RUN UNIT TARGET: RUNS rounds of RUN with nothing attached, then
# with netprobe's default attach on a0 and b0; both medians and their ratio.
alternate() {
	local run=$1 unit=$2 target=$3 base=() with=() b w
	in_b nft flush ruleset
	in_b iperf3 -s -D -I "$OUT/iperf3.pid" >/dev/null
	sleep 0.5
	PIDS+=("$(cat "$OUT/iperf3.pid")")
	for _ in $(seq "$RUNS"); do
		base+=("$("$run")")
		in_a "$NP" -q attach a0 >/dev/null
		in_b "$NP" -q attach b0 >/dev/null
		with+=("$("$run")")
		in_a "$NP" -q detach all >/dev/null
		in_b "$NP" -q detach all >/dev/null
	done
	b=$(printf '%s\n' "${base[@]}" | median)
	w=$(printf '%s\n' "${with[@]}" | median)
	echo "nothing attached  $unit: ${base[*]}  median $b"
	echo "netprobe (tc a0+b0) $unit: ${with[*]}  median $w"
	awk -v b="$b" -v w="$w" -v t="$target" 'BEGIN { printf "ratio attached/nothing: %.3f (target >= %s)\n", w / b, t }'
	kill "$(cat "$OUT/iperf3.pid")" 2>/dev/null || true
}

bench_iperf() {
	echo "== TCP throughput over veth (iperf3, $RUNS x ${SECS}s per side, alternating)"
	alternate tcp_run Gbit/s 0.97
}

# 64-byte UDP datagrams, as fast as one iperf3 sender goes.
bench_udp() {
	echo "== 64-byte UDP over veth (iperf3 -u -b 0 -l 64, $RUNS x ${SECS}s per side, alternating)"
	alternate udp_run packets/s 0.95
}

# timed LABEL CMD...: prints wall seconds, CPU seconds (user + sys) and peak
# RSS of CMD (output discarded); leaves them in SECS_TAKEN, CPU_TAKEN, KB_TAKEN.
timed() {
	local label="$1" u s
	shift
	/usr/bin/time -f "%e %U %S %M" -o "$OUT/time.txt" "$@" >/dev/null
	read -r SECS_TAKEN u s KB_TAKEN <"$OUT/time.txt"
	CPU_TAKEN=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
	printf '%-44s %7.2f s  %6.2f s CPU  %8d KB peak\n' "$label" "$SECS_TAKEN" "$CPU_TAKEN" \
		"$KB_TAKEN"
}

bench_read() {
	local np_times=() np_cpu=() np bt btc kb_max=0 table_kb
	# What the kernel holds: entries x (key + value), 44 + 48 bytes.
	table_kb=$((FLOWS * 92 / 1024))
	echo "== reading $FLOWS flows (table of 1048576 entries, $table_kb KB of keys and values)"
	cc -O2 -Wall -o "$OUT/flowfill" bench/flowfill.c -lbpf
	in_b "$NP" -q attach b0 flows 1048576 >/dev/null
	"$OUT/flowfill" "$PIN_B/maps/np_flows" "$FLOWS"
	[ "$(in_b "$NP" -j status | jq .flows_entries)" -eq "$FLOWS" ]
	# bpftool between netprobe's runs: both see the same load.
	for i in 1 2 3; do
		timed "netprobe -j show flows" "${IN_B[@]}" "$NP" -j show flows
		np_times+=("$SECS_TAKEN")
		np_cpu+=("$CPU_TAKEN")
		kb_max=$((KB_TAKEN > kb_max ? KB_TAKEN : kb_max))
		if [ "$i" = 2 ]; then
			timed "bpftool -j map dump pinned .../np_flows" bpftool -j map dump pinned \
				"$PIN_B/maps/np_flows"
			bt=$SECS_TAKEN
			btc=$CPU_TAKEN
		fi
	done
	for q in "show flows" "-j show flows top 100" "-j show flows sort bytes" "-j status"; do
		# shellcheck disable=SC2086
		timed "netprobe $q" "${IN_B[@]}" "$NP" $q
		kb_max=$((KB_TAKEN > kb_max ? KB_TAKEN : kb_max))
	done
	np=$(printf '%s\n' "${np_times[@]}" | median)
	awk -v n="$np" -v b="$bt" -v nc="$(printf '%s\n' "${np_cpu[@]}" | median)" -v bc="$btc" \
		'BEGIN { printf "netprobe -j show flows median %.2f s (%.2f s CPU), bpftool %.2f s (%.2f s CPU): %.1fx faster, %.1fx less CPU (target >= 20x)\n", n, nc, b, bc, b / n, bc / nc }'
	awk -v k="$kb_max" -v t="$table_kb" \
		'BEGIN { printf "largest peak RSS %d KB: %.2fx the table (target <= 3x)\n", k, k / t }'
	in_b "$NP" -q detach all >/dev/null
}

setup
for what in "${@:-cost prog iperf udp read}"; do
	for w in $what; do
		"bench_$w"
	done
done
