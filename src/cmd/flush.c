// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe flush stats [dev DEV]: zero traffic counters, keep the hooks.
 * netprobe flush flows: empty the flow table.
 * netprobe flush icmp: empty the ICMP counters and errors.
 * netprobe flush drops|netfilter|vxlan|sockets: empty that probe's tables.
 * netprobe flush all: every table netprobe has (hooks and settings stay).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cmd.h"
#include "lib/device.h"
#include "lib/flowtable.h"
#include "lib/icmp.h"
#include "lib/maps.h"
#include "lib/report.h"
#include "lib/state.h"

/* Every device's counters and the TCP totals, a row each (the report is open). */
static void stats_clear(struct np_ctx *ctx)
{
	struct np_dev_entry *devs;
	__u64 cleared;
	int n, fd;

	np_devices_list(ctx, &devs, &n);
	for (int i = 0; i < n; i++) {
		np_dev_forget_counters(ctx, devs[i].rec.ifindex);
		np_flush_report_row(ctx, "stats", devs[i].name, -1);
	}
	free(devs);
	/* The TCP totals of the socket probe are counters of show stats too. */
	fd = np_map_open(ctx, "np_tcp_totals");
	if (fd >= 0 && !np_map_clear(fd, &cleared))
		np_flush_report_row(ctx, "tcp_totals", NULL, cleared);
	if (fd >= 0)
		close(fd);
}

int cmd_flush_stats(struct np_ctx *ctx, int argc, char **argv)
{
	static const char *const words[] = { "dev", NULL };
	const char *dev = NULL;
	__u64 seen = 0;
	int err;

	for (int i = 0; i < argc; i++) {
		if (np_is_help(argv[i]))
			return np_cmd_help_self(ctx, NULL);
		if (np_kw_once(ctx, argv[i], words, "flush stats", &seen) < 0)
			return NP_EXIT_USAGE;
		if ((err = np_arg_next(ctx, "flush stats", argc, argv, &i, &dev)))
			return err;
	}
	/* Nothing pinned, nothing to zero: and no pin root made for it either. */
	err = np_state_open(ctx, NP_ST_MAY_BE_EMPTY);
	if (err == NP_STATE_EMPTY && dev)
		return np_dev_not_attached(ctx, dev);
	if (err == NP_STATE_EMPTY) {
		np_flush_report_begin(ctx);
		np_flush_report_end(ctx);
		return NP_EXIT_OK;
	}
	err = err ?: np_state_open(ctx, NP_ST_WRITE);
	if (err)
		return err;
	if (dev) {
		struct np_device rec;

		err = np_dev_require_traffic(ctx, dev, &rec);
		if (!err) {
			np_dev_forget_counters(ctx, rec.ifindex);
			np_flush_report_begin(ctx);
			np_flush_report_row(ctx, "stats", dev, -1);
			np_flush_report_end(ctx);
		}
		np_state_close(ctx);
		return err;
	}
	np_flush_report_begin(ctx);
	stats_clear(ctx);
	np_flush_report_end(ctx);
	np_state_close(ctx);
	return NP_EXIT_OK;
}

/* Empties the flow table; deleted entries are not evictions (np_flow_stats). */
static int flows_clear(struct np_ctx *ctx, __u64 *deleted)
{
	int fd = np_map_open(ctx, "np_flows"), err;

	*deleted = 0;
	if (fd < 0)
		return fd;
	err = np_flow_table_clear(fd, deleted);
	close(fd);
	if (*deleted) {
		int e = np_flow_stats_add_deleted(ctx, *deleted);

		err = err ?: e;
	}
	return err;
}

