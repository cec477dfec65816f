// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe watch alerts [kind KIND] [src CIDR] [dst CIDR] [count N]
 *
 * Alerts as the kernel raises them, read from the pinned np_alert_events
 * ring buffer by the watch loop (src/cmd/watch.c): one line per alert (one
 * JSON object per line with -j), flushed as it comes. Ends after N alerts,
 * on SIGINT/SIGTERM, or quietly (exit 0) when the reader of stdout goes away.
 * The filters are show alerts' (the table in lib/security.c), tested on
 * each alert as it comes.
 */
#include <stdio.h>

#include "lib/cmd.h"
#include "lib/model.h"
#include "lib/security.h"
#include "lib/watch.h"

const char *np_watch_alerts_synopsis(void)
{
	static char buf[256];

	return buf[0] ? buf : np_table_synopsis(&np_alerts_watch_table, buf, sizeof(buf));
}

static bool emit_alert(struct np_ctx *ctx, const struct np_event_hdr *hdr, size_t size,
		       __u64 mono2real, void *arg)
{
	const struct np_alert_event *e = (const struct np_alert_event *)hdr;
	struct np_query *q = arg;
	struct np_alert_clock clk;
	struct np_alert_rec rec;

	if (hdr->type != NP_EV_ALERT_RAISED || size < sizeof(*e) ||
	    !np_alert_kind_name(e->alert.kind))
		return false;
	/* "active" is as of now; times share the loop's clock offset. */
	np_alert_clock_now(&clk);
	clk.mono_to_real = mono2real;
	np_alert_rec_make(&rec, &e->alert, &clk);
	if (!np_query_match(q, &rec))
		return false;
	out_row_begin(ctx->out);
	np_alert_emit(q, &rec, &clk);
	out_row_end(ctx->out);
	return true;
}

int cmd_watch_alerts(struct np_ctx *ctx, int argc, char **argv)
{
	struct np_query q;
	/* Alerts are rare: the probe publishes them with or without a reader. */
	const struct np_watch_src src = {
		.what = "watch alerts",
		.map = "np_alert_events",
		.probe = "security",
		.per_device = true,
		.cols = np_alert_cols,
		.ncols = np_alert_ncols,
		.emit = emit_alert,
		.arg = &q,
	};
	__u64 count = 0;
	int err;

	if (argc > 0 && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, "Alerts raised from now on, those that match; "
					"count N ends after N of them.\n");
	err = np_query_parse(&q, ctx, &np_alerts_watch_table, argc, argv);
	if (!err && out_format(ctx->out) == NP_FMT_PROM)
		err = np_usage(ctx, "watch alerts: no Prometheus output; "
			       "try 'netprobe --prom show alerts'");
	if (!err) {
		np_query_has(&q, "count", &count);
		err = np_watch_run(ctx, &src, count);
	}
	np_query_free(&q);
	return err;
}
