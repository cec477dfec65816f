#!/usr/bin/env python3
"""The expected flow key of every frame of a pcap file, from tshark's decode.

Prints the lines parse_run prints (see tests/parse/parse_run.c):
"N non-ip", or "N src dst proto sport dport tcp-flags later-fragment
truncated", with addresses "- -" (and the rest zero, truncated) when the
frame ended inside the IP header. Everything comes from tshark -T json of
the file, with reassembly off so that each frame is decoded on its own:
  ethertype    the last of eth.type / vlan.etype / ieee8021ad's etype
  addresses    ip.src+ip.dst or ipv6.src+ipv6.dst (tshark shows the
               destination only once the whole header, options included,
               was there)
  proto        ip.proto, or the last next-header of the IPv6 chain
               (ipv6.nxt, hop-by-hop, routing, destination options,
               fragment, AH) in the order tshark decoded them, each
               counted once tshark also decoded that header's length
               field (a fragment header: its identification, the whole
               header): tshark shows some next-header fields from a single
               byte and others not
  ports        tcp/udp (UDP-Lite too)/sctp/dccp source and destination
               port, icmp/icmpv6 type and code: 0 when either is missing.
               tshark's ICMP (v4) dissector adds no field at all to a
               header shorter than 6 bytes (it wants the checksum and
               identifier first); there type and code are the 2 bytes at
               ip.hdr_len in the frame's bytes as tshark dumps them (-x)
  tcp flags    tcp.flags of a TCP header tshark decoded whole (up to
               tcp.urgent_pointer); AE is NS
  later frag   ip.frag_offset or ipv6.fraghdr.offset above 0
  truncated    the frame is shorter than 14 + 4 per VLAN tag + the IP
               packet's length (ip.len, 40 + ipv6.plen), or has no
               complete IP header
Usage: oracle.py FILE.pcap
"""
import json
import subprocess
import sys

ETYPES = ("eth.type", "vlan.etype", "ieee8021ad.etype", "ieee8021ah.etype")
TAGS = ("vlan.id", "ieee8021ad.id")
# Next-header fields of the IPv6 chain, each with the field that says tshark
# decoded its header's length too (a fragment header: the whole header).
V6_NXT = {"ipv6.hopopts.nxt": "ipv6.hopopts.len", "ipv6.routing.nxt": "ipv6.routing.len",
          "ipv6.dstopts.nxt": "ipv6.dstopts.len", "ipv6.fraghdr.nxt": "ipv6.fraghdr.ident",
          "ah.next_header": "ah.length"}


def v6_proto(fields):
    """The last next header of the chain whose header tshark decoded to its length."""
    proto, pending = None, None
    for k, v in fields:
        if k == "ipv6.nxt" and proto is None:
            proto = v
        elif k in V6_NXT:
            pending = (V6_NXT[k], v)
        elif pending and k == pending[0]:
            proto, pending = pending[1], None
    return num(proto)
PORTS = {6: ("tcp.srcport", "tcp.dstport"), 17: ("udp.srcport", "udp.dstport"),
         136: ("udp.srcport", "udp.dstport"), 132: ("sctp.srcport", "sctp.dstport"),
         33: ("dccp.srcport", "dccp.dstport"), 1: ("icmp.type", "icmp.code"),
         58: ("icmpv6.type", "icmpv6.code")}


def leaves(pairs, out):
    """Every (field, value) of a frame's tree, in the order tshark decoded them."""
    for k, v in pairs:
        if isinstance(v, list) and v and isinstance(v[0], tuple):
            leaves(v, out)
        elif isinstance(v, list):
            for x in v:
                if isinstance(x, list):
                    leaves(x, out)
                else:
                    out.append((k, x))
        else:
            out.append((k, v))
    return out


def num(v):
    return int(v, 0)


def expect(n, fields):
    first, last = {}, {}
    for k, v in fields:
        first.setdefault(k, v)
        last[k] = v
    etype = [v for k, v in fields if k in ETYPES]
    etype = num(etype[-1]) if etype else None
    tags = sum(1 for k, _ in fields if k in TAGS)
    flen = num(first["frame.len"])
    l3off = 14 + 4 * tags
    if etype == 0x0800 and "ip.dst" in first:
        src, dst = first["ip.src"], first["ip.dst"]
        proto = num(first["ip.proto"])
        later = num(first.get("ip.frag_offset", "0")) > 0
        iplen = num(first["ip.len"])
    elif etype == 0x86DD and "ipv6.dst" in first:
        src, dst = first["ipv6.src"], first["ipv6.dst"]
        proto = v6_proto(fields)
        later = num(first.get("ipv6.fraghdr.offset", "0")) > 0
        iplen = 40 + num(first["ipv6.plen"])
    elif etype in (0x0800, 0x86DD):
        return "%d - - 0 0 0 0x000 0 1" % n
    else:
        return "%d non-ip" % n
    sport = dport = 0
    if not later and proto in PORTS:
        s, d = PORTS[proto]
        if s in first and d in first:
            sport, dport = num(first[s]), num(first[d])
        elif proto == 1 and "ip.hdr_len" in first:
            raw = bytes.fromhex(first["frame_raw"])
            l4 = l3off + num(first["ip.hdr_len"])
            if len(raw) >= l4 + 2:
                sport, dport = raw[l4], raw[l4 + 1]
    flags = 0
    if proto == 6 and not later and "tcp.urgent_pointer" in first:
        flags = num(first["tcp.flags"])
    trunc = int(flen < l3off + iplen)
    return "%d %s %s %d %d %d 0x%03x %d %d" % (n, src, dst, proto, sport, dport, flags,
                                            int(later), trunc)


def main():
    js = subprocess.run(["tshark", "-o", "gui.console_open:NEVER", "-o", "ip.defragment:FALSE",
                         "-o", "ipv6.defragment:FALSE", "-o", "tcp.desegment_tcp_streams:FALSE",
                         "-r", sys.argv[1], "-T", "json", "-x"],
                        check=True, capture_output=True, text=True).stdout
    frames = json.loads(js, object_pairs_hook=lambda p: p)
    for i, f in enumerate(frames, 1):
        layers = dict(f)["_source"]
        layers = dict(layers)["layers"]
        print(expect(i, leaves(layers, [])))


main()
