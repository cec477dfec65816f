/* SPDX-License-Identifier: GPL-2.0 */
/* What attach/detach print: the hooks of one device or probe, one row each. */
#ifndef NP_HOOKS_REPORT_H
#define NP_HOOKS_REPORT_H

#include "np.h"

struct np_out;

struct np_hooks_snapshot {
	char **names;
	__u32 *prog_ids;
	int n;
};

/* Remembers which hooks <dir> has now: progs/<dir>/ pins and their program ids. */
void np_hooks_snapshot(struct np_ctx *ctx, const char *dir, struct np_hooks_snapshot *s);
void np_hooks_snapshot_free(struct np_hooks_snapshot *s);
/* Prints the hooks of <dir>: "unchanged" if the same program was there before,
 * else "attached". */
void np_hooks_report(struct np_ctx *ctx, const char *dir, const struct np_hooks_snapshot *before);

/*
 * Who a hook row is about: TARGET in plain text; in JSON "interface" for a
 * device's hook, "probe" for a host probe's (socket, drops, netfilter).
 */
void np_hooks_target(struct np_out *o, int target_col, int if_col, int probe_col,
		     const char *dir, const char *hook);

/* Fills what status and attach show of one hook. */
struct np_hook_view {
	__u32 prog_id;
	__u32 link_id;
	const char *link_type;
	const char *mode;
	const char *state;		/* np_hook_state_name(), "ok" for host probes */
	char now[16];			/* renamed: the device's name now */
	__u64 run_cnt;
	__u64 run_time_ns;
};
void np_hook_view(struct np_ctx *ctx, const char *dir, const char *name, struct np_hook_view *v);

#endif /* NP_HOOKS_REPORT_H */
