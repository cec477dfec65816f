// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe watch alerts [count N]
 *
 * Alerts as the kernel raises them, read from the pinned np_alert_events
 * ring buffer by the watch loop (src/cmd/watch.c): one line per alert (one
 * JSON object per line with -j), flushed as it comes. Ends after N alerts,
 * on SIGINT/SIGTERM, or quietly (exit 0) when the reader of stdout goes away.
 */
#include <stdio.h>

#include "lib/cmd.h"
#include "lib/security.h"
#include "lib/watch.h"

static bool emit_alert(struct np_ctx *ctx, const struct np_event_hdr *hdr, size_t size,
		       __u64 mono2real, void *arg)
{
	const struct np_alert_event *e = (const struct np_alert_event *)hdr;
	struct np_alert_clock clk;

	(void)arg;
	if (hdr->type != NP_EV_ALERT_RAISED || size < sizeof(*e) ||
	    !np_alert_kind_name(e->alert.kind))
		return false;
	/* "active" is as of now; times share the loop's clock offset. */
	np_alert_clock_now(&clk);
	clk.mono_to_real = mono2real;
	out_row_begin(ctx->out);
	np_alert_emit(ctx->out, &e->alert, &clk);
	out_row_end(ctx->out);
	return true;
}

static int parse_args(struct np_ctx *ctx, int argc, char **argv, __u64 *count)
{
	static const char *const words[] = { "count", NULL };
	const char *v;
	__u64 seen = 0;
	int err;

	for (int i = 0; i < argc; i++) {
		if (np_kw_once(ctx, argv[i], words, "watch alerts", &seen) < 0)
			return NP_EXIT_USAGE;
		if ((err = np_arg_next(ctx, "watch alerts", argc, argv, &i, &v)))
			return err;
		if ((err = np_arg_u64(ctx, "count", v, 1, 1ull << 40, count)))
			return err;
	}
	return 0;
}

int cmd_watch_alerts(struct np_ctx *ctx, int argc, char **argv)
{
	/* Alerts are rare: the probe publishes them with or without a reader. */
	const struct np_watch_src src = {
		.what = "watch alerts",
		.map = "np_alert_events",
		.probe = "security",
		.per_device = true,
		.cols = np_alert_cols,
		.ncols = np_alert_ncols,
		.emit = emit_alert,
	};
	__u64 count = 0;
	int err;

	if (argc > 0 && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, NULL);
	if ((err = parse_args(ctx, argc, argv, &count)))
		return err;
	if (out_format(ctx->out) == NP_FMT_PROM)
		return np_usage(ctx, "watch alerts: no Prometheus output; "
				"try 'netprobe --prom show alerts'");
	return np_watch_run(ctx, &src, count);
}
