// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
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
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), slot;
	struct np_flow_stats user = {};
	__u64 gone;
	int fd, err;

	memset(s, 0, sizeof(*s));
	s->entries = entries;
	fd = np_map_open(ctx, "np_flows");
	if (fd < 0)
		return fd;
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	close(fd);
	if (err)
		return err;
	s->max_entries = info.max_entries;
	fd = np_map_open(ctx, "np_flow_stats");
	if (fd < 0)
		return fd;
	slot = NP_FLOW_STATS_KERNEL;
	err = np_percpu_sum(fd, &slot, (__u64 *)&s->kernel, sizeof(s->kernel) / sizeof(__u64));
	slot = NP_FLOW_STATS_USER;
	err = err ?: np_percpu_sum(fd, &slot, (__u64 *)&user, sizeof(user) / sizeof(__u64));
	close(fd);
	s->deleted = user.deleted;
	gone = s->deleted + s->entries;
	/* Entries a user-space writer added (bench/) were never "inserted". */
	s->evictions = s->kernel.inserts > gone ? s->kernel.inserts - gone : 0;
	return err;
}

int np_flow_stats_add_deleted(struct np_ctx *ctx, __u64 n)
{
	int ncpus = libbpf_num_possible_cpus(), fd, err = 0;
	__u32 slot = NP_FLOW_STATS_USER;
	struct np_flow_stats *vals;

	if (ncpus <= 0)
		return -EINVAL;
	fd = np_map_open(ctx, "np_flow_stats");
	if (fd < 0)
		return fd;
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		err = -ENOMEM;
	/* Only user space writes this slot, under the state lock: no race. */
	else if (bpf_map_lookup_elem(fd, &slot, vals))
		err = -errno;
	if (!err) {
		vals[0].deleted += n;
		if (bpf_map_update_elem(fd, &slot, vals, BPF_ANY))
			err = -errno;
	}
	free(vals);
	close(fd);
	return err;
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
