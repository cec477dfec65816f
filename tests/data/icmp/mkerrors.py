#!/usr/bin/env python3
"""Writes errors.pcap: the crafted ICMP frames of tests/bats/icmp.bats.

ICMP and ICMPv6 errors of every type netprobe keeps (destination
unreachable with several codes, frag-needed with an MTU, source quench,
time exceeded, parameter problem; packet too big, hop limit exceeded, ...)
quoting UDP, TCP, ICMP, GRE, IPv6 extension headers, a later fragment, and
quotes cut short; echo, neighbour discovery, redirect and timestamp
messages that are counted but are no errors; one error in an 802.1Q frame.
Each frame is repeated a few times (counts differ per row). The bytes are
made here by hand (struct), so that tshark, reading the file, is an
independent decoder of them. Run: mkerrors.py > errors.pcap
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pcapgen import addr, csum, numbered, pcap  # noqa: E402

MAC_D = bytes.fromhex("02000000000b")
MAC_S = bytes.fromhex("02000000000a")


L4, S4, S4B, R4, R4B = (addr("10.1.2.3"), addr("203.0.113.9"), addr("203.0.113.10"),
                        addr("192.0.2.1"), addr("198.51.100.7"))
L6, S6, R6 = addr("2001:db8::1"), addr("2001:db8:1::9"), addr("2001:db8:ff::1")


def eth(etype, payload, vlan=None):
    h = MAC_D + MAC_S
    if vlan is not None:
        h += struct.pack("!HH", 0x8100, vlan)
    return h + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload, ttl=64, frag=0, tot=None):
    tot = tot if tot is not None else 20 + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, 0x4321, frag, ttl, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def ipv6(src, dst, nh, payload, plen=None, hlim=64):
    plen = plen if plen is not None else len(payload)
    return struct.pack("!IHBB16s16s", 0x60000000, plen, nh, hlim, src, dst) + payload


def udp(sport, dport, data=b""):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def tcp(sport, dport, flags=0x02, data=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, flags, 65535, 0, 0) + data


def icmp4(t, c, rest=b"\0\0\0\0", body=b""):
    m = struct.pack("!BBH", t, c, 0) + rest + body
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def icmp6(src, dst, t, c, rest=b"\0\0\0\0", body=b""):
    m = struct.pack("!BBH", t, c, 0) + rest + body
    pseudo = src + dst + struct.pack("!IxxxB", len(m), 58)
    return m[:2] + struct.pack("!H", csum(pseudo + m)) + m[4:]


def v4(src, dst, t, c, rest=b"\0\0\0\0", body=b"", vlan=None):
    return eth(0x0800, ipv4(src, dst, 1, icmp4(t, c, rest, body)), vlan)


def v6(src, dst, t, c, rest=b"\0\0\0\0", body=b""):
    return eth(0x86DD, ipv6(src, dst, 58, icmp6(src, dst, t, c, rest, body)))


def quote4(proto, l4, full=False, frag=0, tot=None):
    """The packet an error quotes: its IP header and 8 bytes of L4 (all of it with full)."""
    pkt = ipv4(L4, S4, proto, l4, frag=frag, tot=tot)
    return pkt if full else pkt[:28]


def quote6(nh, l4, dst=S6):
    return ipv6(L6, dst, nh, l4)


frames = []


def add(n, f):
    frames.extend([f] * n)


# ---- ICMP (v4) ----
echo = struct.pack("!HH", 0x77, 1)
add(3, v4(L4, S4, 8, 0, echo, b"ping" * 8))
add(3, v4(S4, L4, 0, 0, echo, b"ping" * 8))
# dest-unreachable / port-unreachable, from the server, quoting UDP
add(4, v4(S4, L4, 3, 3, body=quote4(17, udp(40000, 53, b"q" * 12))))
add(1, v4(S4, L4, 3, 3, body=quote4(17, udp(40001, 5353, b"q" * 4))))
# the same error in an 802.1Q frame, another quoted port
add(2, v4(S4, L4, 3, 3, body=quote4(17, udp(40002, 53)), vlan=100))
# frag-needed with the next-hop MTU, from a router, quoting TCP (8 bytes of it)
add(2, v4(R4, L4, 3, 4, struct.pack("!HH", 0, 1400), quote4(6, tcp(45000, 443, 0x18, b"x" * 1000))))
# host-unreachable quoting all of a TCP SYN (more than 8 bytes)
add(1, v4(R4, L4, 3, 1, body=ipv4(L4, S4B, 6, tcp(45001, 22))))
# admin-prohibited, another reporter, quoting UDP
add(2, v4(R4B, L4, 3, 13, body=quote4(17, udp(40003, 123))))
# protocol-unreachable quoting GRE (no ports)
add(1, v4(S4, L4, 3, 2, body=quote4(47, struct.pack("!HH", 0, 0x6558) + b"\0" * 4)))
# ttl-exceeded quoting UDP (traceroute) and an ICMP echo request
add(3, v4(R4, L4, 11, 0, body=quote4(17, udp(33434, 33435, b"t" * 24))))
add(2, v4(R4, L4, 11, 0, body=quote4(1, icmp4(8, 0, echo, b"ping"))))
# reassembly-timeout quoting a later fragment (offset 185 * 8): no L4 in it
add(1, v4(S4, L4, 11, 1, body=quote4(17, b"f" * 8, frag=185)))
# parameter-problem (pointer 8) quoting TCP
add(1, v4(S4, L4, 12, 0, struct.pack("!BBH", 8, 0, 0), quote4(6, tcp(45002, 80))))
# source-quench quoting UDP
add(1, v4(S4, L4, 4, 0, body=quote4(17, udp(40004, 514))))
# quotes cut short: the IP header only (no ports), 12 bytes of it (nothing)
add(2, v4(S4, L4, 3, 3, body=quote4(17, udp(40005, 53))[:20]))
add(1, v4(S4, L4, 3, 1, body=quote4(17, udp(40006, 53))[:12]))
# counted, no errors: a redirect (which quotes too), a timestamp request
add(1, v4(R4, L4, 5, 1, R4B, quote4(17, udp(40007, 53))))
add(1, v4(L4, S4, 13, 0, echo + b"\0" * 8 + b"\0" * 4))

# ---- ICMPv6 ----
add(2, v6(L6, S6, 128, 0, echo, b"ping6" * 4))
add(2, v6(S6, L6, 129, 0, echo, b"ping6" * 4))
# port-unreachable (1/4) quoting UDP, the whole datagram
add(3, v6(S6, L6, 1, 4, body=quote6(17, udp(40000, 53, b"q" * 12))))
# packet-too-big with its MTU, from a router, quoting TCP
add(2, v6(R6, L6, 2, 0, struct.pack("!I", 1280), quote6(6, tcp(45000, 443, 0x18, b"x" * 1200))))
# hop-limit-exceeded quoting UDP and an ICMPv6 echo request
add(2, v6(R6, L6, 3, 0, body=quote6(17, udp(33434, 33435))))
add(1, v6(R6, L6, 3, 0, body=quote6(58, icmp6(L6, S6, 128, 0, echo))))
# parameter-problem (unknown next header) quoting UDP behind destination options
dstopts = struct.pack("!BBBB", 17, 0, 1, 4) + b"\0" * 4   # PadN over 4 bytes
add(1, v6(S6, L6, 4, 1, struct.pack("!I", 40), quote6(60, dstopts + udp(40008, 53))))
# admin-prohibited quoting the first fragment of a UDP datagram (fragment header)
fraghdr = struct.pack("!BBHI", 17, 0, 1, 0xabcdef)
add(1, v6(R6, L6, 1, 1, body=quote6(44, fraghdr + udp(40009, 53, b"d" * 40))))
# a quote cut inside the IPv6 header: nothing of the flow
add(1, v6(S6, L6, 1, 3, body=quote6(17, udp(40010, 53))[:30]))
# counted, no errors: neighbour solicitation and advertisement, router advertisement
add(2, v6(L6, S6, 135, 0, b"\0" * 4, S6))
add(2, v6(S6, L6, 136, 0, struct.pack("!I", 0x60000000), S6))
add(1, v6(R6, L6, 134, 0, struct.pack("!BBH", 64, 0, 1800), b"\0" * 8))

sys.stdout.buffer.write(pcap(numbered(frames, 1700000000)))
