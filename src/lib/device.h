/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Programs on a network device: attach one program at a hook, pinned as
 * links/<dev>/<hook> (TCX or XDP link) or, on kernels without TCX, as a
 * cls_bpf filter on clsact with the program pinned at progs/<dev>/<hook>.
 * The np_devices map records what was done so detach undoes exactly that.
 */
#ifndef NP_DEVICE_H
#define NP_DEVICE_H

#include <linux/types.h>
#include "np.h"
#include "../../bpf/netprobe.h"

enum np_dev_kind {
	NP_KIND_XDP,
	NP_KIND_TC_INGRESS,
	NP_KIND_TC_EGRESS,
};

/* Hooks a device can carry; the pin name is the hook's name. */
struct np_dev_hook {
	const char *name;	/* "xdp", "tc_ingress", "tc_egress", ... */
	enum np_dev_kind kind;
	__u32 bit;		/* NP_DEV_* bit recorded in np_devices */
	__u16 tc_priority;	/* clsact filter priority, distinct per hook */
};

const struct np_dev_hook *np_dev_hook_by_name(const char *name);

struct np_dev_req {
	const char *dev;
	int ifindex;
	int xdp_mode;	/* wanted: enum np_xdp_mode, NONE = native else generic */
	int tc_mode;	/* wanted: enum np_tc_mode, NONE = TCX else clsact */
};

struct np_dev_result {
	bool existed;	/* already attached: nothing changed */
	int mode;	/* np_xdp_mode or np_tc_mode in force */
	__u32 prog_id;
	__u32 link_id;	/* 0 for clsact */
};

/* Resolves req->dev in this network namespace; reports unknown devices. */
int np_dev_resolve(struct np_ctx *ctx, struct np_dev_req *req);
/* True if hook is attached to dev and alive at ifindex (not defunct). */
bool np_dev_hook_live(struct np_ctx *ctx, const char *dev, const struct np_dev_hook *hook,
		      int ifindex);
/* Attaches prog_fd at hook; idempotent (res->existed). Records it. */
int np_dev_hook_attach(struct np_ctx *ctx, const struct np_dev_req *req,
		       const struct np_dev_hook *hook, int prog_fd, struct np_dev_result *res);
/* Removes one hook of dev (link or clsact filter) and its record bit. */
int np_dev_hook_detach(struct np_ctx *ctx, const char *dev, const struct np_dev_hook *hook);
/* Removes every hook of dev, its record and its traffic counters. */
int np_dev_detach(struct np_ctx *ctx, const char *dev);
/* Reads dev's record; returns 0 or -ENOENT. */
int np_dev_record_get(struct np_ctx *ctx, const char *dev, struct np_device *rec);
/* Drops counters of ifindex from the per-device maps. */
void np_dev_forget_counters(struct np_ctx *ctx, __u32 ifindex);

#endif /* NP_DEVICE_H */
