#!/usr/bin/env bats
# The one packet parser (bpf/parse.bpf.h) against tshark: the programs run
# with BPF_PROG_TEST_RUN on crafted frames (tests/data/parse/frames.pcap,
# made by mkframes.py there: VLAN tags, IPv4 options, IPv6 extension
# headers, fragments, every L4 protocol, truncation at every header
# boundary) and the flow key each wrote must be what tshark decodes from
# the same bytes (tests/parse/oracle.py). parse_run (tests/parse/) is a
# test binary the Makefile builds; its maps are private, nothing is pinned.

load helpers

PARSE_RUN="${PARSE_RUN:-$BATS_TEST_DIRNAME/../../${NP_BUILD:-build}/tests/parse_run}"
ORACLE="$BATS_TEST_DIRNAME/../parse/oracle.py"
FRAMES="$NP_DATA/parse/frames.pcap"

setup() {
	skip_unless_cmd tshark python3
	[ -x "$PARSE_RUN" ] || { echo "parse_run not built: make" >&2; return 1; }
	TMP="$(mktemp -d)"
	python3 "$ORACLE" "$FRAMES" >"$TMP/tshark"
}

teardown() {
	rm -rf "${TMP:-/nonexistent}"
}

@test "the frames cover every header kind the parser decodes (per tshark)" {
	run tshark -o ip.defragment:FALSE -o ipv6.defragment:FALSE -r "$FRAMES" \
		-T fields -e frame.protocols
	[ "$status" -eq 0 ]
	for p in vlan ieee8021ad ipv6.hopopts ipv6.routing ipv6.dstopts ipv6.fraghdr ah \
		tcp udp udplite sctp dccp icmp icmpv6 arp; do
		grep -q ":$p\(:\|$\)" <<<"$output" || { echo "no $p frame" >&2; false; }
	done
	# Later fragments (v4 and v6), truncated frames, non-IP frames.
	[ "$(awk '$8 == 1' "$TMP/tshark" | wc -l)" -ge 4 ]
	[ "$(awk '$9 == 1' "$TMP/tshark" | wc -l)" -ge 60 ]
	[ "$(grep -c non-ip "$TMP/tshark")" -ge 15 ]
}

@test "TC: the key of every frame equals tshark's decode" {
	run "$PARSE_RUN" tc "$FRAMES"
	[ "$status" -eq 0 ]
	echo "$output" >"$TMP/tc"
	[ "$(wc -l <"$TMP/tc")" -eq "$(wc -l <"$TMP/tshark")" ]
	# The kernel makes no test skb of an IP frame without a whole IP header:
	# those frames are ones tshark decodes no addresses of either.
	grep ' refused$' "$TMP/tc" | while read -r n _; do
		grep -qx "$n - - 0 0 0 0x000 0 1" "$TMP/tshark"
	done
	[ "$(grep -c ' refused$' "$TMP/tc")" -le 12 ]
	diff <(grep -v ' refused$' "$TMP/tc") \
		<(awk 'NR == FNR { if ($2 == "refused") r[$1] = 1; next } !($1 in r)' \
			"$TMP/tc" "$TMP/tshark")
}

@test "XDP: the key of every frame, down to 14 bytes, equals tshark's decode" {
	run "$PARSE_RUN" xdp "$FRAMES"
	[ "$status" -eq 0 ]
	diff <(echo "$output") "$TMP/tshark"
}

@test "vxlan: the inner flow key of every frame equals tshark's decode (and TC's key)" {
	run "$PARSE_RUN" vxlan "$FRAMES"
	[ "$status" -eq 0 ]
	# No inner flow without an inner IP header; vxlan flows keep no truncation mark.
	diff <(echo "$output") <(sed -e 's/^\([0-9]*\) \(non-ip\|- - .*\)$/\1 none/' \
		-e '/ none$/!s/ [01]$/ -/' "$TMP/tshark")
}

@test "the comparison fails on a wrong key: a frame changed after tshark read it" {
	# The same frames with one TCP port changed (40000 -> 40009 in frame 2).
	python3 - "$FRAMES" "$TMP/changed.pcap" <<-'PY'
	import sys
	b = bytearray(open(sys.argv[1], "rb").read())
	i = b.index(bytes.fromhex("9c400050"))	# 40000 -> 80
	b[i + 1] = 0x49
	open(sys.argv[2], "wb").write(b)
	PY
	run "$PARSE_RUN" xdp "$TMP/changed.pcap"
	[ "$status" -eq 0 ]
	run diff <(echo "$output") "$TMP/tshark"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 4 ]
	[[ "${lines[1]}" == "< 2 10.1.2.3 192.168.9.8 6 40009 80 0x1c2 0 0" ]]
}
