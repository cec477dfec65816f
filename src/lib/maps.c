// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps.h"
#include "state.h"

/*
 * valgrind does not model BPF_MAP_LOOKUP_BATCH ("unhandled eBPF command"),
 * so it takes what the kernel wrote into our buffers for uninitialised
 * memory; np_map_walk tells it otherwise. Outside valgrind the client
 * request is a few no-op instructions; without the header, nothing at all.
 */
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#else
#define VALGRIND_MAKE_MEM_DEFINED(addr, len)	((void)(addr), (void)(len))
#endif

#ifndef ENOTSUPP
#define ENOTSUPP	524	/* kernel-internal, seen by user space on old kernels */
#endif

/* A batch: large enough to amortise the syscall, small enough to keep a
 * walk's memory flat whatever the table size. */
#define WALK_BATCH_BYTES	(1u << 20)
#define WALK_BATCH_MIN		16
#define WALK_BATCH_MAX		8192

struct walk_buf {
	size_t key_size, value_size;
	__u32 n;		/* entries keys and vals hold */
	char *keys, *vals;
	void *token;		/* opaque batch position, at least a key in size */
};

static int walk_buf_grow(struct walk_buf *b, __u32 n)
{
	char *k = realloc(b->keys, n * b->key_size), *v;

	if (!k)
		return -ENOMEM;
	b->keys = k;
	v = realloc(b->vals, n * b->value_size);
	if (!v)
		return -ENOMEM;
	b->vals = v;
	b->n = n;
	return 0;
}

static int walk_buf_init(struct walk_buf *b, size_t key_size, size_t value_size)
{
	size_t n = WALK_BATCH_BYTES / (key_size + value_size);

	memset(b, 0, sizeof(*b));
	b->key_size = key_size;
	b->value_size = value_size;
	/* Hash maps keep a __u32 bucket index in the token, others a key. */
	b->token = calloc(1, key_size > sizeof(__u64) ? key_size : sizeof(__u64));
	if (!b->token)
		return -ENOMEM;
	n = n < WALK_BATCH_MIN ? WALK_BATCH_MIN : n > WALK_BATCH_MAX ? WALK_BATCH_MAX : n;
	return walk_buf_grow(b, n);
}

static bool batch_unsupported(int err)
{
	return err == -EINVAL || err == -ENOTSUPP || err == -EOPNOTSUPP;
}

/* Hands count entries the kernel wrote to fn. */
static int walk_deliver(struct walk_buf *b, __u32 count, np_map_walk_fn fn, void *arg)
{
	int ret = 0;

	VALGRIND_MAKE_MEM_DEFINED(b->keys, (size_t)count * b->key_size);
	VALGRIND_MAKE_MEM_DEFINED(b->vals, (size_t)count * b->value_size);
	VALGRIND_MAKE_MEM_DEFINED(b->token, b->key_size);
	for (__u32 i = 0; i < count && !ret; i++)
		ret = fn(b->keys + i * b->key_size, b->vals + i * b->value_size, arg);
	return ret;
}

/*
 * Lookup (or lookup-and-delete) batches over the whole map. Sets
 * *unsupported, with nothing read, if the kernel has no batch ops for it.
 */
static int walk_batches(int fd, struct walk_buf *b, bool delete, np_map_walk_fn fn,
			void *arg, bool *unsupported)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	bool first = true, end = false;
	int ret = 0;

	while (!ret && !end) {
		void *in = first ? NULL : b->token;
		__u32 count = b->n;

		ret = delete ? bpf_map_lookup_and_delete_batch(fd, in, b->token, b->keys,
							       b->vals, &count, &opts)
			     : bpf_map_lookup_batch(fd, in, b->token, b->keys, b->vals, &count,
						    &opts);
		if (ret == -ENOENT) {
			end = true;	/* the last entries come with ENOENT */
		} else if (ret == -ENOSPC && !count) {
			/* One hash bucket holds more than a batch: read it whole. */
			ret = walk_buf_grow(b, b->n * 2);
			continue;
		} else if (ret) {
			*unsupported = first && batch_unsupported(ret);
			return ret;
		}
		ret = walk_deliver(b, count, fn, arg);
		first = false;
	}
	return ret;
}

