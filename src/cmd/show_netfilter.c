// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe show netfilter [netns NS] [family ipv4|ipv6]
 *                         [hook prerouting|input|forward|output|postrouting]
 *                         [sort packets|bytes] [top N]
 *
 * Packets and bytes seen at each netfilter hook netprobe is linked to, one
 * row per (network namespace, family, hook), zeros included. A packet is
 * one skb at the hook; bytes are its L3 length there (IP header and
 * payload, no link-layer header).
 *
 * The rows go through the model (lib/model.h): the linked hooks, from the
 * pins, each with its counters, are the records; the query filters, sorts
 * and cuts them. Rows come in pin order (namespace, family, hook) unless
 * sort or top is given; --prom prints the rows that pass the filters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cmd.h"
#include "lib/maps.h"
#include "lib/model.h"
#include "lib/netfilter.h"
#include "lib/out.h"
#include "lib/state.h"

#define NOT_ATTACHED "the netfilter probe is not attached; run 'netprobe attach netfilter'"

enum { C_NETNS, C_NETNS_NAME, C_FAMILY, C_HOOK, C_PACKETS, C_BYTES };

static const struct np_col nf_cols[] = {
	[C_NETNS] = { "netns", NULL, 0, NP_K_U64, NP_P_LABEL },
	[C_NETNS_NAME] = { "netns_name", "NETNS", -12, NP_K_STR },
	[C_FAMILY] = { "family", "FAMILY", -6, NP_K_STR, NP_P_LABEL },
	[C_HOOK] = { "hook", "HOOK", -11, NP_K_STR, NP_P_LABEL },
	[C_PACKETS] = { "packets", "PACKETS", 12, NP_K_COUNT, NP_P_COUNTER,
			"netprobe_netfilter_packets_total",
			"Packets seen at a netfilter hook (first in the hook)." },
	[C_BYTES] = { "bytes", "BYTES", 12, NP_K_BYTES, NP_P_COUNTER,
		      "netprobe_netfilter_bytes_total",
		      "L3 bytes (IP header and payload) seen at a netfilter hook." },
};

/* A linked hook as the model sees it: where it is, and its counters. */
struct nf_rec {
	__u32 netns;		/* inode of the hook's network namespace */
	__u8 family;		/* index into np_nf_families */
	__u8 hook;		/* NF_INET_* */
	__u16 pad;
	__u64 packets, bytes;
};

#define R(m) NP_FIELD(struct nf_rec, m)

static const struct np_filter_def nf_filters[] = {
	{ "netns", NP_M_NETNS, R(netns), .meta = "NS" },
	{ "family", NP_M_WORD, R(family), .words = np_nf_family_words },
	{ "hook", NP_M_WORD, R(hook), .words = np_nf_hooks },
	{ 0 },
};

static const struct np_sort_def nf_sorts[] = {
	{ "packets", R(packets) },
	{ "bytes", R(bytes) },
	{ 0 },
};

static const struct np_table nf_table = {
	.what = "show netfilter",
	.rec_size = sizeof(struct nf_rec),
	.filters = nf_filters,
	.sorts = nf_sorts,
	.top = true,
	.netns = R(netns),
};

#undef R

const char *np_show_netfilter_synopsis(void)
{
	static char buf[160];

	return buf[0] ? buf : np_table_synopsis(&nf_table, buf, sizeof(buf));
}

static int by_position(const void *a, const void *b)
{
	const struct nf_rec *x = a, *y = b;

	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	if (x->family != y->family)
		return x->family - y->family;
	return x->hook - y->hook;
}

/* The linked hooks, from the pin names under links/netfilter, in pin order. */
static int linked_hooks(struct np_ctx *ctx, struct nf_rec **out, int *n)
{
	struct nf_rec *recs;
	char **names;
	int npins, err;

	err = np_link_pins(ctx, "netfilter", &names, &npins);
	if (err)
		return err;
	recs = calloc(npins ? npins : 1, sizeof(*recs));
	*n = 0;
	for (int i = 0; recs && i < npins; i++) {
		int family, hook;
		__u32 netns;

		if (np_nf_pin_parse(names[i], &family, &hook, &netns))
			continue;
		recs[*n].netns = netns;
		recs[*n].family = family;
		recs[*n].hook = hook;
		(*n)++;
	}
	np_names_free(names, npins);
	if (!recs)
		return -ENOMEM;
	np_sort(recs, *n, sizeof(*recs), by_position);
	*out = recs;
	return 0;
}

