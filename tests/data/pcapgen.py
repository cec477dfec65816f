"""What the capture writers of tests/data/*/mk*.py share.

The Internet checksum, the TCP/UDP/ICMPv6 pseudo-header sum, text
addresses packed, and the classic pcap file format. Every header of a frame
is still made by hand in its writer (struct), so that tshark, reading the
files, is an independent decoder of them.
"""
import ipaddress
import struct


def addr(a):
    """The packed bytes of an IPv4 or IPv6 address in text."""
    if ":" in a:
        return ipaddress.IPv6Address(a).packed
    return bytes(int(x) for x in a.split("."))


def csum(b):
    """The Internet checksum (RFC 1071) of b."""
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def l4_csum(src, dst, proto, seg):
    """The checksum of seg over the pseudo-header of src/dst (packed, 4 or 16 bytes)."""
    if len(src) == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, proto, len(seg))
    else:
        pseudo = src + dst + struct.pack("!IxxxB", len(seg), proto)
    return csum(pseudo + seg)


def pcap(records):
    """A pcap file (microseconds, Ethernet) of (seconds, microseconds, frame) records."""
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for sec, usec, f in records:
        out += struct.pack("<IIII", sec, usec, len(f), len(f)) + f
    return out


def numbered(frames, t0):
    """Records of frames one second apart from t0."""
    return ((t0 + i, 0, f) for i, f in enumerate(frames))
