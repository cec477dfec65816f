// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps.h"
#include "state.h"

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
