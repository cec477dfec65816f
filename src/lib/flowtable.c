// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "flowtable.h"
#include "handshake.h"
#include "inet.h"
#include "maps.h"
#include "state.h"

int np_flow_table_walk(int fd, np_map_walk_fn fn, void *arg)
{
	return np_map_walk_ahead(fd, sizeof(struct np_flow_key), sizeof(struct np_flow_value),
				 fn, arg);
}

static int count_one(const void *k, const void *v, void *arg)
{
	(void)k;
	(void)v;
	(*(__u64 *)arg)++;
	return 0;
}

int np_flow_table_count(int fd, __u64 *entries)
{
	*entries = 0;
	return np_flow_table_walk(fd, count_one, entries);
}

int np_flow_table_clear(int fd, __u64 *deleted)
{
	*deleted = 0;
	return np_map_walk(fd, sizeof(struct np_flow_key), sizeof(struct np_flow_value), true,
			   count_one, deleted);
}

int np_flow_summary_read(struct np_ctx *ctx, __u64 entries, struct np_flow_summary *s)
{
	__u64 gone;
	int err;

	memset(s, 0, sizeof(*s));
	s->entries = entries;
	err = np_table_stats_read(ctx, "np_flows", "np_flow_stats", NP_FLOW_STATS_KERNEL,
				  NP_FLOW_STATS_USER, sizeof(struct np_flow_stats),
				  offsetof(struct np_flow_stats, deleted), &s->max_entries,
				  &s->kernel, &s->deleted);
	gone = s->deleted + s->entries;
	/* Entries a user-space writer added (bench/) were never "inserted". */
	s->evictions = s->kernel.inserts > gone ? s->kernel.inserts - gone : 0;
	return err;
}

int np_flow_stats_add_deleted(struct np_ctx *ctx, __u64 n)
{
	return np_percpu_slot_add(ctx, "np_flow_stats", NP_FLOW_STATS_USER,
				  sizeof(struct np_flow_stats), offsetof(struct np_flow_stats, deleted), n);
}

void np_flow_from_entry(struct np_flow *r, const void *key, const void *value)
{
	memset(r, 0, sizeof(*r));
	memcpy(&r->key, key, sizeof(r->key));
	memcpy(&r->val, value, sizeof(r->val));
	r->egress = r->key.dir == NP_HOOK_TC_EGRESS;
	r->xdp = r->key.dir == NP_HOOK_XDP;
	r->later_fragment = !!(r->key.flags & NP_FLOW_F_LATER_FRAGMENT);
	r->has_ports = np_proto_has_ports(r->key.proto) && !r->later_fragment;
	if (!np_flow_rtt_us(&r->val, &r->rtt_us))
		r->rtt_us = 0;
}
