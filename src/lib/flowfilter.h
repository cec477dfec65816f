/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Address prefixes for the src/dst filters (lib/model.h) and the text
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

#endif /* NP_FLOWFILTER_H */