/* netprobe flush flows: empty the flow table, keep its counters honest. */
int cmd_flush_flows(struct np_ctx *ctx, int argc, char **argv)
{
	__u64 deleted = 0;
	int fd, err;

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, NULL);
	if (argc)
		return np_usage(ctx, "flush flows: unexpected '%s'", argv[0]);
	/* Nothing pinned, nothing to flush: and no pin root made for it either. */
	err = np_state_open(ctx, NP_ST_MAY_BE_EMPTY);
	if (err && err != NP_STATE_EMPTY)
		return err;
	fd = err ? -ENOENT : np_map_open(ctx, "np_flows");
	if (fd == -ENOENT) {
		/* No table: nothing flushed. */
		np_flush_report_begin(ctx);
		np_flush_report_end(ctx);
		return NP_EXIT_OK;
	}
	if (fd >= 0)
		close(fd);
	err = np_state_open(ctx, NP_ST_WRITE);
	if (err)
		return err;
	err = flows_clear(ctx, &deleted);
	np_state_close(ctx);
	if (err)
		return np_err(ctx, "cannot flush the flow table: %s", strerror(-err));
	np_flush_report_begin(ctx);
	np_flush_report_row(ctx, "flows", NULL, deleted);
	np_flush_report_end(ctx);
	return NP_EXIT_OK;
}

/* The ICMP rows and errors, a report row each (the report is open). */
static int icmp_clear(struct np_ctx *ctx)
{
	__u64 rows, errors;
	int err = np_icmp_clear(ctx, &rows, &errors);

	if (err)
		return err;
	np_flush_report_row(ctx, "icmp", NULL, rows);
	np_flush_report_row(ctx, "icmp_errors", NULL, errors);
	return 0;
}

/* netprobe flush icmp: the traffic programs' ICMP maps (bpf/icmp.bpf.h). */
int cmd_flush_icmp(struct np_ctx *ctx, int argc, char **argv)
{
	int err;

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, NULL);
	if (argc)
		return np_usage(ctx, "flush icmp: unexpected '%s'", argv[0]);
	/* Nothing pinned, nothing to flush: and no pin root made for it either. */
	err = np_state_open(ctx, NP_ST_MAY_BE_EMPTY);
	if (err && err != NP_STATE_EMPTY)
		return err;
	if (err || !np_pin_exists(ctx, "maps/np_icmp_counts")) {
		np_flush_report_begin(ctx);
		np_flush_report_end(ctx);
		return NP_EXIT_OK;
	}
	err = np_state_open(ctx, NP_ST_WRITE);
	if (err)
		return err;
	np_flush_report_begin(ctx);
	err = icmp_clear(ctx);
	np_flush_report_end(ctx);
	np_state_close(ctx);
	if (err)
		return np_err(ctx, "cannot flush the ICMP counters: %s", strerror(-err));
	return NP_EXIT_OK;
}

/* A probe's tables, emptied together; entries are counted in the first. */
struct table {
	const char *name;
	const char *probe;		/* the probe that makes them ... */
	const char *attach;		/* ... and its attach keywords */
	const char *const maps[7];
};

enum { T_DROPS, T_NETFILTER, T_VXLAN, T_SOCKETS, T_ALERTS };

static const struct table tables[] = {
	[T_DROPS] = { "drops", "drops", "drops", { "np_drops", "np_drop_flows" } },
	[T_NETFILTER] = { "netfilter", "netfilter", "netfilter", { "np_nf_stats" } },
	[T_VXLAN] = { "vxlan", "vxlan", "DEV vxlan",
		      { "np_vxlan_tunnels", "np_vxlan_flows", "np_vxlan_counters" } },
	[T_SOCKETS] = { "sockets", "socket", "socket", { "np_conns", "np_tcp_totals" } },
	/* The tracking state goes too: an attack still going on is raised anew. */
	[T_ALERTS] = { "alerts", "security", "DEV security",
		       { "np_alerts", "np_sec_scan", "np_sec_seen", "np_sec_flood",
			 "np_sec_pending", "np_sec_fail" } },
};

