#!/usr/bin/env bash
# The TC ingress program's cost per packet from BPF_PROG_TEST_RUN
# (bpftool prog run ... repeat N): the kernel times the runs itself and
# stops its clock while the task is preempted, so a loaded machine moves
# the figures less than bpf_stats of real traffic (bench/flows.sh cost).
# Three frames (written by the python below into build/bench): a UDP
# datagram, a TCP ACK segment and a TCP SYN, each run REPEAT times on one
# flow (the first run makes it, the rest find it). Several builds side by
# side: NPS="main=/path/netprobe rtt=./netprobe" ROUNDS=5 bench/handshake-cost.sh
set -euo pipefail
cd "$(dirname "$0")/.."
NPS=${NPS:-this=$PWD/netprobe}
ROUNDS=${ROUNDS:-5}
REPEAT=${REPEAT:-2000000}
DATA="$PWD/build/bench/handshake-cost"
S=$(printf '%04x' $RANDOM)
NS="npbench-p-$S"
FS="/run/npbench-p-$S"
export NETPROBE_PIN_ROOT="$FS/netprobe"

cleanup() {
	for spec in $NPS; do
		nsenter --net="/run/netns/$NS" "${spec#*=}" -q detach all >/dev/null 2>&1 || true
	done
	umount "$FS" 2>/dev/null || true
	rmdir "$FS" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT

mkdir -p "$DATA" "$FS"
python3 - "$DATA" <<'PY'
import struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF
def ip4(proto, pl):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(pl), 1, 0x4000, 64, proto, 0,
                    bytes([10, 9, 0, 1]), bytes([10, 9, 0, 2]))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + pl
eth = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
frames = {
    "udp": ip4(17, struct.pack("!HHHH", 40000, 9999, 26, 0) + b"x" * 18),
    "tcp_ack": ip4(6, struct.pack("!HHIIBBHHH", 40000, 80, 1, 1, 0x50, 0x10, 65535, 0, 0) + b"x" * 18),
    "tcp_syn": ip4(6, struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, 0x50, 0x02, 65535, 0, 0)),
}
for name, f in frames.items():
    open(sys.argv[1] + "/" + name + ".bin", "wb").write(eth + f)
PY
ip netns add "$NS"
ip -n "$NS" link add v0 type veth peer name v1
ip -n "$NS" link set v0 up
ip -n "$NS" link set v1 up
mount -t bpf bpffs "$FS"
echo "== tc ingress, ns per run (BPF_PROG_TEST_RUN, $REPEAT runs per frame, $ROUNDS rounds)"
for r in $(seq "$ROUNDS"); do
	# ABBA: every other round in the reverse order, so that the order is no bias.
	specs=$NPS
	[ $((r % 2)) -eq 1 ] || specs=$(tr ' ' '\n' <<<"$NPS" | sed '/^$/d' | tac | xargs)
	for spec in $specs; do
		np=${spec#*=}
		nsenter --net="/run/netns/$NS" "$np" -q attach v0 >/dev/null
		id=$(nsenter --net="/run/netns/$NS" "$np" -j status |
			jq -r '.attachments[] | select(.hook == "tc_ingress") | .prog_id')
		line="${spec%%=*}"
		for f in udp tcp_ack tcp_syn; do
			line="$line $f $(bpftool -j prog run id "$id" data_in "$DATA/$f.bin" \
				repeat "$REPEAT" | jq .duration)"
		done
		echo "$line"
		nsenter --net="/run/netns/$NS" "$np" -q detach all >/dev/null
	done
done | tee "$DATA/runs.txt"
echo "== medians"
awk '{ for (i = 2; i < NF; i += 2) v[$1 " " $i] = v[$1 " " $i] " " $(i + 1); if (!($1 in s)) { s[$1] = 1; o[++n] = $1 } }
	function med(x,   a, m, i, j, t) { m = split(x, a, " "); for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t } return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
	END { for (k = 1; k <= n; k++) printf "%-8s udp %6.1f  tcp_ack %6.1f  tcp_syn %6.1f\n", o[k], med(v[o[k] " udp"]), med(v[o[k] " tcp_ack"]), med(v[o[k] " tcp_syn"]) }' "$DATA/runs.txt"