/* Deleting one by one restarts at the first key each time: bound the tries. */
static int delete_tries(int fd, bool delete, __u64 *tries)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	*tries = UINT64_MAX;
	if (!delete)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*tries = 2ull * info.max_entries;
	return 0;
}

/* The pre-5.6 way: get_next_key, then lookup (and delete) each entry. */
static int walk_one_by_one(int fd, struct walk_buf *b, bool delete, np_map_walk_fn fn,
			   void *arg)
{
	char *key = b->keys, *next = b->keys + b->key_size;
	void *prev = NULL;
	__u64 tries;
	int ret = delete_tries(fd, delete, &tries);

	while (!ret) {
		if (!tries--)
			return 0;	/* traffic keeps inserting while we delete */
		if (bpf_map_get_next_key(fd, prev, next))
			return errno == ENOENT ? 0 : -errno;
		memcpy(key, next, b->key_size);
		prev = delete ? NULL : key;
		if (bpf_map_lookup_elem(fd, key, b->vals) ||
		    (delete && bpf_map_delete_elem(fd, key)))
			continue;	/* gone since get_next_key */
		ret = fn(key, b->vals, arg);
	}
	return ret;
}

int np_map_walk(int fd, size_t key_size, size_t value_size, bool delete,
		np_map_walk_fn fn, void *arg)
{
	struct walk_buf b;
	bool unsupported = false;
	int ret = walk_buf_init(&b, key_size, value_size);

	if (!ret)
		ret = walk_batches(fd, &b, delete, fn, arg, &unsupported);
	if (unsupported)
		ret = walk_one_by_one(fd, &b, delete, fn, arg);
	free(b.keys);
	free(b.vals);
	free(b.token);
	return ret;
}

/*
 * A walk that reads ahead: a reader thread fills one batch with the
 * kernel's lookup while fn goes through the other. Half the time of a
 * large read is the kernel's, half is what fn does with the entries: on
 * two cores they overlap. Batches are handed over under one lock.
 */
#define AHEAD_BATCH_BYTES	(4u << 20)

struct ahead {
	int fd;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct walk_buf b[2];
	__u32 count[2];
	int err[2];		/* the lookup's return: 0, -ENOENT at the end, -errno */
	bool full[2];		/* filled, not yet gone through */
	bool stop;		/* fn wants no more */
};

/* Batch i is the reader's until it is full, fn's until it is not. */
static bool ahead_wait(struct ahead *a, int i, bool want_full)
{
	bool stop;

	pthread_mutex_lock(&a->lock);
	while (a->full[i] != want_full && !a->stop)
		pthread_cond_wait(&a->cond, &a->lock);
	stop = a->stop;
	pthread_mutex_unlock(&a->lock);
	return !stop;
}

static void ahead_set(struct ahead *a, int i, bool full, bool stop)
{
	pthread_mutex_lock(&a->lock);
	a->full[i] = full;
	a->stop |= stop;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

static void *ahead_reader(void *arg)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct ahead *a = arg;
	void *token = a->b[0].token;
	bool first = true;
	int ret;

	for (int i = 0;; i ^= 1) {
		struct walk_buf *b = &a->b[i];

		if (!ahead_wait(a, i, false))
			return NULL;
		do {
			a->count[i] = b->n;
			ret = bpf_map_lookup_batch(a->fd, first ? NULL : token, token, b->keys,
						   b->vals, &a->count[i], &opts);
			/* One hash bucket holds more than a batch: read it whole. */
		} while (ret == -ENOSPC && !a->count[i] && !(ret = walk_buf_grow(b, b->n * 2)));
		first = false;
		a->err[i] = ret;
		ahead_set(a, i, true, false);
		if (ret)
			return NULL;
	}
}

/* fn over the batches as the reader fills them; *unsupported as walk_batches. */
static int ahead_deliver(struct ahead *a, np_map_walk_fn fn, void *arg, bool *unsupported)
{
	int ret = 0;

	for (int i = 0, n = 0;; i ^= 1, n++) {
		int err;

		ahead_wait(a, i, true);
		err = a->err[i];
		if (err && err != -ENOENT) {
			*unsupported = !n && batch_unsupported(err);
			ret = err;
		} else {
			ret = walk_deliver(&a->b[i], a->count[i], fn, arg);
		}
		ahead_set(a, i, false, ret || err);
		if (ret || err)
			return ret;
	}
}

