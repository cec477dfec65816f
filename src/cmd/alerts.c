// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe show alerts [kind port-scan|syn-flood] [active]
 * (netprobe flush alerts: src/cmd/flush.c)
 *
 * Alerts are kept by the kernel in the pinned np_alerts LRU, so they are
 * there whether or not anybody was watching. --prom prints the kernel's
 * per-kind counters (netprobe_alerts_total), not the rows kept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "lib/cmd.h"
#include "lib/maps.h"
#include "lib/out.h"
#include "lib/report.h"
#include "lib/security.h"
#include "lib/state.h"

#define NOT_ATTACHED "the security probe is not attached; run 'netprobe attach DEV security'"

static int parse_filter(struct np_ctx *ctx, int argc, char **argv, unsigned int *kind,
			bool *active)
{
	static const char *const words[] = { "kind", "active", NULL };
	static const char *const kinds[] = { "port-scan", "syn-flood", NULL };
	const char *v;
	__u64 seen = 0;
	int err, k;

	for (int i = 0; i < argc; i++) {
		k = np_kw_once(ctx, argv[i], words, "show alerts", &seen);
		if (k < 0)
			return NP_EXIT_USAGE;
		if (k == 1) {
			*active = true;
			continue;
		}
		if ((err = np_arg_next(ctx, "show alerts", argc, argv, &i, &v)))
			return err;
		k = np_kw(ctx, v, kinds, "show alerts kind");
		if (k < 0)
			return NP_EXIT_USAGE;
		*kind = k == 0 ? NP_ALERT_PORT_SCAN : NP_ALERT_SYN_FLOOD;
	}
	return 0;
}

int cmd_show_alerts(struct np_ctx *ctx, int argc, char **argv)
{
	struct np_alert_clock clk;
	struct np_alert *alerts;
	unsigned int kind = 0;
	bool active = false;
	int n, err;

	if (argc > 0 && np_is_help(argv[0])) {
		printf("Usage: netprobe show alerts [kind port-scan|syn-flood] [active]\n");
		return NP_EXIT_OK;
	}
	if ((err = parse_filter(ctx, argc, argv, &kind, &active)))
		return err;
	if ((err = np_state_open(ctx, NP_ST_MAY_BE_EMPTY)))
		return err == NP_STATE_EMPTY ? np_err(ctx, NOT_ATTACHED) : err;
	err = np_alerts_read(ctx, &alerts, &n);
	if (err == -ENOENT)
		return np_err(ctx, NOT_ATTACHED);
	if (err)
		return np_err(ctx, "cannot read the alerts: %s", strerror(-err));
	np_alert_clock_now(&clk);
	if (out_format(ctx->out) == NP_FMT_PROM) {
		np_alert_kinds_table(ctx, NULL, alerts, n, &clk);
		free(alerts);
		return NP_EXIT_OK;
	}
	out_table_begin(ctx->out, NULL, np_alert_cols, np_alert_ncols, NP_LAYOUT_TABLE);
	for (int i = 0; i < n && !out_broken(ctx->out); i++) {
		if ((kind && alerts[i].kind != kind) ||
		    (active && clk.now_mono >= alerts[i].active_until_ns))
			continue;
		out_row_begin(ctx->out);
		np_alert_emit(ctx->out, &alerts[i], &clk);
		out_row_end(ctx->out);
	}
	out_table_end(ctx->out);
	free(alerts);
	return NP_EXIT_OK;
}
