#!/bin/bash
# bench/attach.sh: how long `netprobe attach DEV` (then detach) takes, this
# build against a build of BASE (a git revision, default HEAD~1), side by
# side in one run: A and B in turn, RUNS pairs after one warm-up pair, the
# medians and the median of the pairwise ratios. Most of an attach is the
# verifier's, once for every program loaded.
#
#   bench/attach.sh                          (as root, after make)
#   BASE=8bdb7b3 RUNS=9 bench/attach.sh      (against the tree before a change)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
BASE=${BASE:-HEAD~1}
RUNS=${RUNS:-7}
[ "$(id -u)" = 0 ] || { echo "Error: run as root (network namespaces, BPF)" >&2; exit 1; }
[ -x ./netprobe ] || { echo "Error: build first: make" >&2; exit 1; }

TMP=$(mktemp -d)
NS_A="npb-att-a-$$" NS_B="npb-att-b-$$"
cleanup() {
	for r in "$TMP/a" "$TMP/b"; do
		NETPROBE_PIN_ROOT="$r/np" ip netns exec "$NS_A" ./netprobe -q detach all >/dev/null 2>&1 || true
		umount "$r" 2>/dev/null || true
	done
	ip netns del "$NS_A" 2>/dev/null || true
	ip netns del "$NS_B" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

rev=$(git rev-parse --short "$BASE")
mkdir -p "$TMP/src" "$TMP/a" "$TMP/b"
git archive "$rev" | tar -x -C "$TMP/src"
make -s -C "$TMP/src" -j2 BUILD="$TMP/build" "$TMP/build/netprobe" >/dev/null ||
	{ echo "Error: building $rev failed" >&2; exit 1; }
bench_veth_pair "$NS_A" "$NS_B" 10.99.0.1 10.99.0.2
# Each build its own pin root: a pin root holds one build's layouts.
mount -t bpf bpffs "$TMP/a"
mount -t bpf bpffs "$TMP/b"

# cycle NETPROBE ROOT PROBE: attach a0 with PROBE, then detach it; prints
# the wall time in seconds.
cycle() {
	local t0 t1
	t0=$(date +%s%N)
	NETPROBE_PIN_ROOT="$2/np" ip netns exec "$NS_A" "$1" -q attach a0 "$3" >/dev/null
	NETPROBE_PIN_ROOT="$2/np" ip netns exec "$NS_A" "$1" -q detach a0 >/dev/null
	t1=$(date +%s%N)
	echo "scale=3; ($t1 - $t0) / 1000000000" | bc
}

for probe in tc xdp; do
	a=() b=() r=()
	cycle "$PWD/netprobe" "$TMP/a" "$probe" >/dev/null
	cycle "$TMP/build/netprobe" "$TMP/b" "$probe" >/dev/null
	for _ in $(seq "$RUNS"); do
		a+=("$(cycle "$PWD/netprobe" "$TMP/a" "$probe")")
		b+=("$(cycle "$TMP/build/netprobe" "$TMP/b" "$probe")")
		r+=("$(echo "scale=4; ${a[-1]} / ${b[-1]}" | bc)")
	done
	printf "attach a0 %-4s then detach: this build %.2f s, %s %.2f s, ratio %.2f (medians of %s pairs)\n" \
		"$probe" "$(printf '%s\n' "${a[@]}" | median)" "$rev" \
		"$(printf '%s\n' "${b[@]}" | median)" "$(printf '%s\n' "${r[@]}" | median)" "$RUNS"
done
