// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe show alerts [kind KIND] [src CIDR] [dst CIDR] [active]
 *                      [sort last|first|count|ports|hosts|rate|sources] [top N]
 * (netprobe flush alerts: src/cmd/flush.c)
 *
 * Alerts are kept by the kernel in the pinned np_alerts LRU, so they are
 * there whether or not anybody was watching. They go through the model
 * (lib/model.h, the table in lib/security.c): oldest first unless sort or
 * top asks for the biggest or latest. --prom prints the kernel's per-kind
 * counters (netprobe_alerts_total), not the rows kept: there only `kind`
 * applies.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cmd.h"
#include "lib/inet.h"
#include "lib/model.h"
#include "lib/out.h"
#include "lib/security.h"
#include "lib/state.h"

#define NOT_ATTACHED "the security probe is not attached; run 'netprobe attach DEV security'"

const char *np_show_alerts_synopsis(void)
{
	static char buf[320];

	return buf[0] ? buf : np_table_synopsis(&np_alerts_table, buf, sizeof(buf));
}

struct show {
	struct np_ctx *ctx;
	struct np_query q;
	struct np_alert_clock clk;
};

static void print_alert(struct np_query *q, const void *rec, void *arg)
{
	struct show *s = arg;

	out_row_begin(s->ctx->out);
	np_alert_emit(q, rec, &s->clk);
	out_row_end(s->ctx->out);
}

/* Plain text: the widest address of the rows that will be shown. */
static int address_width(struct np_query *q, const struct np_alert_rec *recs, int n)
{
	char a[INET6_ADDRSTRLEN];
	int w = 0;

	for (int i = 0; i < n; i++) {
		if (!np_query_match(q, &recs[i]))
			continue;
		np_addr_str(recs[i].a.src, a, sizeof(a));
		w = (int)strlen(a) > w ? (int)strlen(a) : w;
		np_addr_str(recs[i].a.dst, a, sizeof(a));
		w = (int)strlen(a) > w ? (int)strlen(a) : w;
	}
	return w;
}

static int show_rows(struct show *s, const struct np_alert *alerts, int n)
{
	struct np_col cols[NP_ALERT_NCOLS];
	struct np_alert_rec *recs;

	recs = calloc(n ? n : 1, sizeof(*recs));
	if (!recs)
		return np_err(s->ctx, "cannot read the alerts: %s", strerror(ENOMEM));
	for (int i = 0; i < n; i++)
		np_alert_rec_make(&recs[i], &alerts[i], &s->clk);
	np_alert_cols_fit(cols, out_format(s->ctx->out) == NP_FMT_PLAIN ?
			  address_width(&s->q, recs, n) : 0);
	np_query_start(&s->q, print_alert, s);
	out_table_begin(s->ctx->out, NULL, cols, np_alert_ncols, NP_LAYOUT_TABLE);
	for (int i = 0; i < n; i++)
		if (np_query_add(&s->q, &recs[i]))
			break;
	np_query_end(&s->q);
	out_table_end(s->ctx->out);
	free(recs);
	return NP_EXIT_OK;
}

/* --prom has one series per kind: a keyword that picks rows has no meaning there. */
static int prom_keywords(struct show *s)
{
	for (int i = 0; i < s->q.nf; i++)
		if (strcmp(s->q.f[i].def->kw, "kind"))
			return np_usage(s->ctx, "show alerts: '%s' picks alerts; --prom has the "
					"per-kind counters, where only 'kind' applies",
					s->q.f[i].def->kw);
	if (s->q.sort || s->q.top)
		return np_usage(s->ctx, "show alerts: '%s' orders alerts; --prom has the "
				"per-kind counters, where only 'kind' applies",
				s->q.sort ? "sort" : "top");
	return 0;
}

int cmd_show_alerts(struct np_ctx *ctx, int argc, char **argv)
{
	struct show s = { .ctx = ctx };
	bool prom = out_format(ctx->out) == NP_FMT_PROM;
	struct np_alert *alerts = NULL;
	__u64 kind = 0;
	int n, err;

	if (argc > 0 && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, "Oldest first; sort and top give the biggest or "
					"latest first (top alone: the latest).\nWith --prom: "
					"the kernel's per-kind counters, for all kinds or one.\n");
	/* Usage errors first: a bad keyword is that, attached or not. */
	if ((err = np_query_parse(&s.q, ctx, &np_alerts_table, argc, argv)))
		goto out;
	if (prom && (err = prom_keywords(&s)))
		goto out;
	if (s.q.top)
		np_query_default_sort(&s.q, "last");
	if ((err = np_state_open(ctx, NP_ST_MAY_BE_EMPTY))) {
		if (err == NP_STATE_EMPTY)
			err = np_err(ctx, NOT_ATTACHED);
		goto out;
	}
	err = np_alerts_read(ctx, &alerts, &n);
	if (err) {
		err = err == -ENOENT ? np_err(ctx, NOT_ATTACHED) :
		      np_err(ctx, "cannot read the alerts: %s", strerror(-err));
		goto out;
	}
	np_alert_clock_now(&s.clk);
	if (prom) {
		np_query_has(&s.q, "kind", &kind);
		np_alert_kinds_table(ctx, NULL, alerts, n, &s.clk, kind);
		err = NP_EXIT_OK;
	} else {
		err = show_rows(&s, alerts, n);
	}
out:
	free(alerts);
	np_query_free(&s.q);
	return err;
}