/* Each hook's counters; a hook no packet crossed yet has no entry: zero. */
static void read_counters(struct np_ctx *ctx, struct nf_rec *recs, int n)
{
	int fd = np_map_open(ctx, "np_nf_stats");

	if (fd < 0)
		return;
	for (int i = 0; i < n; i++) {
		struct np_nf_key key = { .netns = recs[i].netns, .hook = recs[i].hook,
					 .pf = np_nf_families[recs[i].family].pf };
		struct np_counter c = { 0 };

		np_percpu_sum(fd, &key, (__u64 *)&c, 2);
		recs[i].packets = c.packets;
		recs[i].bytes = c.bytes;
	}
	close(fd);
}

struct show {
	struct np_ctx *ctx;
	struct np_query q;
	struct np_col cols[ARRAY_SIZE(nf_cols)];
};

/* A namespace's name for people: its /run/netns name, else its inode. */
static const char *netns_label(struct np_query *q, const struct nf_rec *r, char *buf,
			       size_t n)
{
	const char *name = np_query_names(q, r)->netns;

	if (name)
		return name;
	snprintf(buf, n, "%u", r->netns);
	return buf;
}

static void print_hook(struct np_query *q, const void *rec, void *arg)
{
	const struct nf_rec *r = rec;
	struct show *s = arg;
	struct np_out *o = s->ctx->out;
	const char *name = np_query_names(q, rec)->netns;
	char num[16];

	out_row_begin(o);
	out_u64(o, C_NETNS, r->netns);
	/* JSON: netns_name only when it has one; plain: the name, else the inode. */
	if (name || out_format(o) == NP_FMT_PLAIN)
		out_str(o, C_NETNS_NAME, netns_label(q, r, num, sizeof(num)));
	out_str(o, C_FAMILY, np_nf_families[r->family].name);
	out_str(o, C_HOOK, np_nf_hooks[r->hook]);
	out_u64(o, C_PACKETS, r->packets);
	out_u64(o, C_BYTES, r->bytes);
	out_row_end(o);
}

/* Plain text: the NETNS column as wide as the widest name shown. */
static void fit_columns(struct show *s, const struct nf_rec *recs, int n)
{
	int w = -s->cols[C_NETNS_NAME].width;
	char num[16];

	for (int i = 0; i < n; i++) {
		int len;

		if (!np_query_match(&s->q, &recs[i]))
			continue;
		len = strlen(netns_label(&s->q, &recs[i], num, sizeof(num)));
		w = len > w ? len : w;
	}
	s->cols[C_NETNS_NAME].width = -w;
}

static int show_hooks(struct show *s, struct nf_rec *recs, int n)
{
	struct np_out *o = s->ctx->out;

	memcpy(s->cols, nf_cols, sizeof(s->cols));
	if (out_format(o) == NP_FMT_PLAIN)
		fit_columns(s, recs, n);
	np_query_start(&s->q, print_hook, s);
	out_table_begin(o, NULL, s->cols, ARRAY_SIZE(s->cols), NP_LAYOUT_TABLE);
	for (int i = 0; i < n; i++)
		if (np_query_add(&s->q, &recs[i]))
			break;
	np_query_end(&s->q);
	out_table_end(o);
	return NP_EXIT_OK;
}

int cmd_show_netfilter(struct np_ctx *ctx, int argc, char **argv)
{
	struct show s = { .ctx = ctx };
	struct nf_rec *recs = NULL;
	int n, err;

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, "netns takes a /run/netns name or an inode number. "
					"Rows come by namespace, family and\nhook unless sort or "
					"top is given (top alone: most packets first).\n");
	/* Usage errors first: a bad keyword is that, attached or not. */
	err = np_query_parse(&s.q, ctx, &nf_table, argc, argv);
	if (err)
		goto out;
	if (s.q.top)
		np_query_default_sort(&s.q, "packets");
	err = np_state_open(ctx, NP_ST_MAY_BE_EMPTY);
	if (err == NP_STATE_EMPTY) {
		err = np_err(ctx, NOT_ATTACHED);
		goto out;
	}
	if (err)
		goto out;
	err = linked_hooks(ctx, &recs, &n);
	if (err) {
		err = np_err(ctx, "cannot list %s/links/netfilter: %s", ctx->pin_root,
			     strerror(-err));
		goto out;
	}
	if (!n) {
		err = np_err(ctx, NOT_ATTACHED);
		goto out;
	}
	read_counters(ctx, recs, n);
	err = show_hooks(&s, recs, n);
out:
	free(recs);
	np_query_free(&s.q);
	return err;
}
