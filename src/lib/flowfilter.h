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
#include "inet.h"

/* An address prefix; IPv4 is kept v4-mapped, its prefix length plus 96. */
struct np_cidr {
	__u8 addr[16];		/* host bits cleared */
	__u8 prefix;		/* 0..128 */
};

/* "10.0.0.0/8", "10.1.2.3" (/32), "2001:db8::/32", "::1" (/128); 0 or -EINVAL. */
int np_cidr_parse(const char *s, struct np_cidr *out);
bool np_cidr_match(const struct np_cidr *c, const __u8 addr[16]);

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
