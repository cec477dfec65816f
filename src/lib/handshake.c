// SPDX-License-Identifier: GPL-2.0
/*
 * TCP handshake latency: the histograms' readout and the per-device
 * cleanup (see handshake.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "handshake.h"
#include "maps.h"
#include "out.h"
#include "state.h"

bool np_flow_rtt_us(const struct np_flow_value *v, __u64 *us)
{
	if (v->hs_state != NP_HS_DONE)
		return false;
	*us = (__u64)v->hs_synack_us + v->hs_ack_us;
	return true;
}

int np_hs_hist_read(int fd, __u32 ifindex, struct np_flow_hs_hist *h)
{
	int err = np_percpu_sum(fd, &ifindex, (__u64 *)h, sizeof(*h) / sizeof(__u64));

	if (err == -ENOENT) {
		memset(h, 0, sizeof(*h));
		return 0;
	}
	return err;
}

/* The bounds in seconds, from the kernel's in microseconds. */
static const __u32 bounds_us[NP_HS_BUCKETS] = NP_HS_BOUNDS_US;
static double bounds_s[NP_HS_BUCKETS];

enum { H_IF, H_SECONDS };

static const struct np_col hs_cols[] = {
	[H_IF] = { .key = "interface", .kind = NP_K_STR, .prom = NP_P_LABEL },
	[H_SECONDS] = { .key = "tcp_handshake", .kind = NP_K_COUNT, .prom = NP_P_HISTOGRAM,
			.metric = "netprobe_tcp_handshake_seconds",
			.help = "TCP handshakes seen by the device's hooks, first SYN to the ACK "
				"of the SYN-ACK." },
};

struct np_hs_prom {
	struct np_ctx *ctx;
	int fd;
};

struct np_hs_prom *np_hs_prom_begin(struct np_ctx *ctx)
{
	struct np_hs_prom *h;
	int fd = np_map_open(ctx, "np_flow_hs_hist");

	if (fd < 0)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		return NULL;
	}
	h->ctx = ctx;
	h->fd = fd;
	for (size_t i = 0; i < ARRAY_SIZE(bounds_s); i++)
		bounds_s[i] = bounds_us[i] / 1e6;
	out_table_begin(ctx->out, NULL, hs_cols, ARRAY_SIZE(hs_cols), NP_LAYOUT_TABLE);
	return h;
}

void np_hs_prom_dev(struct np_hs_prom *h, const char *name, __u32 ifindex)
{
	struct np_flow_hs_hist hist;
	int err;

	if (!h)
		return;
	err = np_hs_hist_read(h->fd, ifindex, &hist);
	if (err) {
		np_warn(h->ctx, "cannot read the handshake histogram of %s: %s", name,
			strerror(-err));
		return;
	}
	out_row_begin(h->ctx->out);
	out_str(h->ctx->out, H_IF, name);
	out_hist(h->ctx->out, H_SECONDS, bounds_s, NP_HS_BUCKETS, hist.bucket, hist.sum_ns / 1e9);
	out_row_end(h->ctx->out);
}

void np_hs_prom_end(struct np_hs_prom *h)
{
	if (!h)
		return;
	out_table_end(h->ctx->out);
	close(h->fd);
	free(h);
}

void np_hs_forget_counters(struct np_ctx *ctx, __u32 ifindex)
{
	int fd = np_map_open(ctx, "np_flow_hs_hist");

	if (fd < 0)
		return;
	bpf_map_delete_elem(fd, &ifindex);
	close(fd);
}

void np_hs_forget_flows(struct np_ctx *ctx, __u32 ifindex)
{
	int fd = np_map_open(ctx, "np_flow_hs");

	if (fd < 0)
		return;
	np_map_purge_ifindex(fd, offsetof(struct np_flow_key, ifindex), ifindex, NULL);
	close(fd);
}
