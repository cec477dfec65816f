// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe detach DEV [PROBE...] | HOST-PROBE | all
 *
 * Detaching what is not attached succeeds quietly (scripts stay simple);
 * the report says what was removed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>

#include "lib/cmd.h"
#include "lib/hooks_report.h"
#include "lib/out.h"
#include "lib/probe.h"
#include "lib/state.h"

enum { C_TARGET, C_IF, C_PROBE, C_HOOK, C_STATE };

static const struct np_col cols[] = {
	[C_TARGET] = { NULL, "TARGET", -12, NP_K_STR },
	[C_IF] = { "interface", NULL, 0, NP_K_STR },
	[C_PROBE] = { "probe", NULL, 0, NP_K_STR },
	[C_HOOK] = { "hook", "HOOK", -28, NP_K_STR },
	[C_STATE] = { "state", "STATE", -10, NP_K_STR },
};

/* Reports the hooks that were in before and are gone now. */
static void report_removed(struct np_ctx *ctx, const char *dir,
			   const struct np_hooks_snapshot *before)
{
	struct np_hooks_snapshot after;

	np_hooks_snapshot(ctx, dir, &after);
	for (int i = 0; i < before->n; i++) {
		bool still = false;

		for (int j = 0; j < after.n; j++)
			still |= !strcmp(after.names[j], before->names[i]);
		if (still)
			continue;
		out_row_begin(ctx->out);
		np_hooks_target(ctx->out, C_TARGET, C_IF, C_PROBE, dir, before->names[i]);
		out_str(ctx->out, C_HOOK, before->names[i]);
		out_str(ctx->out, C_STATE, "detached");
		out_row_end(ctx->out);
	}
	np_hooks_snapshot_free(&after);
}

/* What a failed removal of dir means, in words. */
static void why_not(struct np_ctx *ctx, const char *dir, int err, char *buf, size_t n)
{
	struct np_device rec = { 0 };

	if (err != -EXDEV) {
		snprintf(buf, n, "%s: %s", dir, strerror(-err));
		return;
	}
	np_dev_record_get(ctx, dir, &rec);
	snprintf(buf, n, "%s: its cls_bpf filters are in network namespace %u, which this "
		 "netprobe cannot reach; run 'netprobe detach %s' there (nsenter --net=...)",
		 dir, rec.netns, dir);
}

/* Removes one device or probe directory entirely. */
static int detach_dir(struct np_ctx *ctx, const char *dir)
{
	struct np_device rec;

	if (!np_probe_is_host(dir) || np_dev_record_get(ctx, dir, &rec) == 0)
		return np_dev_detach(ctx, dir);
	return np_unpin_dir(ctx, dir);
}

/* A device this namespace does not have and netprobe has no trace of: a typo. */
static bool dev_unknown(struct np_ctx *ctx, const char *dev)
{
	char d[NP_DIR_MAX], rel[NP_DIR_MAX + 8];
	struct np_device rec;

	if (if_nametoindex(dev) || !np_dev_find(ctx, dev, NULL, &rec))
		return false;
	np_dir_name(dev, d);
	snprintf(rel, sizeof(rel), "links/%s", d);
	if (np_pin_exists(ctx, rel))
		return false;
	snprintf(rel, sizeof(rel), "progs/%s", d);
	return !np_pin_exists(ctx, rel);
}

static int detach_all(struct np_ctx *ctx)
{
	char **dirs;
	int n, err = 0;

	np_state_dirs(ctx, &dirs, &n);
	for (int i = 0; i < n; i++) {
		struct np_hooks_snapshot before;
		int e;

		np_hooks_snapshot(ctx, dirs[i], &before);
		e = detach_dir(ctx, dirs[i]);
		if (e) {
			char why[512];

			why_not(ctx, dirs[i], e, why, sizeof(why));
			np_warn(ctx, "%s", why);
		}
		err = err ?: e;
		report_removed(ctx, dirs[i], &before);
		np_hooks_snapshot_free(&before);
	}
	np_names_free(dirs, n);
	return err;
}

static int detach_device(struct np_ctx *ctx, const char *dev, const struct np_probe **probes,
			 int nprobes)
{
	int err = 0;

	struct np_dev_req req = { .dev = dev, .ifindex = (int)if_nametoindex(dev) };

	/* A record of a device renamed to dev follows it first. */
	if (req.ifindex)
		np_dev_adopt(ctx, &req);
	if (!nprobes) {
		struct np_device rec;
		bool have = !np_dev_record_get(ctx, dev, &rec);

		/* Each probe first, so that it can drop its own per-device entries. */
		np_for_each_probe(p)
			if (p->per_device && p->detach)
				p->detach(ctx, p, dev);
		err = np_dev_detach(ctx, dev);
		/* The last hook took the record along: its counters and flows go by its ifindex. */
		if (have && !err) {
			np_dev_forget_counters(ctx, rec.ifindex);
			np_dev_forget_flows(ctx, rec.ifindex);
		}
		return err;
	}
	for (int i = 0; i < nprobes && !err; i++)
		err = probes[i]->detach(ctx, probes[i], dev);
	return err;
}

