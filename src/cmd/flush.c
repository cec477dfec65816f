// SPDX-License-Identifier: GPL-2.0
/* netprobe flush stats [dev DEV]: zero traffic counters, keep the hooks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cmd.h"
#include "lib/device.h"
#include "lib/maps.h"
#include "lib/state.h"

int cmd_flush_stats(struct np_ctx *ctx, int argc, char **argv)
{
	static const char *const words[] = { "dev", NULL };
	struct np_dev_entry *devs;
	const char *dev = NULL;
	int n, err, hit = 0;

	for (int i = 0; i < argc; i++) {
		if (np_is_help(argv[i])) {
			printf("Usage: netprobe flush stats [dev DEV]\n");
			return NP_EXIT_OK;
		}
		if (np_kw(ctx, argv[i], words, "flush stats") < 0)
			return NP_EXIT_USAGE;
		if ((err = np_arg_next(ctx, argc, argv, &i, &dev)))
			return err;
	}
	err = np_state_open(ctx, NP_ST_WRITE);
	if (err)
		return err;
	np_devices_list(ctx, &devs, &n);
	for (int i = 0; i < n; i++) {
		if (dev && strcmp(dev, devs[i].name))
			continue;
		np_dev_forget_counters(ctx, devs[i].rec.ifindex);
		hit++;
	}
	free(devs);
	np_state_close(ctx);
	if (dev && !hit)
		return np_err(ctx, "nothing is attached to '%s'", dev);
	return NP_EXIT_OK;
}
