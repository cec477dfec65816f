// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "flowtable.h"
#include "maps.h"
#include "state.h"

int np_flow_table_walk(int fd, np_map_walk_fn fn, void *arg)
{
	return np_map_walk(fd, sizeof(struct np_flow_key), sizeof(struct np_flow_value), false,
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

static int cmp_u64(__u64 a, __u64 b)
{
	return (a > b) - (a < b);
}

int np_flow_cmp(const struct np_flow *a, const struct np_flow *b, enum np_flow_sort by)
{
	int c = 0;

	if (by == NP_SORT_PACKETS)
		c = cmp_u64(a->val.packets, b->val.packets);
	else if (by == NP_SORT_LAST)
		c = cmp_u64(a->val.last_seen, b->val.last_seen);
	c = c ?: cmp_u64(a->val.bytes, b->val.bytes);
	c = c ?: cmp_u64(a->val.packets, b->val.packets);
	c = c ?: cmp_u64(a->val.last_seen, b->val.last_seen);
	/* Equal counts: a stable order, lower keys first. */
	return c ?: memcmp(&b->key, &a->key, sizeof(a->key));
}

void np_flow_top_init(struct np_flow_top *t, enum np_flow_sort by, size_t limit)
{
	memset(t, 0, sizeof(*t));
	t->by = by;
	t->limit = limit;
}

static void swap(struct np_flow *a, struct np_flow *b)
{
	struct np_flow tmp = *a;

	*a = *b;
	*b = tmp;
}

/* Min-heap: the root is the flow that would drop out first. */
static void sift_up(struct np_flow_top *t, size_t i)
{
	while (i && np_flow_cmp(&t->v[(i - 1) / 2], &t->v[i], t->by) > 0) {
		swap(&t->v[(i - 1) / 2], &t->v[i]);
		i = (i - 1) / 2;
	}
}

static void sift_down(struct np_flow_top *t, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, min = i;

		if (l < t->n && np_flow_cmp(&t->v[l], &t->v[min], t->by) < 0)
			min = l;
		if (r < t->n && np_flow_cmp(&t->v[r], &t->v[min], t->by) < 0)
			min = r;
		if (min == i)
			return;
		swap(&t->v[i], &t->v[min]);
		i = min;
	}
}

int np_flow_top_add(struct np_flow_top *t, const struct np_flow *f)
{
	if (t->limit && t->n == t->limit) {
		if (np_flow_cmp(f, &t->v[0], t->by) <= 0)
			return 0;
		t->v[0] = *f;
		sift_down(t, 0);
		return 0;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct np_flow *v;

		if (t->limit && cap > t->limit)
			cap = t->limit;
		v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = *f;
	if (t->limit)
		sift_up(t, t->n - 1);
	return 0;
}

static int cmp_desc(const void *a, const void *b, void *by)
{
	return np_flow_cmp(b, a, *(enum np_flow_sort *)by);
}

void np_flow_top_sort(struct np_flow_top *t)
{
	if (t->n)
		qsort_r(t->v, t->n, sizeof(*t->v), cmp_desc, &t->by);
}

void np_flow_top_free(struct np_flow_top *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}