/* The synopsis, from the registry: "DEV [tc|xdp|...] | drops | ... | all". */
const char *np_detach_synopsis(void)
{
	static char syn[512];
	char dev[200], host[200];

	if (!syn[0]) {
		np_probe_names(dev, sizeof(dev), true, "|");
		np_probe_names(host, sizeof(host), false, " | ");
		snprintf(syn, sizeof(syn), "DEV [%s]%s%s | all", dev, *host ? " | " : "", host);
	}
	return syn;
}

/* What detach help says past its synopsis: what each form removes, the probes. */
static void help_detail(FILE *f)
{
	fprintf(f, "DEV alone removes every probe of DEV with its counters and flows; DEV PROBE...\n"
		"removes those probes; all removes everything netprobe pinned.\n\n"
		"Device probes:\n");
	np_probe_help_list(f, true);
	fprintf(f, "\nHost probes:\n");
	np_probe_help_list(f, false);
}

int cmd_detach(struct np_ctx *ctx, int argc, char **argv)
{
	struct np_hooks_snapshot before = { 0 };
	const struct np_probe *probes[NP_PROBES_MAX];
	int ret, err, nprobes = 0;

	if (argc < 1)
		return np_usage(ctx, "detach: missing device, probe or 'all'");
	if (np_is_help(argv[0]))
		return np_cmd_help_self_with(ctx, help_detail);
	if (strcmp(argv[0], "all") && !np_probe_is_host(argv[0]) && !np_dev_name_ok(argv[0]))
		return np_usage(ctx, "detach: '%s' is not a device name", argv[0]);
	if ((!strcmp(argv[0], "all") || np_probe_is_host(argv[0])) && argc > 1)
		return np_usage(ctx, "detach %s: unexpected '%s'", argv[0], argv[1]);
	for (int i = 1; i < argc; i++) {
		const struct np_probe *p = np_probe_find(ctx, argv[i], true, "detach DEV");
		bool again = false;

		if (!p)
			return NP_EXIT_USAGE;
		/* A probe twice is that probe once, as in attach. */
		for (int j = 0; j < nprobes; j++)
			again |= probes[j] == p;
		if (!again && nprobes == (int)ARRAY_SIZE(probes))
			return np_usage(ctx, "detach DEV: too many probes");
		if (!again)
			probes[nprobes++] = p;
	}
	ret = np_state_open(ctx, NP_ST_WRITE | NP_ST_MAY_BE_EMPTY |
			    (!strcmp(argv[0], "all") ? NP_ST_ANY_LAYOUT : 0));
	/* Detaching what is not attached is fine; a device that is nowhere is not. */
	if ((!ret || ret == NP_STATE_EMPTY) && strcmp(argv[0], "all") &&
	    !np_probe_is_host(argv[0]) && dev_unknown(ctx, argv[0])) {
		np_state_gc(ctx);	/* what opening for writing made */
		np_state_close(ctx);
		return np_dev_not_attached(ctx, argv[0]);
	}
	if (ret == NP_STATE_EMPTY) {
		/* Nothing pinned at all: nothing to detach. */
		out_table_begin(ctx->out, NULL, cols, ARRAY_SIZE(cols), NP_LAYOUT_TABLE);
		out_table_end(ctx->out);
		return NP_EXIT_OK;
	}
	if (ret)
		return ret;
	out_table_begin(ctx->out, NULL, cols, ARRAY_SIZE(cols), NP_LAYOUT_TABLE);
	if (!strcmp(argv[0], "all")) {
		err = detach_all(ctx);
	} else {
		np_hooks_snapshot(ctx, argv[0], &before);
		err = np_probe_is_host(argv[0]) ? np_unpin_dir(ctx, argv[0])
						: detach_device(ctx, argv[0], probes, nprobes);
		report_removed(ctx, argv[0], &before);
		np_hooks_snapshot_free(&before);
	}
	out_table_end(ctx->out);
	np_state_gc(ctx);
	np_state_close(ctx);
	if (err && !strcmp(argv[0], "all"))
		return np_err(ctx, "detach all: some pins could not be removed (see above)");
	if (err) {
		char why[512];

		why_not(ctx, argv[0], err, why, sizeof(why));
		return np_err(ctx, "detach %s", why);
	}
	return NP_EXIT_OK;
}
