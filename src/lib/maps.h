/* SPDX-License-Identifier: GPL-2.0 */
/* Reading the pinned maps that several commands share. */
#include <linux/types.h>
#ifndef NP_MAPS_H
#define NP_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include "np.h"
#include "../../bpf/netprobe.h"

/* Called for every entry of a walk; a non-zero return stops it and is returned. */
typedef int (*np_map_walk_fn)(const void *key, const void *value, void *arg);

/*
 * Visits every entry of a hash map, one batch at a time with
 * BPF_MAP_LOOKUP_BATCH (delete: BPF_MAP_LOOKUP_AND_DELETE_BATCH, which also
 * removes what it returns). Where the kernel has no batch ops for the map,
 * falls back to get_next_key + lookup (+ delete) per entry; deleting that
 * way stops after 2 * max_entries tries, as traffic may keep inserting.
 * value_size is what the kernel writes per entry: sizeof the value, or for a
 * per-CPU map roundup(sizeof value, 8) * libbpf_num_possible_cpus().
 * Holds one batch (at most ~1 MB) at a time.
 * Returns 0 at the end, fn's non-zero return, or -errno.
 */
int np_map_walk(int fd, size_t key_size, size_t value_size, bool delete,
		np_map_walk_fn fn, void *arg);

/*
 * np_map_walk without delete, for large maps: a second thread reads the
 * next batch (~4 MB) while fn goes through the current one. fn runs in the
 * caller's thread, one entry after the other, in the order of the map.
 * Holds two batches. Returns as np_map_walk.
 */
int np_map_walk_ahead(int fd, size_t key_size, size_t value_size, np_map_walk_fn fn,
		      void *arg);

/*
 * Deletes the entries of a hash map whose key holds ifindex (a __u32 at
 * byte off): one np_map_walk to find them, then the deletes. *deleted (may
 * be NULL) gets how many went. Returns 0 or -errno.
 */
int np_map_purge_ifindex(int fd, size_t off, __u32 ifindex, __u64 *deleted);

/*
 * Deletes every entry of a hash map (per-CPU or not), batched; *deleted
 * says how many. Returns 0 or -errno.
 */
int np_map_clear(int fd, __u64 *deleted);

/* Sum over CPUs of n_u64 __u64 counters per CPU (per-CPU map value). */
int np_percpu_sum(int map_fd, const void *key, __u64 *sum, int n_u64);

/*
 * Adds n to the __u64 at byte off of slot of a pinned per-CPU array whose
 * values are value_size bytes (CPU 0's copy): a slot only user space
 * writes, under the state lock, so no update is lost. 0 or -errno.
 */
int np_percpu_slot_add(struct np_ctx *ctx, const char *map, __u32 slot, size_t value_size,
		       size_t off, __u64 n);

/* The max_entries of the pinned map name. 0 or -errno. */
int np_map_max_entries(struct np_ctx *ctx, const char *name, __u32 *max);
/*
 * The bookkeeping of a bounded table whose per-CPU array stats counts in
 * slot kslot for the programs and uslot for user space (values of
 * value_size bytes, __u64 counters): *max_entries is table's size, kernel
 * gets kslot's sums, *deleted the user slot's counter at deleted_off.
 */
int np_table_stats_read(struct np_ctx *ctx, const char *table, const char *stats, __u32 kslot,
			__u32 uslot, size_t value_size, size_t deleted_off, __u32 *max_entries,
			void *kernel, __u64 *deleted);
/* Sets every CPU's copy of key's value (value_size bytes) to zero. 0 or -errno. */
int np_percpu_zero(int map_fd, const void *key, size_t value_size);

struct np_dev_entry {
	char name[NP_IFNAMSIZ];
	struct np_device rec;
};

/* Every device record, sorted by name. Free *out. */
int np_devices_list(struct np_ctx *ctx, struct np_dev_entry **out, int *n);

/* CLOCK_REALTIME ns minus CLOCK_MONOTONIC ns: add to bpf_ktime_get_ns stamps. */
__u64 np_mono_to_real_offset(void);
__u64 np_now_ns(void);	/* CLOCK_REALTIME */

#endif /* NP_MAPS_H */
