/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Addresses and protocols as netprobe prints and parses them, everywhere:
 * IPv4 is kept v4-mapped (::ffff:a.b.c.d) in every key, and printed as a
 * dotted quad; protocol names come from one table.
 */
#ifndef NP_INET_H
#define NP_INET_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* The first 12 bytes of a v4-mapped address. */
extern const __u8 np_v4mapped_prefix[12];
bool np_addr_is_v4(const __u8 addr[16]);

/* "tcp", "udp", "icmp", "icmpv6", ... or a number 0-255; -1 if neither. */
int np_proto_parse(const char *s);
/* The name of an IP protocol number, or NULL if it has none here. */
const char *np_proto_name(__u8 proto);
/* True for protocols whose flow key holds ports (not ICMP type/code). */
bool np_proto_has_ports(__u8 proto);

/* v4-mapped addresses as dotted quads, others as RFC 5952 IPv6. */
const char *np_addr_str(const __u8 addr[16], char *buf, size_t n);
/* TCP flags as 8 positions "CEUAPRSF", '.' where unset, e.g. "...A..S.". */
void np_tcp_flags_str(__u32 flags, char *buf, size_t n);

/* A decimal number from 0 to max, no sign, space or other base; -1 if not. */
long np_parse_decimal(const char *s, long max);
/* The protocol's name, else its number in buf. */
const char *np_proto_str(__u8 proto, char *buf, size_t n);
/* "ipv4", "ipv6", "arp", ...: the ethertype, or -1. */
int np_l3_parse(const char *s);
/* The ethertype's name, else "0x86dd"-style hex in buf. */
const char *np_l3_name(__u16 ethertype, char *buf, size_t n);

struct np_out;
/*
 * A protocol in a row: its name at col, always a string ("tcp", or "253"
 * for one without a name: one JSON type), and its number at num_col.
 */
void np_out_proto(struct np_out *o, int col, int num_col, __u8 proto);
/*
 * A row's two ports (or ICMP type and code); a later IP fragment has no L4
 * header: null in JSON, "frag" in plain text.
 */
void np_out_ports(struct np_out *o, int scol, int dcol, bool later_fragment, __u16 sport,
		  __u16 dport);

#endif /* NP_INET_H */
