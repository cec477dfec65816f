/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading the pinned flow table (np_flows) and its counters: batched
 * walks, clearing and the table's figures.
 */
#ifndef NP_FLOWTABLE_H
#define NP_FLOWTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "maps.h"
#include "np.h"
#include "../../bpf/netprobe.h"

/* A flow as the model sees it: the entry, and what tells its rows apart. */
struct np_flow {
	struct np_flow_key key;
	struct np_flow_value val;
	__u8 egress;		/* 0 ingress (tc or xdp), 1 egress */
	__u8 xdp;		/* 1 seen by XDP, 0 by tc */
	__u8 has_ports;		/* sport/dport are ports (not ICMP type/code) */
	__u8 later_fragment;	/* an IP fragment after the first: no L4 header */
	__u64 rtt_us;		/* its TCP handshake (np_flow_rtt_us), 0 if none */
};

/* r from one entry of the table; padding zeroed (np_query_names() knows a row by its bytes). */
void np_flow_from_entry(struct np_flow *r, const void *key, const void *value);

/*
 * np_map_walk over the table: fn gets a struct np_flow_key and a struct
 * np_flow_value. Returns 0, fn's non-zero return, or -errno.
 */
int np_flow_table_walk(int fd, np_map_walk_fn fn, void *arg);
/* Number of entries (a walk). */
int np_flow_table_count(int fd, __u64 *entries);
/* Deletes every entry; *deleted says how many were removed. */
int np_flow_table_clear(int fd, __u64 *deleted);

/* What `status` and `show flows` report about the table. */
struct np_flow_summary {
	__u32 max_entries;
	__u64 entries;
	struct np_flow_stats kernel;	/* NP_FLOW_STATS_KERNEL, summed over CPUs */
	__u64 deleted;			/* NP_FLOW_STATS_USER: flushed entries */
	__u64 evictions;		/* inserts - deleted - entries */
};

/* Fills s from the pinned np_flows / np_flow_stats, given the entry count. */
int np_flow_summary_read(struct np_ctx *ctx, __u64 entries, struct np_flow_summary *s);
/* Adds n to the deleted counter of the user slot (caller holds the lock). */
int np_flow_stats_add_deleted(struct np_ctx *ctx, __u64 n);

#endif /* NP_FLOWTABLE_H */
