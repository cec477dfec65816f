#!/bin/bash
# bench/levers.sh: the per-packet cost levers of issue 13, one at a time,
# side by side in one run of bench/flows.sh cost (ROUNDS rounds, each build
# in turn). Each variant is this tree with one change (a sed on a copy of
# bpf/traffic.bpf.c) of the last commit (git archive HEAD: what is being
# edited does not leak in), built in its own directory under build/levers/;
# BASE=DIR adds a tree built before the change (e.g. an unpacked main).
#
#   bench/levers.sh            (as root, after make)
#   ROUNDS=5 BASE=/tmp/np-main bench/levers.sh
#
# Variants marked "not exact" drop or loosen a count: they measure what a
# lever could give, they are not candidates as they are.
set -eu
cd "$(dirname "$0")/.."
OUT="$PWD/build/levers"
ARCH=$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
mkdir -p "$OUT"

# variant NAME SED-SCRIPT [EXTRA-BPF-CFLAGS]: build/levers/NAME/netprobe.
variant() {
	local name=$1 script=$2 extra=${3:-} dir="$OUT/$1"
	rm -rf "$dir/src"
	mkdir -p "$dir/src"
	git archive HEAD | tar -x -C "$dir/src"
	[ -z "$script" ] || sed -i "$script" "$dir/src/bpf/traffic.bpf.c"
	make -s -C "$dir/src" -j2 BUILD="$dir/build" \
		BPF_CFLAGS="-g -O2 -target bpf -D__TARGET_ARCH_$ARCH -Wall -Werror -I$dir/build -Ibpf $extra" \
		"$dir/build/netprobe" >/dev/null || { echo "Error: building $name failed" >&2; kill $$; }
	echo "$name=$dir/build/netprobe"
}

NPS=""
[ -z "${BASE:-}" ] || NPS="main=$BASE/netprobe"
NPS="$NPS $(variant this '')"
# Helper reads only (bpf_skb_load_bytes / bpf_xdp_load_bytes), no direct access.
NPS="$NPS $(variant helpers-only '' -DNP_NO_DIRECT)"
# The fine clock again for first/last seen.
NPS="$NPS $(variant fine-clock 's/bpf_ktime_get_coarse_ns()/bpf_ktime_get_ns()/')"
# Per-CPU LRU lists for np_flows (changes what flows N holds: N / CPUs per CPU).
NPS="$NPS $(variant no-common-lru 's/__uint(type, BPF_MAP_TYPE_LRU_HASH);/&\n\t__uint(map_flags, BPF_F_NO_COMMON_LRU);/')"
# Not exact: no device counter at all (the ceiling of a cheaper device slot).
NPS="$NPS $(variant no-dev-counter 's/^\tcount_packet(/\tif (0) count_packet(/')"
# Not exact: plain adds for packets and bytes (the ceiling of fewer atomics).
NPS="$NPS $(variant plain-adds 's/__sync_fetch_and_add(&v->packets, 1);/v->packets++;/;s/__sync_fetch_and_add(&v->bytes, bytes);/v->bytes += bytes;/')"
export NPS
exec bench/flows.sh cost
