/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flow filters of `show flows` (proto, src/dst CIDR, port) and the text
 * forms of flow key fields. Pure functions: tests/unit/flowfilter.c.
 */
#ifndef NP_FLOWFILTER_H
#define NP_FLOWFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "../../bpf/netprobe.h"

/* An address prefix; IPv4 is kept v4-mapped, its prefix length plus 96. */
struct np_cidr {
	__u8 addr[16];		/* host bits cleared */
	__u8 prefix;		/* 0..128 */
};

/* "10.0.0.0/8", "10.1.2.3" (/32), "2001:db8::/32", "::1" (/128); 0 or -EINVAL. */
int np_cidr_parse(const char *s, struct np_cidr *out);
bool np_cidr_match(const struct np_cidr *c, const __u8 addr[16]);

/* "tcp", "udp", "icmp", "icmpv6", ... or a number 0-255; -1 if neither. */
int np_proto_parse(const char *s);
/* The name of an IP protocol number, or NULL if it has none here. */
const char *np_proto_name(__u8 proto);
/* True for protocols whose flow key holds ports (not ICMP type/code). */
bool np_proto_has_ports(__u8 proto);

/* v4-mapped addresses as dotted quads, others as RFC 5952 IPv6. */
void np_addr_str(const __u8 addr[16], char *buf, size_t n);
/* TCP flags as 8 positions "CEUAPRSF", '.' where unset, e.g. "...A..S.". */
void np_tcp_flags_str(__u32 flags, char *buf, size_t n);

struct np_flow_filter {
	__u32 ifindex;		/* 0: any device */
	int proto;		/* -1: any */
	int port;		/* -1: any; else sport or dport, port protocols only */
	bool has_src, has_dst;
	struct np_cidr src, dst;
};

void np_flow_filter_init(struct np_flow_filter *f);
bool np_flow_match(const struct np_flow_filter *f, const struct np_flow_key *k);

#endif /* NP_FLOWFILTER_H */
