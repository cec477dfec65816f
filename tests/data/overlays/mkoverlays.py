#!/usr/bin/env python3
"""Writes geneve.pcap and ipip.pcap: the crafted overlays of tests/bats/overlays.bats.

Geneve (UDP 6081) with and without options, the O and C bits, an inner
Ethernet frame (protocol type 0x6558), inner IPv4 and IPv6 without one, an
inner protocol netprobe does not parse, over IPv4 and IPv6; IP-in-IP:
IPv4 in IPv4 (protocol 4), IPv6 in IPv4 (41), IPv4 in IPv6. Each file ends
with packets a parser must count apart (a Geneve version 1, Geneve cut
short, inner IP headers cut short or of the wrong version) and one that is
no tunnel at all. The bytes are made here by hand (struct), so that tshark,
reading the files, is an independent decoder of them.
Run: mkoverlays.py DIR (writes DIR/geneve.pcap and DIR/ipip.pcap).
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pcapgen import addr, csum, l4_csum, numbered, pcap  # noqa: E402

O_MAC_D, O_MAC_S = bytes.fromhex("02000000000b"), bytes.fromhex("02000000000a")
I_MAC_D, I_MAC_S = bytes.fromhex("02000000c002"), bytes.fromhex("02000000c001")


def eth(etype, payload, dst=O_MAC_D, src=O_MAC_S):
    return dst + src + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0x4242, 0x4000, 64, proto, 0,
                    addr(src), addr(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def ipv6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64, addr(src), addr(dst)) + payload


def udp(sport, dport, data, src=None, dst=None, check="ok"):
    """check: ok (needs src/dst, packed), zero, or bad (ok + 1)."""
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    if check == "zero":
        return seg
    c = l4_csum(src, dst, 17, seg) or 0xFFFF  # 0 means none in UDP
    if check == "bad":
        c = (c % 0xFFFF) + 1
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def tcp(sport, dport, flags, data=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, flags, 65535, 0, 0) + data


def icmp_echo(ident, seq, data=b"netprobe"):
    h = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    return h[:2] + struct.pack("!H", csum(h)) + h[4:]


def arp_request(spa, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, I_MAC_S, addr(spa), b"\0" * 6, addr(tpa))


def geneve(vni, proto, payload, opts=b"", oam=False, crit=False, ver=0):
    assert len(opts) % 4 == 0
    flags = (0x80 if oam else 0) | (0x40 if crit else 0)
    return struct.pack("!BBH", (ver << 6) | (len(opts) // 4), flags, proto) + \
        struct.pack("!I", vni << 8) + opts + payload


def geneve_opt(cls, typ, data=b""):
    assert len(data) % 4 == 0
    return struct.pack("!HBB", cls, typ, len(data) // 4) + data


def inner_eth(etype, payload):
    return eth(etype, payload, I_MAC_D, I_MAC_S)


A, B = "192.168.50.1", "192.168.50.2"
A6, B6 = "fd00:50::1", "fd00:50::2"


def gen4(src, dst, g, check="zero", dport=6081):
    return eth(0x0800, ipv4(src, dst, 17, udp(49152, dport, g, addr(src), addr(dst), check)))


def gen6(src, dst, g, check="ok"):
    return eth(0x86DD, ipv6(src, dst, 17, udp(49153, 6081, g, addr(src), addr(dst), check)))


def geneve_frames():
    f = []
    t = lambda *a: ipv4("10.0.1.1", "10.0.2.1", 6, tcp(*a))
    # VNI 0x123456, no options, an inner Ethernet frame: a TCP flow both ways.
    f.append(gen4(A, B, geneve(0x123456, 0x6558, inner_eth(0x0800, t(40000, 80, 0x02))), "ok"))
    f.append(gen4(A, B, geneve(0x123456, 0x6558, inner_eth(0x0800, t(40000, 80, 0x18, b"x" * 100)))))
    f.append(gen4(B, A, geneve(0x123456, 0x6558, inner_eth(0x0800, ipv4(
        "10.0.2.1", "10.0.1.1", 6, tcp(80, 40000, 0x12)))), "ok"))
    # The same tunnel with 8 bytes of options and the C bit, a wrong UDP checksum.
    f.append(gen4(A, B, geneve(0x123456, 0x6558, inner_eth(0x0800, ipv4(
        "10.0.1.1", "10.0.2.1", 17, udp(5353, 53, b"q" * 20, check="zero"))),
        opts=geneve_opt(0x0102, 0x80, b"\x01\x02\x03\x04"), crit=True), "bad"))
    # VNI 7: OAM (the O bit), 4 bytes of options, inner ARP.
    f.append(gen4(A, B, geneve(7, 0x6558, inner_eth(0x0806, arp_request("10.0.7.1", "10.0.7.2")),
                               opts=geneve_opt(0x0103, 0x01), oam=True)))
    # VNI 9: inner IPv4 and IPv6 without an Ethernet header, and an
    # unknown protocol type (counted in the tunnel, no inner flow).
    f.append(gen4(A, B, geneve(9, 0x0800, ipv4("10.0.9.1", "10.0.9.2", 1, icmp_echo(7, 1)))))
    f.append(gen4(A, B, geneve(9, 0x86DD, ipv6("fd00:9::1", "fd00:9::2", 17, udp(
        1000, 2000, b"v6" * 10, addr("fd00:9::1"), addr("fd00:9::2"))))))
    f.append(gen4(A, B, geneve(9, 0x1234, b"\xee" * 20)))
    # An IPv6 underlay (the UDP checksum is mandatory there): VNI 11, inner IPv6 TCP.
    f.append(gen6(A6, B6, geneve(11, 0x6558, inner_eth(0x86DD, ipv6(
        "fd00:11::1", "fd00:11::2", 6, tcp(1234, 443, 0x02))))))
    # Counted apart: version 1; 4 bytes of a Geneve header; options longer
    # than the datagram.
    f.append(gen4(A, B, geneve(5, 0x6558, inner_eth(0x0800, t(40001, 80, 0x02)), ver=1)))
    f.append(gen4(A, B, b"\x00\x00\x65\x58"))
    f.append(gen4(A, B, struct.pack("!BBHI", 4, 0, 0x6558, 5 << 8) + b"\x00" * 6))
    # No tunnel: UDP to port 6082.
    f.append(gen4(A, B, geneve(5, 0x6558, inner_eth(0x0800, t(40002, 80, 0x02))), dport=6082))
    return f


C, D, E = "192.168.60.1", "192.168.60.2", "192.168.60.3"


def ipip_frames():
    f = []
    i4 = lambda s, d, p, pl: ipv4(s, d, p, pl)
    # Calico's IPIP: IPv4 in IPv4, a TCP flow both ways and a ping.
    f.append(eth(0x0800, ipv4(C, D, 4, i4("10.244.1.2", "10.244.2.3", 6, tcp(33000, 8080, 0x02)))))
    f.append(eth(0x0800, ipv4(C, D, 4, i4("10.244.1.2", "10.244.2.3", 6,
                                        tcp(33000, 8080, 0x18, b"y" * 200)))))
    f.append(eth(0x0800, ipv4(D, C, 4, i4("10.244.2.3", "10.244.1.2", 6, tcp(8080, 33000, 0x12)))))
    f.append(eth(0x0800, ipv4(C, D, 4, i4("10.244.1.2", "10.244.2.3", 1, icmp_echo(9, 1)))))
    # IPv6 in IPv4 (protocol 41) and IPv4 in IPv6.
    f.append(eth(0x0800, ipv4(C, E, 41, ipv6("fd00:1::2", "fd00:2::3", 17, udp(
        5000, 53, b"z" * 30, addr("fd00:1::2"), addr("fd00:2::3"))))))
    f.append(eth(0x86DD, ipv6("fd00:60::1", "fd00:60::2", 4, i4("10.244.1.2", "10.244.3.4", 17,
                                                                udp(6000, 7000, b"w" * 12, check="zero")))))
    # Counted apart: an inner header of 10 bytes; an IPv6 header behind protocol 4.
    f.append(eth(0x0800, ipv4(C, D, 4, i4("10.244.1.2", "10.244.2.3", 6, b"")[:10])))
    f.append(eth(0x0800, ipv4(C, D, 4, ipv6("fd00:1::2", "fd00:2::3", 59, b""))))
    # No tunnel: plain UDP between the same hosts.
    f.append(eth(0x0800, ipv4(C, D, 17, udp(1, 2, b"plain", addr(C), addr(D)))))
    return f


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "."
    for name, frames in (("geneve.pcap", geneve_frames()), ("ipip.pcap", ipip_frames())):
        with open(os.path.join(d, name), "wb") as fh:
            fh.write(pcap(numbered(frames, 1764547200)))


if __name__ == "__main__":
    main()
