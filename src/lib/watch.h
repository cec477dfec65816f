/* SPDX-License-Identifier: GPL-2.0 */
/*
 * netprobe watch: live records from a pinned ring buffer (src/cmd/watch.c).
 * Every record starts with struct np_event_hdr (bpf/netprobe.h); a source
 * says which ring buffer to read and how to print its records.
 */
#ifndef NP_WATCH_H
#define NP_WATCH_H

#include <stddef.h>
#include "np.h"
#include "out.h"
#include "../../bpf/netprobe.h"

struct np_watch_src {
	const char *what;		/* "watch sockets", for messages */
	const char *map;		/* pinned ring buffer under maps/ */
	const char *beat_map;		/* its reader beat (NP_WATCH_BEAT_NS), or NULL */
	const char *probe;		/* the probe that feeds it */
	/*
	 * A host probe is attached while links/<probe> exists. A device
	 * probe pins its links per device (links/<dev>/...): there, the ring
	 * buffer map its first attach pinned stands for it (maps stay while
	 * any probe is attached, so this is as close as a check gets cheaply).
	 */
	bool per_device;
	const struct np_col *cols;
	int ncols;
	/*
	 * Prints rec (size bytes, hdr first) as one row (out_row_begin..end)
	 * when it is one of the source's events and passes its filter.
	 * mono2real converts hdr->ts_ns. Returns true if it printed a row.
	 */
	bool (*emit)(struct np_ctx *ctx, const struct np_event_hdr *rec, size_t size,
		     __u64 mono2real, void *arg);
	void *arg;
};

/*
 * Streams the records that arrive from now on, one row each, flushed per
 * row (JSON Lines under --json), until count rows (0: no limit), SIGINT or
 * SIGTERM, or a reader that went away (| head): all of them exit 0.
 */
int np_watch_run(struct np_ctx *ctx, const struct np_watch_src *src, __u64 count);

#endif /* NP_WATCH_H */
