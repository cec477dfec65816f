// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe show netfilter
 *
 * Packets and bytes seen at each netfilter hook netprobe is linked to, one
 * row per (network namespace, family, hook), zeros included. A packet is
 * one skb at the hook; bytes are its L3 length there (IP header and
 * payload, no link-layer header).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cmd.h"
#include "lib/netns.h"
#include "lib/maps.h"
#include "lib/netfilter.h"
#include "lib/out.h"
#include "lib/state.h"

#define NOT_ATTACHED "the netfilter probe is not attached; run 'netprobe attach netfilter'"

enum { C_NETNS, C_NETNS_NAME, C_FAMILY, C_HOOK, C_PACKETS, C_BYTES };

static const struct np_col cols[] = {
	[C_NETNS] = { "netns", NULL, 0, NP_K_U64, NP_P_LABEL },
	[C_NETNS_NAME] = { "netns_name", "NETNS", 12, NP_K_STR },
	[C_FAMILY] = { "family", "FAMILY", -6, NP_K_STR, NP_P_LABEL },
	[C_HOOK] = { "hook", "HOOK", -11, NP_K_STR, NP_P_LABEL },
	[C_PACKETS] = { "packets", "PACKETS", 12, NP_K_COUNT, NP_P_COUNTER,
			"netprobe_netfilter_packets_total",
			"Packets seen at a netfilter hook (first in the hook)." },
	[C_BYTES] = { "bytes", "BYTES", 12, NP_K_BYTES, NP_P_COUNTER,
		      "netprobe_netfilter_bytes_total",
		      "L3 bytes (IP header and payload) seen at a netfilter hook." },
};

struct nf_row {
	__u32 netns;
	int family, hook;
};

static int by_position(const void *a, const void *b)
{
	const struct nf_row *x = a, *y = b;

	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	if (x->family != y->family)
		return x->family - y->family;
	return x->hook - y->hook;
}

/* The linked hooks, from the pin names under links/netfilter. */
static int linked_hooks(struct np_ctx *ctx, struct nf_row **out, int *n)
{
	struct nf_row *rows;
	char **names;
	int npins, err;

	err = np_link_pins(ctx, "netfilter", &names, &npins);
	if (err)
		return err;
	rows = calloc(npins ? npins : 1, sizeof(*rows));
	*n = 0;
	for (int i = 0; rows && i < npins; i++) {
		struct nf_row *r = &rows[*n];

		if (!np_nf_pin_parse(names[i], &r->family, &r->hook, &r->netns))
			(*n)++;
	}
	np_names_free(names, npins);
	if (!rows)
		return -ENOMEM;
	np_sort(rows, *n, sizeof(*rows), by_position);
	*out = rows;
	return 0;
}

int cmd_show_netfilter(struct np_ctx *ctx, int argc, char **argv)
{
	struct nf_row *rows;
	int n, fd, err;

	if (argc && np_is_help(argv[0])) {
		printf("Usage: netprobe show netfilter\n");
		return NP_EXIT_OK;
	}
	if (argc)
		return np_usage(ctx, "show netfilter: unexpected '%s'", argv[0]);
	err = np_state_open(ctx, NP_ST_MAY_BE_EMPTY);
	if (err == NP_STATE_EMPTY)
		return np_err(ctx, NOT_ATTACHED);
	if (err)
		return err;
	err = linked_hooks(ctx, &rows, &n);
	if (err)
		return np_err(ctx, "cannot list %s/links/netfilter: %s", ctx->pin_root,
			      strerror(-err));
	if (!n) {
		free(rows);
		return np_err(ctx, NOT_ATTACHED);
	}
	fd = np_map_open(ctx, "np_nf_stats");
	out_table_begin(ctx->out, NULL, cols, ARRAY_SIZE(cols), NP_LAYOUT_TABLE);
	for (int i = 0; i < n && !out_broken(ctx->out); i++) {
		struct np_nf_key key = { .netns = rows[i].netns, .hook = rows[i].hook,
					 .pf = np_nf_families[rows[i].family].pf };
		struct np_counter c = { 0 };

		/* A hook no packet crossed yet has no entry: zero. */
		if (fd >= 0)
			np_percpu_sum(fd, &key, (__u64 *)&c, 2);
		out_row_begin(ctx->out);
		np_out_netns(ctx->out, C_NETNS, C_NETNS_NAME, rows[i].netns);
		out_str(ctx->out, C_FAMILY, np_nf_families[rows[i].family].name);
		out_str(ctx->out, C_HOOK, np_nf_hooks[rows[i].hook]);
		out_u64(ctx->out, C_PACKETS, c.packets);
		out_u64(ctx->out, C_BYTES, c.bytes);
		out_row_end(ctx->out);
	}
	out_table_end(ctx->out);
	if (fd >= 0)
		close(fd);
	free(rows);
	return NP_EXIT_OK;
}
