// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe watch alerts [count N]
 *
 * Alerts as the kernel raises them, read from the pinned np_alert_events
 * ring buffer: one line per alert (one JSON object per line with -j),
 * flushed as it comes. Ends after N alerts, on SIGINT/SIGTERM, or quietly
 * (exit 0) when the reader of stdout goes away.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "lib/cmd.h"
#include "lib/out.h"
#include "lib/security.h"
#include "lib/state.h"

#define POLL_MS 250

struct watch {
	struct np_ctx *ctx;
	__u64 count;	/* 0 = no limit */
	__u64 printed;
	__u64 since_ns;	/* ktime when the watch began */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int on_alert(void *arg, void *data, size_t size)
{
	struct watch *w = arg;
	struct np_out *o = w->ctx->out;
	struct np_alert_clock clk;
	struct np_alert a;

	if (size < sizeof(a))
		return 0;
	memcpy(&a, data, sizeof(a));
	np_alert_clock_now(&clk);
	/* An event's last_ns is when it was raised. Older ones waited in the ring
	 * for a reader: `show alerts` has them; this is live. */
	if (!np_alert_kind_name(a.kind) || a.last_ns < w->since_ns)
		return 0;
	if (out_format(o) == NP_FMT_JSON) {
		out_object_begin(o);
		np_alert_emit(o, true, &a, &clk);
		out_object_end(o);
	} else {
		out_row_begin(o);
		np_alert_emit(o, false, &a, &clk);
		out_row_end(o);
	}
	fflush(stdout);
	/* Stop consuming: what follows stays in the ring for the next watcher. */
	return ++w->printed == w->count ? -ECANCELED : 0;
}

/* True once the reading end of a stdout pipe is closed. */
static bool reader_gone(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

static int watch_loop(struct watch *w, struct ring_buffer *rb)
{
	int err = 0;

	while (!stop && (!w->count || w->printed < w->count)) {
		err = ring_buffer__poll(rb, POLL_MS);
		if (err == -ECANCELED || (err == -EINTR && stop))
			return 0;
		if (err < 0 && err != -EINTR)
			return np_err(w->ctx, "cannot read the alert events: %s", strerror(-err));
		if (out_broken(w->ctx->out) || reader_gone())
			return 0;
	}
	return 0;
}

static int parse_args(struct np_ctx *ctx, int argc, char **argv, __u64 *count)
{
	static const char *const words[] = { "count", NULL };
	const char *v;
	int err;

	for (int i = 0; i < argc; i++) {
		if (np_kw(ctx, argv[i], words, "watch alerts") < 0)
			return NP_EXIT_USAGE;
		if ((err = np_arg_next(ctx, argc, argv, &i, &v)))
			return err;
		if ((err = np_arg_u64(ctx, "count", v, 1, 1ull << 40, count)))
			return err;
	}
	return 0;
}

int cmd_watch_alerts(struct np_ctx *ctx, int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct watch w = { .ctx = ctx };
	struct np_alert_clock clk;
	struct ring_buffer *rb;
	int fd, err;

	if (argc > 0 && np_is_help(argv[0])) {
		printf("Usage: netprobe watch alerts [count N]\n");
		return NP_EXIT_OK;
	}
	if ((err = parse_args(ctx, argc, argv, &w.count)))
		return err;
	if (out_format(ctx->out) == NP_FMT_PROM)
		return np_usage(ctx, "watch alerts: no Prometheus output; "
				"try 'netprobe --prom show alerts'");
	if ((err = np_state_open(ctx, 0)))
		return err;
	np_alert_clock_now(&clk);
	w.since_ns = clk.now_mono;
	fd = np_map_open(ctx, "np_alert_events");
	if (fd < 0)
		return np_err(ctx, "the security probe is not attached; "
			      "run 'netprobe attach DEV security'");
	/* The ring buffer polls this fd: it stays open until the end. */
	rb = ring_buffer__new(fd, on_alert, &w, NULL);
	if (!rb) {
		err = np_err(ctx, "cannot open the alert events: %s", strerror(errno));
		close(fd);
		return err;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (out_format(ctx->out) != NP_FMT_JSON) {
		out_table_begin(ctx->out, NULL, np_alert_cols, np_alert_ncols, NP_LAYOUT_TABLE);
		fflush(stdout);
	}
	err = watch_loop(&w, rb);
	if (out_format(ctx->out) != NP_FMT_JSON)
		out_table_end(ctx->out);
	ring_buffer__free(rb);
	close(fd);
	return err;
}