int np_map_walk_ahead(int fd, size_t key_size, size_t value_size, np_map_walk_fn fn,
		      void *arg)
{
	struct ahead a = { .fd = fd };
	size_t n = AHEAD_BATCH_BYTES / (key_size + value_size);
	bool unsupported = false;
	pthread_t reader;
	int ret;

	ret = walk_buf_init(&a.b[0], key_size, value_size);
	ret = ret ?: walk_buf_init(&a.b[1], key_size, value_size);
	ret = ret ?: walk_buf_grow(&a.b[0], n);
	ret = ret ?: walk_buf_grow(&a.b[1], n);
	pthread_mutex_init(&a.lock, NULL);
	pthread_cond_init(&a.cond, NULL);
	if (!ret && pthread_create(&reader, NULL, ahead_reader, &a)) {
		ret = np_map_walk(fd, key_size, value_size, false, fn, arg);
	} else if (!ret) {
		ret = ahead_deliver(&a, fn, arg, &unsupported);
		ahead_set(&a, 0, false, true);
		pthread_join(reader, NULL);
		if (unsupported)
			ret = np_map_walk(fd, key_size, value_size, false, fn, arg);
	}
	pthread_cond_destroy(&a.cond);
	pthread_mutex_destroy(&a.lock);
	for (int i = 0; i < 2; i++) {
		free(a.b[i].keys);
		free(a.b[i].vals);
		free(a.b[i].token);
	}
	return ret;
}

/* The keys of a walk that hold one ifindex. */
struct purge {
	size_t key_size, off;
	__u32 ifindex;
	char *keys;
	size_t n, cap;
};

static int purge_collect(const void *key, const void *value, void *arg)
{
	struct purge *p = arg;

	(void)value;
	if (memcmp((const char *)key + p->off, &p->ifindex, sizeof(p->ifindex)))
		return 0;
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		char *k = realloc(p->keys, cap * p->key_size);

		if (!k)
			return -ENOMEM;
		p->keys = k;
		p->cap = cap;
	}
	memcpy(p->keys + p->n++ * p->key_size, key, p->key_size);
	return 0;
}

/* What the kernel writes per entry: per-CPU maps hold one value per possible CPU. */
static size_t walk_value_size(const struct bpf_map_info *info)
{
	int ncpus;

	if (info->type != BPF_MAP_TYPE_PERCPU_HASH && info->type != BPF_MAP_TYPE_LRU_PERCPU_HASH)
		return info->value_size;
	ncpus = libbpf_num_possible_cpus();
	return ((info->value_size + 7) & ~7u) * (ncpus > 0 ? ncpus : 1);
}

int np_map_purge_ifindex(int fd, size_t off, __u32 ifindex, __u64 *deleted)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct purge p = { .off = off, .ifindex = ifindex };
	int err;

	if (deleted)
		*deleted = 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.key_size < off + sizeof(ifindex))
		return -EINVAL;
	p.key_size = info.key_size;
	/* Collect first: deleting while the walk goes on would move its position. */
	err = np_map_walk(fd, info.key_size, walk_value_size(&info), false, purge_collect, &p);
	for (size_t i = 0; !err && i < p.n; i++) {
		if (!bpf_map_delete_elem(fd, p.keys + i * p.key_size)) {
			if (deleted)
				(*deleted)++;
		} else if (errno != ENOENT) {
			err = -errno;	/* ENOENT: the LRU evicted it meanwhile */
		}
	}
	free(p.keys);
	return err;
}

static int count_entry(const void *key, const void *value, void *arg)
{
	(void)key;
	(void)value;
	(*(__u64 *)arg)++;
	return 0;
}

int np_map_clear(int fd, __u64 *deleted)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	size_t vsize;

	*deleted = 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	vsize = info.value_size;
	if (info.type == BPF_MAP_TYPE_PERCPU_HASH || info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH)
		vsize = ((vsize + 7) & ~7ul) * libbpf_num_possible_cpus();
	return np_map_walk(fd, info.key_size, vsize, true, count_entry, deleted);
}

