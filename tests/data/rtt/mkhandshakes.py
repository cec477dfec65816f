#!/usr/bin/env python3
"""Writes handshakes.pcap: TCP handshakes with known delays, for tests/bats/rtt.bats.

Each handshake is a SYN at t, the SYN-ACK at t + a and the ACK at t + a + b
(a, b below, in milliseconds), then one data segment and its ACK; IPv4 and
IPv6. Besides them, flows that have no handshake to measure: a SYN to a
closed port (answered by a RST-ACK), a TCP connection that began before the
capture (data only), and UDP. The flows start 250 ms apart, so a replay at
the file's own timing (tcpreplay without --topspeed) takes about 3 s.

The bytes are made here by hand (struct), so that tshark, reading the file,
is an independent judge of the delays (tcp.analysis.initial_rtt). No rtt is
within 2 ms of a bucket bound of netprobe_tcp_handshake_seconds (2.5, 5,
10, 25, 50, 100, 250 ms). Run: mkhandshakes.py > handshakes.pcap
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pcapgen import addr, csum, l4_csum, pcap  # noqa: E402

MAC_C = bytes.fromhex("02000000c001")
MAC_S = bytes.fromhex("02000000c002")
T0 = 1764547200  # 2025-12-01 00:00:00 UTC

# (client, server, SYN -> SYN-ACK ms, SYN-ACK -> ACK ms): rtt 7.5 17 37 75 170 7 30 140
HANDSHAKES = [
    ("192.0.2.10", "198.51.100.20", 5.0, 2.5),
    ("192.0.2.11", "198.51.100.20", 12.0, 5.0),
    ("192.0.2.12", "198.51.100.21", 30.0, 7.0),
    ("192.0.2.13", "198.51.100.21", 60.0, 15.0),
    ("192.0.2.14", "198.51.100.22", 150.0, 20.0),
    ("2001:db8::10", "2001:db8:1::20", 4.0, 3.0),
    ("2001:db8::11", "2001:db8:1::20", 20.0, 10.0),
    ("2001:db8::12", "2001:db8:1::21", 110.0, 30.0),
]


def tcp(src, dst, sport, dport, seq, ack, flags, data=b""):
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0) + data
    c = l4_csum(src, dst, 6, seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp(src, dst, sport, dport, data):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = l4_csum(src, dst, 17, seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def ip(src, dst, proto, payload):
    if len(src) == 4:
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0x4242, 0x4000, 64,
                        proto, 0, src, dst)
        h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
        return 0x0800, h + payload
    return 0x86DD, struct.pack("!IHBB16s16s", 0x60000000, len(payload), proto, 64, src,
                               dst) + payload


def frame(src, dst, proto, l4, to_server):
    etype, pkt = ip(src, dst, proto, l4)
    macs = MAC_S + MAC_C if to_server else MAC_C + MAC_S
    return macs + struct.pack("!H", etype) + pkt


SYN, RST, PSH, ACK = 0x02, 0x04, 0x08, 0x10
packets = []  # (seconds after T0, frame)


def seg(t, c, s, cp, sp, seq, ack, flags, data=b"", to_server=True):
    a, b = (c, s) if to_server else (s, c)
    pa, pb = (cp, sp) if to_server else (sp, cp)
    packets.append((t, frame(a, b, 6, tcp(a, b, pa, pb, seq, ack, flags, data), to_server)))


start = 0.1
for i, (c, s, a_ms, b_ms) in enumerate(HANDSHAKES):
    c, s, cp, sp = addr(c), addr(s), 40000 + i, 80
    t = start + 0.25 * i
    a, b = a_ms / 1000, b_ms / 1000
    iss, irs = 1000 * (i + 1), 500000 * (i + 1)
    seg(t, c, s, cp, sp, iss, 0, SYN)
    seg(t + a, c, s, cp, sp, irs, iss + 1, SYN | ACK, to_server=False)
    seg(t + a + b, c, s, cp, sp, iss + 1, irs + 1, ACK)
    seg(t + a + b + 0.001, c, s, cp, sp, iss + 1, irs + 1, PSH | ACK, b"GET / HTTP/1.0\r\n\r\n")
    seg(t + a + b + 0.002, c, s, cp, sp, irs + 1, iss + 19, ACK, to_server=False)

t = start + 0.25 * len(HANDSHAKES)
# A SYN to a closed port: the server resets it, no handshake.
c, s = addr("192.0.2.30"), addr("198.51.100.30")
seg(t, c, s, 41000, 81, 7000, 0, SYN)
seg(t + 0.003, c, s, 41000, 81, 0, 7001, RST | ACK, to_server=False)
# A connection that began before the capture: data and ACKs only.
c, s = addr("192.0.2.31"), addr("198.51.100.31")
seg(t + 0.05, c, s, 41001, 82, 9000, 8000, PSH | ACK, b"hello")
seg(t + 0.06, c, s, 41001, 82, 8000, 9005, ACK, to_server=False)
# UDP both ways.
c, s = addr("192.0.2.32"), addr("198.51.100.32")
packets.append((t + 0.1, frame(c, s, 17, udp(c, s, 41002, 53, b"q" * 20), True)))
packets.append((t + 0.11, frame(s, c, 17, udp(s, c, 53, 41002, b"r" * 40), False)))

records = []
for t, f in sorted(packets, key=lambda p: p[0]):
    us = round(t * 1e6)
    records.append((T0 + us // 1000000, us % 1000000, f))
sys.stdout.buffer.write(pcap(records))
