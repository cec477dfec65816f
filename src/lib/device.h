/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Programs on a network device: attach one program at a hook, pinned as
 * links/<dev>/<hook> (TCX or XDP link) or, on kernels without TCX (or
 * with tc-mode clsact), as a cls_bpf filter on clsact with the program
 * pinned at progs/<dev>/<hook>. The np_devices map records, per hook, what
 * was done, and what is about to be done before it is, so that detach
 * undoes exactly that, also after a crash.
 *
 * A device is known by its ifindex in the network namespace it was
 * attached in, and its name is checked against the kernel's: a renamed
 * device keeps its hooks (the record follows the new name at the next
 * attach or detach), a device that left the namespace or vanished is
 * reported as such, and a new device that takes its ifindex never
 * inherits its counters.
 */
#ifndef NP_DEVICE_H
#define NP_DEVICE_H

#include <net/if.h>
#include <linux/types.h>
#include "np.h"
#include "../../bpf/netprobe.h"

enum np_dev_kind {
	NP_KIND_XDP,
	NP_KIND_TC_INGRESS,
	NP_KIND_TC_EGRESS,
};

/*
 * A hook a device can carry; the pin name is the hook's name. Each device
 * probe lists its own (struct np_probe, src/cmd/probes.c).
 */
struct np_dev_hook {
	const char *name;	/* "xdp", "tc_ingress", "tc_egress", ... */
	enum np_dev_kind kind;
	__u32 bit;		/* NP_DEV_* bit recorded in np_devices */
	__u16 tc_priority;	/* clsact filter priority, distinct per direction */
};

/* The hook called name of any device probe, or NULL. */
const struct np_dev_hook *np_dev_hook_by_name(const char *name);
/* True if rec records the hook called name. */
bool np_dev_has_hook(const struct np_device *rec, const char *name);
/* True if rec records a hook of the tc or xdp probe: traffic counters and flows. */
bool np_dev_has_traffic(const struct np_device *rec);

struct np_dev_req {
	const char *dev;
	int ifindex;
	int xdp_mode;	/* wanted: enum np_xdp_mode, NONE = native else generic */
	int tc_mode;	/* wanted: enum np_tc_mode, NONE = as the device's other
			 * TC hooks, else TCX, else clsact */
};

struct np_dev_result {
	bool existed;	/* already attached: nothing changed */
	int mode;	/* np_xdp_mode or np_tc_mode in force */
	__u32 prog_id;
	__u32 link_id;	/* 0 for clsact */
};

/* What a recorded hook is doing now, as seen from this network namespace. */
enum np_hook_state {
	NP_HS_OK,		/* runs on the device the record names */
	NP_HS_RENAMED,		/* runs on that device, which has another name now */
	NP_HS_MOVED,		/* its link lives on a device not in this namespace */
	NP_HS_DEFUNCT,		/* the device is gone (or the pin is) */
	NP_HS_ABSENT,		/* not attached */
	NP_HS_ELSEWHERE,	/* recorded in another network namespace */
};

const char *np_hook_state_name(enum np_hook_state state);

/* A name netprobe may use for a device directory: no '/', not "."/"..". */
bool np_dev_name_ok(const char *name);
/* Resolves req->dev in this network namespace; reports unknown devices. */
int np_dev_resolve(struct np_ctx *ctx, struct np_dev_req *req);
/*
 * Makes the records fit the kernel before an attach or detach of
 * req->dev: a record of a device that was renamed to req->dev (or away
 * from it) follows the new name; records of devices that vanished or left
 * the namespace and stand in the way (same name or ifindex) are removed.
 * Says what happened on stderr.
 */
void np_dev_adopt(struct np_ctx *ctx, const struct np_dev_req *req);
/* State of hook of the device recorded as dev; now: its current name. */
enum np_hook_state np_dev_hook_state(struct np_ctx *ctx, const char *dev,
				     const struct np_device *rec, const struct np_dev_hook *hook,
				     char now[IF_NAMESIZE]);
/* State of a device as a whole: that of its first recorded hook. */
enum np_hook_state np_dev_state(struct np_ctx *ctx, const char *dev, const struct np_device *rec,
				char now[IF_NAMESIZE]);