/* Empties t's maps that are pinned; -ENOENT if none is. */
static int table_clear(struct np_ctx *ctx, const struct table *t, __u64 *entries)
{
	int err = -ENOENT;

	*entries = 0;
	for (int i = 0; t->maps[i]; i++) {
		int fd = np_map_open(ctx, t->maps[i]), e;
		__u64 n;

		if (fd == -ENOENT)
			continue;
		e = fd < 0 ? fd : np_map_clear(fd, &n);
		if (fd >= 0)
			close(fd);
		if (e)
			return e;
		if (err == -ENOENT)
			*entries = n;
		err = 0;
	}
	return err;
}

static int flush_table(struct np_ctx *ctx, const struct table *t, int argc, char **argv)
{
	__u64 entries;
	int err;

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, NULL);
	if (argc)
		return np_usage(ctx, "flush %s: unexpected '%s'", t->name, argv[0]);
	err = np_state_open(ctx, NP_ST_MAY_BE_EMPTY);
	if (err == NP_STATE_EMPTY || (!err && !np_pin_exists(ctx, "maps/np_meta")))
		err = -ENOENT;
	else if (!err)
		err = np_state_open(ctx, NP_ST_WRITE);
	if (err > 0)
		return err;
	err = err ?: table_clear(ctx, t, &entries);
	np_state_close(ctx);
	if (err == -ENOENT)
		return np_err(ctx, "the %s probe is not attached; run 'netprobe attach %s'",
			      t->probe, t->attach);
	if (err)
		return np_err(ctx, "cannot flush %s: %s", t->name, strerror(-err));
	np_flush_report_begin(ctx);
	np_flush_report_row(ctx, t->name, NULL, entries);
	np_flush_report_end(ctx);
	return NP_EXIT_OK;
}

int cmd_flush_drops(struct np_ctx *ctx, int argc, char **argv)
{
	return flush_table(ctx, &tables[T_DROPS], argc, argv);
}

int cmd_flush_netfilter(struct np_ctx *ctx, int argc, char **argv)
{
	return flush_table(ctx, &tables[T_NETFILTER], argc, argv);
}

int cmd_flush_vxlan(struct np_ctx *ctx, int argc, char **argv)
{
	return flush_table(ctx, &tables[T_VXLAN], argc, argv);
}

int cmd_flush_sockets(struct np_ctx *ctx, int argc, char **argv)
{
	return flush_table(ctx, &tables[T_SOCKETS], argc, argv);
}

int cmd_flush_alerts(struct np_ctx *ctx, int argc, char **argv)
{
	return flush_table(ctx, &tables[T_ALERTS], argc, argv);
}

/* netprobe flush all: every table, one report; the hooks and settings stay. */
int cmd_flush_all(struct np_ctx *ctx, int argc, char **argv)
{
	__u64 entries;
	int err;

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, NULL);
	if (argc)
		return np_usage(ctx, "flush all: unexpected '%s'", argv[0]);
	err = np_state_open(ctx, NP_ST_MAY_BE_EMPTY);
	if (err && err != NP_STATE_EMPTY)
		return err;
	if (!err && (err = np_state_open(ctx, NP_ST_WRITE)))
		return err;
	np_flush_report_begin(ctx);
	if (ctx->lock_fd >= 0) {
		err = flows_clear(ctx, &entries);
		if (!err)
			np_flush_report_row(ctx, "flows", NULL, entries);
		err = err == -ENOENT ? 0 : err;
		if (!err && (err = icmp_clear(ctx)) == -ENOENT)
			err = 0;
		stats_clear(ctx);
		for (size_t i = 0; i < ARRAY_SIZE(tables) && !err; i++) {
			/* np_tcp_totals went with stats: count the connections. */
			err = table_clear(ctx, &tables[i], &entries);
			if (!err)
				np_flush_report_row(ctx, tables[i].name, NULL, entries);
			err = err == -ENOENT ? 0 : err;
		}
	}
	np_flush_report_end(ctx);
	np_state_close(ctx);
	if (err)
		return np_err(ctx, "cannot flush: %s", strerror(-err));
	return NP_EXIT_OK;
}
