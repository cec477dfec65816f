/* SPDX-License-Identifier: GPL-2.0 */
/* Reading the pinned maps that several commands share. */
#include <linux/types.h>
#ifndef NP_MAPS_H
#define NP_MAPS_H

#include "np.h"
#include "../../bpf/netprobe.h"

/* Sum over CPUs of n_u64 __u64 counters per CPU (per-CPU map value). */
int np_percpu_sum(int map_fd, const void *key, __u64 *sum, int n_u64);

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
