// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of np_map_walk on real maps: several batches, early stop,
 * delete, per-CPU values, and the one-by-one fallback (an LPM trie has no
 * batch ops). Needs CAP_BPF; skipped without it.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/maps.h"
#include "unit.h"

#define N_ENTRIES 20000	/* more than one batch */

struct tally {
	__u64 n, key_sum, value_sum;
	__u64 stop_after;	/* return 7 after this many entries; 0: never */
};

static int tally_one(const void *key, const void *value, void *arg)
{
	struct tally *t = arg;

	t->n++;
	t->key_sum += *(const __u32 *)key;
	t->value_sum += *(const __u64 *)value;
	return t->stop_after && t->n == t->stop_after ? 7 : 0;
}

static int hash_map(enum bpf_map_type type, __u32 entries)
{
	int fd = bpf_map_create(type, "np_unit_walk", sizeof(__u32), sizeof(__u64), entries,
				NULL);

	for (__u32 k = 0; fd >= 0 && k < entries; k++) {
		__u64 v[256] = { 0 };	/* room for a per-CPU value */

		v[0] = 3ull * k;
		if (bpf_map_update_elem(fd, &k, v, BPF_NOEXIST))
			return -errno;
	}
	return fd;
}

static void test_hash(void)
{
	__u64 keys = (__u64)N_ENTRIES * (N_ENTRIES - 1) / 2;
	struct tally t = { 0 };
	__u32 k;
	int fd = hash_map(BPF_MAP_TYPE_HASH, N_ENTRIES);

	CHECK(fd >= 0);
	CHECK(np_map_walk(fd, sizeof(__u32), sizeof(__u64), false, tally_one, &t) == 0);
	CHECK(t.n == N_ENTRIES && t.key_sum == keys && t.value_sum == 3 * keys);

	t = (struct tally){ .stop_after = 100 };
	CHECK(np_map_walk(fd, sizeof(__u32), sizeof(__u64), false, tally_one, &t) == 7);
	CHECK(t.n == 100);

	t = (struct tally){ 0 };
	CHECK(np_map_walk(fd, sizeof(__u32), sizeof(__u64), true, tally_one, &t) == 0);
	CHECK(t.n == N_ENTRIES && t.key_sum == keys);
	CHECK(bpf_map_get_next_key(fd, NULL, &k) == -ENOENT);
	close(fd);
}

/* Per-CPU: the caller passes the whole per-entry size; CPU 0's slot comes first. */
static void test_percpu(void)
{
	int ncpus = libbpf_num_possible_cpus();
	struct tally t = { 0 };
	int fd = hash_map(BPF_MAP_TYPE_PERCPU_HASH, 100);

	CHECK(fd >= 0 && ncpus > 0 && ncpus <= 256);
	CHECK(np_map_walk(fd, sizeof(__u32), sizeof(__u64) * ncpus, false, tally_one, &t) == 0);
	CHECK(t.n == 100 && t.value_sum == 3 * 4950);
	close(fd);
}

struct lpm_key {
	__u32 prefixlen;
	__u32 addr;
};

/* No batch ops on an LPM trie: the get_next_key fallback, reading and deleting. */
static void test_fallback(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	struct tally t = { 0 };
	struct lpm_key k;
	int fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "np_unit_lpm", sizeof(k), sizeof(__u64),
				64, &opts);

	CHECK(fd >= 0);
	for (__u32 i = 0; i < 50; i++) {
		__u64 v = i;

		k = (struct lpm_key){ 32, i };
		CHECK(!bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST));
	}
	__u32 count = 64, token;
	__u64 vals[64];
	struct lpm_key keys[64];

	CHECK(bpf_map_lookup_batch(fd, NULL, &token, keys, vals, &count, NULL) < 0);
	/* tally_one reads the key's first __u32: prefixlen, 32 each time. */
	CHECK(np_map_walk(fd, sizeof(k), sizeof(__u64), false, tally_one, &t) == 0);
	CHECK(t.n == 50 && t.key_sum == 50 * 32 && t.value_sum == 1225);
	t = (struct tally){ 0 };
	CHECK(np_map_walk(fd, sizeof(k), sizeof(__u64), true, tally_one, &t) == 0);
	CHECK(t.n == 50 && t.value_sum == 1225);
	CHECK(bpf_map_get_next_key(fd, NULL, &k) == -ENOENT);
	close(fd);
}

int main(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, NULL, 4, 8, 1, NULL);

	if (fd < 0) {
		printf("%s: skipped, cannot create BPF maps (%d)\n", __FILE__, fd);
		return 0;
	}
	close(fd);
	test_hash();
	test_percpu();
	test_fallback();
	UNIT_DONE();
}