int np_percpu_slot_add(struct np_ctx *ctx, const char *map, __u32 slot, size_t value_size,
		       size_t off, __u64 n)
{
	int ncpus = libbpf_num_possible_cpus(), fd, err = 0;
	size_t stride = (value_size + 7) & ~7ul;
	char *vals;
	__u64 v;

	if (ncpus <= 0 || off + sizeof(v) > value_size)
		return -EINVAL;
	fd = np_map_open(ctx, map);
	if (fd < 0)
		return fd;
	vals = calloc(ncpus, stride);
	if (!vals)
		err = -ENOMEM;
	else if (bpf_map_lookup_elem(fd, &slot, vals))
		err = -errno;
	if (!err) {
		memcpy(&v, vals + off, sizeof(v));
		v += n;
		memcpy(vals + off, &v, sizeof(v));
		if (bpf_map_update_elem(fd, &slot, vals, BPF_ANY))
			err = -errno;
	}
	free(vals);
	close(fd);
	return err;
}

int np_map_max_entries(struct np_ctx *ctx, const char *name, __u32 *max)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = np_map_open(ctx, name), err;

	if (fd < 0)
		return fd;
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	close(fd);
	*max = info.max_entries;
	return err;
}

int np_percpu_sum(int map_fd, const void *key, __u64 *sum, int n_u64)
{
	int ncpus = libbpf_num_possible_cpus();
	size_t stride = (n_u64 * sizeof(__u64) + 7) & ~7ul;
	__u64 *vals;
	int err = 0;

	if (ncpus <= 0)
		return -EINVAL;
	vals = calloc(ncpus, stride);
	if (!vals)
		return -ENOMEM;
	memset(sum, 0, n_u64 * sizeof(__u64));
	if (bpf_map_lookup_elem(map_fd, key, vals)) {
		err = -errno;
	} else {
		for (int c = 0; c < ncpus; c++) {
			const __u64 *v = (const __u64 *)((const char *)vals + c * stride);

			for (int i = 0; i < n_u64; i++)
				sum[i] += v[i];
		}
	}
	free(vals);
	return err;
}

int np_table_stats_read(struct np_ctx *ctx, const char *table, const char *stats, __u32 kslot,
			__u32 uslot, size_t value_size, size_t deleted_off, __u32 *max_entries,
			void *kernel, __u64 *deleted)
{
	__u64 user[16] = { 0 };
	int fd, err;

	if (value_size > sizeof(user))
		return -EINVAL;
	err = np_map_max_entries(ctx, table, max_entries);
	if (err)
		return err;
	fd = np_map_open(ctx, stats);
	if (fd < 0)
		return fd;
	err = np_percpu_sum(fd, &kslot, kernel, value_size / sizeof(__u64));
	err = err ?: np_percpu_sum(fd, &uslot, user, value_size / sizeof(__u64));
	close(fd);
	*deleted = user[deleted_off / sizeof(__u64)];
	return err;
}

int np_percpu_zero(int map_fd, const void *key, size_t value_size)
{
	int ncpus = libbpf_num_possible_cpus();
	size_t stride = (value_size + 7) & ~7ul;
	void *zero;
	int err = 0;

	if (ncpus <= 0)
		return -EINVAL;
	zero = calloc(ncpus, stride);
	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(map_fd, key, zero, BPF_ANY))
		err = -errno;
	free(zero);
	return err;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct np_dev_entry *)a)->name,
		      ((const struct np_dev_entry *)b)->name);
}

int np_devices_list(struct np_ctx *ctx, struct np_dev_entry **out, int *n)
{
	char key[NP_IFNAMSIZ], next[NP_IFNAMSIZ];
	struct np_dev_entry *v = NULL;
	int fd, cnt = 0;
	void *prev = NULL;

	*out = NULL;
	*n = 0;
	fd = np_map_open(ctx, "np_devices");
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		struct np_dev_entry *nv = realloc(v, (cnt + 1) * sizeof(*v));

		if (!nv)
			break;
		v = nv;
		memcpy(v[cnt].name, next, NP_IFNAMSIZ);
		v[cnt].name[NP_IFNAMSIZ - 1] = '\0';
		if (!bpf_map_lookup_elem(fd, next, &v[cnt].rec))
			cnt++;
		memcpy(key, next, sizeof(key));
		prev = key;
	}
	close(fd);
	np_sort(v, cnt, sizeof(*v), by_name);
	*out = v;
	*n = cnt;
	return 0;
}

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

__u64 np_mono_to_real_offset(void)
{
	return clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
}

__u64 np_now_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}
