/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ICMP and ICMPv6 as netprobe names them (types and codes, one table for
 * both families), and the bookkeeping of the ICMP maps (bpf/icmp.bpf.h):
 * what flush and detach remove, and the error table's evictions.
 */
#ifndef NP_ICMP_H
#define NP_ICMP_H

#include <stdbool.h>
#include <linux/types.h>
#include "np.h"
#include "../../bpf/netprobe.h"

/* The name of a type ("echo-request"), or NULL; family 4 or 6. */
const char *np_icmp_type_name(__u8 family, __u8 type);
/* The name of a type's code ("port-unreachable"), or NULL. */
const char *np_icmp_code_name(__u8 family, __u8 type, __u8 code);

/*
 * What `type T` selects, per family (index 0: ICMP, 1: ICMPv6): a type
 * (-1: none of that family) and a code (-1: any).
 */
struct np_icmp_sel {
	short type[2];
	short code[2];
};

/*
 * T: a type or code name of either family (echo-request, dest-unreachable,
 * port-unreachable, frag-needed, packet-too-big, ...), a type number N or
 * N/CODE (either family). 0, or -1 if it is none of these.
 */
int np_icmp_sel_parse(const char *s, struct np_icmp_sel *sel);
bool np_icmp_sel_match(const struct np_icmp_sel *sel, __u8 family, __u8 type, __u8 code);

/* The error table's figures: evictions = inserts - deleted - entries. */
struct np_icmp_summary {
	__u32 max_entries;
	__u64 entries;
	struct np_icmp_stats kernel;
	__u64 deleted;
	__u64 evictions;
};

int np_icmp_summary_read(struct np_ctx *ctx, __u64 entries, struct np_icmp_summary *s);
/*
 * Empties np_icmp_counts and np_icmp_errors (the removed errors are
 * deletions, not evictions); *rows and *errors (may be NULL) say how many
 * went. -ENOENT if the maps are not pinned.
 */
int np_icmp_clear(struct np_ctx *ctx, __u64 *rows, __u64 *errors);
/* Removes a device's rows of both maps (detach), as np_icmp_clear does. */
void np_icmp_forget_dev(struct np_ctx *ctx, __u32 ifindex);

#endif /* NP_ICMP_H */
