// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe flush stats [dev DEV]: zero traffic counters, keep the hooks.
 * netprobe flush flows: empty the flow table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cmd.h"
#include "lib/device.h"
#include "lib/flowtable.h"
#include "lib/maps.h"
#include "lib/report.h"
#include "lib/state.h"

int cmd_flush_stats(struct np_ctx *ctx, int argc, char **argv)
{
	static const char *const words[] = { "dev", NULL };
	struct np_dev_entry *devs;
	const char *dev = NULL;
	__u64 seen = 0;
	int n, err;

	for (int i = 0; i < argc; i++) {
		if (np_is_help(argv[i]))
			return np_cmd_usage(ctx, "Usage: netprobe flush stats [dev DEV]\n");
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
	np_devices_list(ctx, &devs, &n);
	np_flush_report_begin(ctx);
	for (int i = 0; i < n; i++) {
		np_dev_forget_counters(ctx, devs[i].rec.ifindex);
		np_flush_report_row(ctx, "stats", devs[i].name, -1);
	}
	np_flush_report_end(ctx);
	free(devs);
	np_state_close(ctx);
	return NP_EXIT_OK;
}

/* netprobe flush flows: empty the flow table, keep its counters honest. */
int cmd_flush_flows(struct np_ctx *ctx, int argc, char **argv)
{
	__u64 deleted = 0;
	int fd, err;

	if (argc && np_is_help(argv[0])) {
		printf("Usage: netprobe flush flows\n");
		return NP_EXIT_OK;
	}
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
	fd = np_map_open(ctx, "np_flows");
	if (fd < 0) {
		np_state_close(ctx);
		return np_err(ctx, "cannot open the flow table: %s", strerror(-fd));
	}
	err = np_flow_table_clear(fd, &deleted);
	close(fd);
	/* Deleted entries are not evictions: record them (see np_flow_stats). */
	if (deleted) {
		int e = np_flow_stats_add_deleted(ctx, deleted);

		err = err ?: e;
	}
	np_state_close(ctx);
	if (err)
		return np_err(ctx, "cannot flush the flow table: %s", strerror(-err));
	np_flush_report_begin(ctx);
	np_flush_report_row(ctx, "flows", NULL, deleted);
	np_flush_report_end(ctx);
	return NP_EXIT_OK;
}
