// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe --prom show all: every series netprobe has, in one document, for
 * one node_exporter textfile. Each part is the --prom form of its own show
 * command, for the probes that are attached; no series is in two parts.
 */
#include <bpf/libbpf.h>

#include "lib/cmd.h"
#include "lib/out.h"
#include "lib/state.h"
#include "../bpf/netprobe.h"

int cmd_show_stats(struct np_ctx *ctx, int argc, char **argv);
int cmd_show_flows(struct np_ctx *ctx, int argc, char **argv);
int cmd_show_drops(struct np_ctx *ctx, int argc, char **argv);
int cmd_show_netfilter(struct np_ctx *ctx, int argc, char **argv);
int cmd_show_alerts(struct np_ctx *ctx, int argc, char **argv);
int cmd_show_vxlan(struct np_ctx *ctx, int argc, char **argv);
int cmd_show_topology(struct np_ctx *ctx, int argc, char **argv);
int cmd_feature(struct np_ctx *ctx, int argc, char **argv);
int cmd_show_k8s(struct np_ctx *ctx, int argc, char **argv);

/* The parts, each present when its pin is (NULL: always), with its argument. */
static const struct {
	np_cmd_fn fn;
	const char *pin;
	const char *arg;
} parts[] = {
	{ cmd_show_stats, "maps/np_stats", NULL },
	{ cmd_show_stats, "maps/np_stats_idx", "proto" },
	{ cmd_show_flows, "maps/np_flows", NULL },
	{ cmd_show_drops, "links/drops/kfree_skb", NULL },
	{ cmd_show_netfilter, "maps/np_nf_stats", NULL },
	{ cmd_show_alerts, "maps/np_alerts", NULL },
	{ cmd_show_vxlan, "maps/np_vxlan_tunnels", NULL },
	{ cmd_show_k8s, "maps/np_k8s_stats", NULL },
	{ cmd_show_topology, NULL, NULL },
	{ cmd_feature, NULL, NULL },
};

enum { B_VERSION, B_LAYOUT, B_LIBBPF, B_INFO };

static const struct np_col build_cols[] = {
	[B_VERSION] = { "version", NULL, 0, NP_K_STR, NP_P_LABEL },
	[B_LAYOUT] = { "layout", NULL, 0, NP_K_U64, NP_P_LABEL },
	[B_LIBBPF] = { "libbpf", NULL, 0, NP_K_STR, NP_P_LABEL },
	[B_INFO] = { "info", NULL, 0, NP_K_U64, NP_P_GAUGE, "netprobe_build_info",
		     "Always 1: the netprobe version, pin layout and libbpf that wrote this." },
};

static void build_info(struct np_ctx *ctx)
{
	struct np_out *o = ctx->out;

	out_table_begin(o, NULL, build_cols, ARRAY_SIZE(build_cols), NP_LAYOUT_TABLE);
	out_row_begin(o);
	out_str(o, B_VERSION, NP_VERSION);
	out_u64(o, B_LAYOUT, NP_LAYOUT_VERSION);
	out_str(o, B_LIBBPF, libbpf_version_string());
	out_u64(o, B_INFO, 1);
	out_row_end(o);
	out_table_end(o);
}

int cmd_show_all(struct np_ctx *ctx, int argc, char **argv)
{
	int err, ret = NP_EXIT_OK;
	bool present;

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, "Run it as netprobe --prom show all.\n");
	if (argc)
		return np_usage(ctx, "show all: unexpected '%s'", argv[0]);
	if (out_format(ctx->out) != NP_FMT_PROM)
		return np_usage(ctx, "show all is the Prometheus form of everything (--prom show "
				"all); -j has each show command");
	err = np_state_open(ctx, NP_ST_MAY_BE_EMPTY);
	if (err && err != NP_STATE_EMPTY)
		return err;
	present = !err;
	build_info(ctx);
	for (size_t i = 0; i < ARRAY_SIZE(parts) && !out_broken(ctx->out); i++) {
		if (parts[i].pin && (!present || !np_pin_exists(ctx, parts[i].pin)))
			continue;
		char *argv1[] = { (char *)parts[i].arg, NULL };

		err = parts[i].fn(ctx, parts[i].arg ? 1 : 0, parts[i].arg ? argv1 : NULL);
		ret = ret ?: err;
	}
	return ret;
}
