/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading the pinned flow table (np_flows) and its counters: batched
 * walks, clearing, and the top-N / sort collector of `show flows`.
 */
#ifndef NP_FLOWTABLE_H
#define NP_FLOWTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "maps.h"
#include "np.h"
#include "../../bpf/netprobe.h"

struct np_flow {
	struct np_flow_key key;
	struct np_flow_value val;
};

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

enum np_flow_sort { NP_SORT_NONE, NP_SORT_BYTES, NP_SORT_PACKETS, NP_SORT_LAST };

/* > 0 if a ranks before b under by (more bytes, ...); ties by the others. */
int np_flow_cmp(const struct np_flow *a, const struct np_flow *b, enum np_flow_sort by);

/*
 * Collects flows for sorted output: with a limit, a min-heap of the best
 * `limit` flows (memory O(limit)); without, every flow added.
 */
struct np_flow_top {
	struct np_flow *v;
	size_t n, cap, limit;
	enum np_flow_sort by;
};

void np_flow_top_init(struct np_flow_top *t, enum np_flow_sort by, size_t limit);
int np_flow_top_add(struct np_flow_top *t, const struct np_flow *f);
/* Sorts the collected flows, best first. */
void np_flow_top_sort(struct np_flow_top *t);
void np_flow_top_free(struct np_flow_top *t);

#endif /* NP_FLOWTABLE_H */