/* The name to show for the device recorded as dev: its name now if renamed. */
const char *np_dev_name_now(struct np_ctx *ctx, const char *dev, const struct np_device *rec,
			    char buf[IF_NAMESIZE]);
/* True if hook is attached to dev, runs there and dev is at ifindex. */
bool np_dev_hook_live(struct np_ctx *ctx, const char *dev, const struct np_dev_hook *hook,
		      int ifindex);
/* True if any hook of dev among bits (NP_DEV_*) is live, as np_dev_hook_live. */
bool np_dev_bits_live(struct np_ctx *ctx, const char *dev, __u32 bits, int ifindex);
/*
 * For a live hook: keeps it (res->existed) unless another mode was asked
 * for explicitly, which is refused with a reason. Returns 0 or an exit code.
 */
int np_dev_hook_keep(struct np_ctx *ctx, const struct np_dev_req *req,
		     const struct np_dev_hook *hook, struct np_dev_result *res);
/* Attaches prog_fd at hook; idempotent (res->existed). Records it. */
int np_dev_hook_attach(struct np_ctx *ctx, const struct np_dev_req *req,
		       const struct np_dev_hook *hook, int prog_fd, struct np_dev_result *res);
/*
 * Removes one hook of dev (link or clsact filter) and its record bit.
 * -EXDEV: its cls_bpf filter is in another network namespace (untouched).
 */
int np_dev_hook_detach(struct np_ctx *ctx, const char *dev, const struct np_dev_hook *hook);
/* Removes every hook of dev, its record, counters and flows (-EXDEV as above). */
int np_dev_detach(struct np_ctx *ctx, const char *dev);
/* Reads dev's record; returns 0 or -ENOENT. */
int np_dev_record_get(struct np_ctx *ctx, const char *dev, struct np_device *rec);
/*
 * The record of the device a user calls dev: recorded as dev, or renamed
 * to dev since. name (NULL or NP_IFNAMSIZ bytes) gets the recorded name.
 * Returns 0 or -ENOENT.
 */
int np_dev_find(struct np_ctx *ctx, const char *dev, char *name, struct np_device *rec);
/*
 * What every command that takes a device says when netprobe has no record
 * of it: "device 'X' does not exist" when this network namespace has no
 * such device either, else "nothing is attached to 'X'". Returns NP_EXIT_FAIL.
 */
int np_dev_not_attached(struct np_ctx *ctx, const char *dev);
/*
 * dev DEV of show stats, show flows and flush stats: the record of dev,
 * which must carry tc or xdp; else says why not. 0 or NP_EXIT_FAIL.
 */
int np_dev_require_traffic(struct np_ctx *ctx, const char *dev, struct np_device *rec);
/*
 * The traffic counters of ifindex per hook (enum np_hook): its array slots
 * plus its hash entries, zero where a hook saw nothing. 0, or -errno when
 * neither map can be opened.
 */
int np_dev_counters_read(struct np_ctx *ctx, __u32 ifindex, struct np_counter c[NP_HOOK_MAX]);
/*
 * The link speed of dev in this network namespace, bits per second, as
 * ethtool reports it. -ENODATA when the device reports none (a bridge
 * without ports, tun), else 0 or -errno.
 */
int np_dev_link_speed(const char *dev, __u64 *bps);
/* The same per hook and protocol class (enum np_proto_class). */
int np_dev_proto_read(struct np_ctx *ctx, __u32 ifindex,
		      struct np_counter c[NP_HOOK_MAX][NP_PC_MAX]);
/* Drops counters of ifindex from the per-device maps (array slots zeroed). */
void np_dev_forget_counters(struct np_ctx *ctx, __u32 ifindex);
/* Drops the flows of ifindex from np_flows (as deleted) and np_vxlan_flows. */
void np_dev_forget_flows(struct np_ctx *ctx, __u32 ifindex);
/* The mode name of a recorded hook: native, generic, tcx, clsact. */
const char *np_dev_hook_mode(const struct np_dev_hook *hook, const struct np_device *rec);

#endif /* NP_DEVICE_H */
