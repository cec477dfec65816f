#!/usr/bin/env python3
"""The ICMP rows of a capture, from tshark's decode, in the form that
tests/bats/icmp.bats makes of netprobe's `-j show icmp [errors]`:

  count DIR FAMILY TYPE CODE PACKETS BYTES
  error DIR FAMILY TYPE CODE REPORTER PROTO SRC SPORT DST DPORT MTU COUNT BYTES

Usage: oracle.py FILE [LOCAL-ADDRESS...]. DIR is egress for a packet whose
outer source is one of the LOCAL addresses, else ingress. BYTES are
frame.cap_len (what a replay sends, what the capture saw). Only ICMP over
IPv4 and ICMPv6 over IPv6 count, as the outer header tshark decoded first
(a later fragment has no ICMP layer: not counted). Errors are ICMP types 3,
4, 11, 12 and ICMPv6 types below 128, as in bpf/netprobe.h. The quoted flow
is the second IP layer tshark decoded (reassembly off):
  REPORTER     the outer source
  PROTO        the quoted ip.proto, or the last next header of the quoted
               IPv6 chain (ipv6.nxt, then the extension headers' nxt that
               tshark decoded after it); "-" without a quoted IP layer
  SPORT DPORT  the quoted tcp/udp ports or icmp/icmpv6 type and code; "-"
               where tshark decoded none, "frag" for a quoted later fragment
  MTU          icmp.mtu (frag-needed) or icmpv6.mtu (packet-too-big), else "-"
"""
import collections
import subprocess
import sys

FIELDS = [
    "frame.cap_len", "frame.protocols",
    "ip.src", "ip.dst", "ip.proto", "ip.frag_offset",
    "ipv6.src", "ipv6.dst", "ipv6.nxt", "ipv6.hopopts.nxt", "ipv6.routing.nxt",
    "ipv6.dstopts.nxt", "ipv6.fraghdr.nxt", "ipv6.fraghdr.offset",
    "icmp.type", "icmp.code", "icmp.mtu", "icmpv6.type", "icmpv6.code", "icmpv6.mtu",
    "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
]


def is_error(family, t):
    return t < 128 if family == 6 else t in (3, 4, 11, 12)


def main():
    path, local = sys.argv[1], set(sys.argv[2:])
    cmd = ["tshark", "-r", path, "-n", "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
           "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", "-E", "separator=/t"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    counts = collections.Counter()
    cbytes = collections.Counter()
    errors = collections.Counter()
    ebytes = collections.Counter()
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        lst = {k: (x.split(",") if x else []) for k, x in v.items()}
        protos = v["frame.protocols"].split(":")
        ips = [p for p in protos if p in ("ip", "ipv6")]
        if not ips:
            continue
        family = 4 if ips[0] == "ip" else 6
        # The outer ICMP layer: the first upper-layer protocol after the outer IP.
        first = protos.index(ips[0])
        upper = [p for p in protos[first + 1:] if not p.startswith("ipv6.")]
        want = "icmp" if family == 4 else "icmpv6"
        if not upper or upper[0] != want:
            continue
        if family == 4 and lst["ip.proto"][0] != "1":
            continue
        tk = "icmp" if family == 4 else "icmpv6"
        t, c = int(lst[tk + ".type"][0]), int(lst[tk + ".code"][0])
        src = lst["ip.src" if family == 4 else "ipv6.src"][0]
        d = "egress" if src in local else "ingress"
        n = int(v["frame.cap_len"])
        key = (d, "ipv%d" % family, t, c)
        counts[key] += 1
        cbytes[key] += n
        if not is_error(family, t):
            continue
        # The quote: the second IP layer, if tshark decoded one.
        p, qs, qd, sp, dp = "-", "-", "-", "-", "-"
        if len(ips) > 1:
            if family == 4 and len(lst["ip.src"]) > 1 and len(lst["ip.dst"]) > 1:
                qs, qd, p = lst["ip.src"][1], lst["ip.dst"][1], int(lst["ip.proto"][1])
                frag = int(lst["ip.frag_offset"][1]) > 0
            elif family == 6 and len(lst["ipv6.src"]) > 1 and len(lst["ipv6.dst"]) > 1:
                qs, qd, p = lst["ipv6.src"][1], lst["ipv6.dst"][1], int(lst["ipv6.nxt"][1])
                # The quote's extension headers, in the order of its protocols.
                q_protos = protos[protos.index("ipv6", first + 1) + 1:]
                field = {"ipv6.hopopts": "ipv6.hopopts.nxt", "ipv6.routing": "ipv6.routing.nxt",
                         "ipv6.dstopts": "ipv6.dstopts.nxt", "ipv6.fraghdr": "ipv6.fraghdr.nxt"}
                frag = False
                for qp in q_protos:
                    if qp not in field or not lst[field[qp]]:
                        break
                    p = int(lst[field[qp]][-1])
                    if qp == "ipv6.fraghdr":
                        frag = int(lst["ipv6.fraghdr.offset"][-1]) > 0
            if qs != "-" and frag:
                sp = dp = "frag"
            elif qs != "-":
                if p == 6 and lst["tcp.srcport"]:
                    sp, dp = lst["tcp.srcport"][-1], lst["tcp.dstport"][-1]
                elif p == 17 and lst["udp.srcport"]:
                    sp, dp = lst["udp.srcport"][-1], lst["udp.dstport"][-1]
                elif p in (1, 58) and len(lst[tk + ".type"]) > 1:
                    sp, dp = lst[tk + ".type"][1], lst[tk + ".code"][1]
        mtu = lst[tk + ".mtu"][0] if lst[tk + ".mtu"] else "-"
        ekey = (d, "ipv%d" % family, t, c, src, p, qs, sp, qd, dp, mtu)
        errors[ekey] += 1
        ebytes[ekey] += n
    rows = ["count %s %s %d %d %d %d" % (k + (counts[k], cbytes[k])) for k in counts]
    rows += ["error " + " ".join(str(x) for x in k) + " %d %d" % (errors[k], ebytes[k])
             for k in errors]
    for r in sorted(rows):
        print(r)


main()
