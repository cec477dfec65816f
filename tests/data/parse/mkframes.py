#!/usr/bin/env python3
"""Writes frames.pcap: the crafted frames of tests/bats/parse.bats.

Every kind of header the BPF parser (bpf/parse.bpf.h) decodes, and each of
a few deep frames cut at every header boundary and one byte inside every
header. The bytes are made here by hand (struct), so that tshark, reading
the file, is an independent decoder of them. Run: mkframes.py > frames.pcap
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pcapgen import csum, numbered, pcap  # noqa: E402

MAC_D = bytes.fromhex("02000000000b")
MAC_S = bytes.fromhex("02000000000a")
V4S, V4D = bytes([10, 1, 2, 3]), bytes([192, 168, 9, 8])
V6S = bytes.fromhex("20010db8000000000000000000000001")
V6D = bytes.fromhex("fd000000000000000000000000000a02")


def eth(etype, payload, tags=()):
    h = MAC_D + MAC_S
    for tpid, vid in tags:
        h += struct.pack("!HH", tpid, vid)
    return h + struct.pack("!H", etype) + payload


def ipv4(proto, payload, opts=b"", frag=0, mf=False, tot=None):
    ihl = 5 + len(opts) // 4
    fo = (0x2000 if mf else 0) | frag
    tot = tot if tot is not None else ihl * 4 + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tot, 0x1234, fo, 64, proto, 0, V4S, V4D) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(nh, payload, plen=None):
    plen = plen if plen is not None else len(payload)
    return struct.pack("!IHBB16s16s", 0x60000000, plen, nh, 64, V6S, V6D) + payload


def ext(nh, body_len8, kind=0):
    """A hop-by-hop/routing/dest options header of (body_len8 + 1) * 8 bytes."""
    n = (body_len8 + 1) * 8
    if kind == 43:	# routing type 0? type 4 (SRH) is decoded at length; use type 2 (no segs left)
        body = struct.pack("!BB", 2, 0) + b"\0" * 4 + b"\0" * (n - 8)
    else:		# PadN over the rest
        pad = n - 2
        body = struct.pack("!BB", 1, pad - 2) + b"\0" * (pad - 2)
    return struct.pack("!BB", nh, body_len8) + body


def ah(nh, payload):
    # 12 bytes of fixed AH + 12 bytes of ICV: length field (24 / 4) - 2 = 4
    return struct.pack("!BBHII", nh, 4, 0, 0x100, 1) + b"\xaa" * 12 + payload


def frag6(nh, offset8, more, payload):
    return struct.pack("!BBHI", nh, 0, (offset8 << 3) | (1 if more else 0), 0xabcdef) + payload


def tcp(sport, dport, flags, data=b"", opts=b""):
    doff = 5 + len(opts) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, (doff << 4) | (flags >> 8),
                       flags & 0xFF, 65535, 0, 0) + opts + data


def udp(sport, dport, data=b""):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def udplite(sport, dport, data=b""):
    return struct.pack("!HHHH", sport, dport, 8, 0) + data


def sctp(sport, dport):
    return struct.pack("!HHII", sport, dport, 1, 0) + struct.pack("!BBH", 1, 0, 4)


def dccp(sport, dport):
    # 16-byte request (X=1): ports, data offset 4, ccval/cscov, checksum, type 0 << 1 | X
    return struct.pack("!HHBBHBB6sI", sport, dport, 4, 0, 0, 0x01, 0, b"\0" * 6, 7)


def icmp(t, c):
    return struct.pack("!BBHHH", t, c, 0, 1, 1) + b"ping"


frames = [
    eth(0x0800, ipv4(17, udp(5353, 53, b"hello"))),
    eth(0x0800, ipv4(6, tcp(40000, 80, 0x1C2))),	# NS + CWR + ECE + SYN
    eth(0x0800, ipv4(6, tcp(40001, 443, 0x018, b"data"), opts=b"\x94\x04\0\0" + b"\x01" * 8)),
    eth(0x0800, ipv4(17, udp(1111, 2222, b"x" * 16), mf=True)),
    eth(0x0800, ipv4(17, b"y" * 16, frag=3)),
    eth(0x0800, ipv4(1, b"z" * 16, frag=2, mf=True)),
    eth(0x0800, ipv4(1, icmp(8, 0))),
    eth(0x0800, ipv4(1, icmp(3, 4))),
    eth(0x0800, ipv4(136, udplite(7000, 7001))),
    eth(0x0800, ipv4(132, sctp(3868, 3869))),
    eth(0x0800, ipv4(33, dccp(5004, 5005))),
    eth(0x0800, ipv4(253, b"g" * 20)),	# experimental: no ports
    eth(0x0800, ipv4(17, udp(53, 5353)), tags=[(0x8100, 100)]),
    eth(0x0800, ipv4(6, tcp(22, 50000, 0x011)), tags=[(0x88A8, 10), (0x8100, 20)]),
    eth(0x86DD, ipv6(6, tcp(50001, 22, 0x002)), tags=[(0x88A8, 11), (0x8100, 21)]),
    eth(0x86DD, ipv6(17, udp(546, 547))),
    eth(0x86DD, ipv6(0, ext(58, 0) + icmp(143, 0))),	# MLDv2 report behind hop-by-hop
    eth(0x86DD, ipv6(58, icmp(128, 0))),
    eth(0x86DD, ipv6(43, ext(60, 2, 43) + ext(6, 1) + tcp(50002, 8080, 0x010))),
    eth(0x86DD, ipv6(51, ah(17, udp(500, 4500)))),
    eth(0x86DD, ipv6(0, ext(51, 0) + ah(6, tcp(50003, 179, 0x018)))),
    eth(0x86DD, ipv6(44, frag6(17, 0, True, udp(3000, 3001, b"f" * 16)))),
    eth(0x86DD, ipv6(44, frag6(17, 3, False, b"q" * 16))),
    eth(0x86DD, ipv6(0, ext(44, 0) + frag6(58, 5, True, b"r" * 16))),
    eth(0x86DD, ipv6(136, udplite(7002, 7003))),
    eth(0x86DD, ipv6(132, sctp(3870, 3871))),
    eth(0x86DD, ipv6(33, dccp(5006, 5007))),
    eth(0x86DD, ipv6(59, b"")),					# no next header
    eth(0x0806, bytes.fromhex("0001080006040001") + MAC_S + V4S + b"\0" * 6 + V4D),
    eth(0x0806, b"\0" * 28, tags=[(0x8100, 5)]),
]

# Deep frames, cut at every header boundary and one byte inside each header.
deep = [
    (eth(0x0800, ipv4(6, tcp(40100, 80, 0x010), opts=b"\x01" * 4), tags=[(0x8100, 7)]),
     [14, 18, 38, 42, 55, 62]),
    (eth(0x0800, ipv4(17, udp(40101, 53, b"abcd")), tags=[(0x88A8, 1), (0x8100, 2)]),
     [14, 18, 22, 42, 50]),
    (eth(0x0800, ipv4(1, icmp(8, 0))), [14, 34, 38, 42]),
    (eth(0x86DD, ipv6(0, ext(43, 0) + ext(44, 2, 43) + frag6(6, 0, True, tcp(40102, 443, 0x002)))),
     [14, 54, 62, 86, 94, 114]),
    (eth(0x86DD, ipv6(51, ah(17, udp(40103, 4789)))), [14, 54, 78, 86]),
    (eth(0x86DD, ipv6(58, icmp(135, 0)), tags=[(0x8100, 9)]), [14, 18, 58, 62, 66]),
]
for f, bounds in deep:
    cuts = set()
    for b in bounds:
        cuts.update((b, b + 1, b + 2, b + 3))
    for n in sorted(cuts):
        if 14 <= n < len(f):
            frames.append(f[:n])

sys.stdout.buffer.write(pcap(numbered(frames, 1700000000)))
