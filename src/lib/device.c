// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "device.h"
#include "flowtable.h"
#include "handshake.h"
#include "icmp.h"
#include "link.h"
#include "maps.h"
#include "netns.h"
#include "probe.h"
#include "state.h"

const struct np_dev_hook *np_dev_hook_by_name(const char *name)
{
	np_for_each_probe(p)
		np_for_each_probe_hook(p, h)
			if (!strcmp(h->name, name))
				return h;
	return NULL;
}

bool np_dev_has_hook(const struct np_device *rec, const char *name)
{
	const struct np_dev_hook *h = np_dev_hook_by_name(name);

	return h && (rec->hooks & h->bit);
}

bool np_dev_has_traffic(const struct np_device *rec)
{
	return rec->hooks & (np_probe_bits_of("tc") | np_probe_bits_of("xdp"));
}

/* The NP_DEV_* bits of every TC hook: those a clsact qdisc may carry. */
static __u32 tc_bits(void)
{
	__u32 bits = 0;

	np_for_each_probe(p)
		np_for_each_probe_hook(p, h)
			if (h->kind != NP_KIND_XDP)
				bits |= h->bit;
	return bits;
}

const char *np_hook_state_name(enum np_hook_state state)
{
	switch (state) {
	case NP_HS_OK: return "ok";
	case NP_HS_RENAMED: return "renamed";
	case NP_HS_MOVED: return "moved";
	case NP_HS_DEFUNCT: return "defunct";
	case NP_HS_ABSENT: return "absent";
	case NP_HS_ELSEWHERE: return "elsewhere";
	}
	return "?";
}

bool np_dev_name_ok(const char *name)
{
	return *name && strlen(name) < IF_NAMESIZE && !strchr(name, '/') &&
	       strcmp(name, ".") && strcmp(name, "..");
}

int np_dev_resolve(struct np_ctx *ctx, struct np_dev_req *req)
{
	if (strlen(req->dev) >= IF_NAMESIZE)
		return np_usage(ctx, "device name '%s' is too long", req->dev);
	req->ifindex = np_dev_name_ok(req->dev) ? (int)if_nametoindex(req->dev) : 0;
	if (!req->ifindex)
		return np_err(ctx, "device '%s' does not exist", req->dev);
	return 0;
}

static void dev_key(char key[NP_IFNAMSIZ], const char *dev)
{
	memset(key, 0, NP_IFNAMSIZ);
	snprintf(key, NP_IFNAMSIZ, "%s", dev);
}

int np_dev_record_get(struct np_ctx *ctx, const char *dev, struct np_device *rec)
{
	char key[NP_IFNAMSIZ];
	int fd, err = 0;

	/* Another layout's record may be larger than ours: do not read it. */
	if (ctx->foreign_layout)
		return -ESTALE;
	fd = np_map_open(ctx, "np_devices");
	if (fd < 0)
		return fd;
	dev_key(key, dev);
	if (bpf_map_lookup_elem(fd, key, rec))
		err = -errno;
	close(fd);
	return err;
}

int np_dev_find(struct np_ctx *ctx, const char *dev, char *name, struct np_device *rec)
{
	struct np_dev_entry *all;
	int n, err = -ENOENT;

	if (np_devices_list(ctx, &all, &n))
		return -ENOENT;
	for (int pass = 0; pass < 2 && err; pass++)
		for (int i = 0; i < n && err; i++) {
			char now[IF_NAMESIZE];

			/* The name it was attached with first, then the name it has now. */
			if (strcmp(dev, pass ? np_dev_name_now(ctx, all[i].name, &all[i].rec, now)
					     : all[i].name))
				continue;
			if (name)
				memcpy(name, all[i].name, NP_IFNAMSIZ);
			*rec = all[i].rec;
			err = 0;
		}
	free(all);
	return err;
}

int np_dev_not_attached(struct np_ctx *ctx, const char *dev)
{
	if (!np_dev_name_ok(dev) || !if_nametoindex(dev))
		return np_err(ctx, "device '%s' does not exist", dev);
	return np_err(ctx, "nothing is attached to '%s'", dev);
}

int np_dev_require_traffic(struct np_ctx *ctx, const char *dev, struct np_device *rec)
{
	if (np_dev_find(ctx, dev, NULL, rec))
		return np_dev_not_attached(ctx, dev);
	if (!np_dev_has_traffic(rec))
		return np_err(ctx, "neither tc nor xdp is attached to '%s'; run 'netprobe attach "
			      "%s'", dev, dev);
	return 0;
}

/* A record that holds nothing netprobe must still undo can go. */
static bool record_empty(const struct np_device *rec)
{
	return !rec->hooks && !rec->pending &&
	       (rec->qdisc == NP_QDISC_NONE || rec->qdisc == NP_QDISC_FOREIGN);
}

static int record_put(struct np_ctx *ctx, const char *dev, const struct np_device *rec)
{
	char key[NP_IFNAMSIZ];
	int fd = np_map_open(ctx, "np_devices"), err = 0;

	if (fd < 0)
		return fd;
	dev_key(key, dev);
	if (record_empty(rec) ? bpf_map_delete_elem(fd, key)
			      : bpf_map_update_elem(fd, key, rec, BPF_ANY))
		err = errno == ENOENT ? 0 : -errno;
	close(fd);
	return err;
}

static __u32 pinned_prog_id(struct np_ctx *ctx, const char *dev, const char *hook)
{
	char rel[PATH_MAX], d[NP_DIR_MAX];
	int fd;
	__u32 id;

	snprintf(rel, sizeof(rel), "progs/%s/%s", np_dir_name(dev, d), hook);
	fd = np_pin_open(ctx, rel);
	id = np_prog_id(fd);
	if (fd >= 0)
		close(fd);
	return id;
}

/* The device the link pinned for hook is on (0: none any more), or -errno. */
static long link_ifindex(struct np_ctx *ctx, const char *dev, const char *hook)
{
	char rel[PATH_MAX], d[NP_DIR_MAX];
	struct np_link_info info;
	int fd, err;

	snprintf(rel, sizeof(rel), "links/%s/%s", np_dir_name(dev, d), hook);
	fd = np_pin_open(ctx, rel);
	if (fd < 0)
		return fd;
	err = np_link_info(fd, &info);
	close(fd);
	return err ? err : (long)info.dev.ifindex;
}

static bool is_egress(const struct np_dev_hook *hook)
{
	return hook->kind == NP_KIND_TC_EGRESS;
}

/* True if prog_id runs at hook of ifindex in this network namespace. */
static bool hook_runs(const struct np_dev_hook *hook, const struct np_device *rec,
		      __u32 prog_id)
{
	__u32 id = 0;

	if (hook->kind == NP_KIND_XDP)
		return np_xdp_runs(rec->ifindex, prog_id);
	if (!(rec->clsact & hook->bit))
		return np_tcx_runs(rec->ifindex, is_egress(hook), prog_id);
	return !np_clsact_filter_prog(rec->ifindex, is_egress(hook), hook->tc_priority, &id) &&
	       id == prog_id;
}

enum np_hook_state np_dev_hook_state(struct np_ctx *ctx, const char *dev,
				     const struct np_device *rec, const struct np_dev_hook *hook,
				     char now[IF_NAMESIZE])
{
	__u32 prog_id;

	now[0] = '\0';
	if (!(rec->hooks & hook->bit))
		return NP_HS_ABSENT;
	if (rec->netns && rec->netns != np_netns_self())
		return NP_HS_ELSEWHERE;
	prog_id = pinned_prog_id(ctx, dev, hook->name);
	if (prog_id && hook_runs(hook, rec, prog_id)) {
		if (!if_indextoname(rec->ifindex, now))
			return NP_HS_DEFUNCT;
		return strcmp(now, dev) ? NP_HS_RENAMED : NP_HS_OK;
	}
	/* A link lives as long as its device: on one, it is not here. */
	if (prog_id && !(rec->clsact & hook->bit) && link_ifindex(ctx, dev, hook->name) > 0)
		return NP_HS_MOVED;
	return NP_HS_DEFUNCT;
}

enum np_hook_state np_dev_state(struct np_ctx *ctx, const char *dev, const struct np_device *rec,
				char now[IF_NAMESIZE])
{
	np_for_each_probe(p)
		np_for_each_probe_hook(p, h)
			if (rec->hooks & h->bit)
				return np_dev_hook_state(ctx, dev, rec, h, now);
	now[0] = '\0';
	return NP_HS_ABSENT;
}

const char *np_dev_name_now(struct np_ctx *ctx, const char *dev, const struct np_device *rec,
			    char buf[IF_NAMESIZE])
{
	return np_dev_state(ctx, dev, rec, buf) == NP_HS_RENAMED ? buf : dev;
}

bool np_dev_hook_live(struct np_ctx *ctx, const char *dev, const struct np_dev_hook *hook,
		      int ifindex)
{
	char now[IF_NAMESIZE];
	struct np_device rec;

	return !np_dev_record_get(ctx, dev, &rec) && rec.ifindex == (__u32)ifindex &&
	       np_dev_hook_state(ctx, dev, &rec, hook, now) == NP_HS_OK;
}

bool np_dev_bits_live(struct np_ctx *ctx, const char *dev, __u32 bits, int ifindex)
{
	np_for_each_probe(p)
		np_for_each_probe_hook(p, h)
			if ((h->bit & bits) && np_dev_hook_live(ctx, dev, h, ifindex))
				return true;
	return false;
}

const char *np_dev_hook_mode(const struct np_dev_hook *hook, const struct np_device *rec)
{
	if (hook->kind == NP_KIND_XDP)
		return rec->xdp_mode == NP_XDP_NATIVE ? "native" : "generic";
	return rec->clsact & hook->bit ? "clsact" : "tcx";
}

/* ---- records that follow the kernel: renames, departures ---- */

static int rename_dir(struct np_ctx *ctx, const char *sub, const char *from, const char *to)
{
	char a[PATH_MAX], b[PATH_MAX], df[NP_DIR_MAX], dt[NP_DIR_MAX];

	np_path(ctx, a, sizeof(a), "%s/%s", sub, np_dir_name(from, df));
	np_path(ctx, b, sizeof(b), "%s/%s", sub, np_dir_name(to, dt));
	if (rename(a, b) && errno != ENOENT)
		return -errno;
	return 0;
}

/* Moves the record and pins of device from to the name to (a rename). */
static int record_rename(struct np_ctx *ctx, const char *from, const char *to,
			 const struct np_device *rec)
{
	struct np_device gone = { 0 };
	int err = rename_dir(ctx, "links", from, to);

	err = err ?: rename_dir(ctx, "progs", from, to);
	err = err ?: record_put(ctx, to, rec);
	err = err ?: record_put(ctx, from, &gone);
	return err;
}

static void forget_device(struct np_ctx *ctx, const char *dev, const char *why)
{
	int err = np_dev_detach(ctx, dev);

	if (err)
		np_warn(ctx, "%s %s; cannot remove its pins: %s", dev, why, strerror(-err));
	else
		np_info(ctx, "%s %s; its hooks and counters are removed", dev, why);
}

static const char *departure(enum np_hook_state st)
{
	return st == NP_HS_MOVED ? "moved to another network namespace" : "is gone";
}

/* The record named dev that is not the device at ifindex now. */
static void adopt_same_name(struct np_ctx *ctx, const struct np_dev_entry *e,
			    const struct np_dev_entry *all, int n)
{
	char now[IF_NAMESIZE];
	enum np_hook_state st = np_dev_state(ctx, e->name, &e->rec, now);
	bool taken = false;

	for (int i = 0; i < n; i++)
		taken |= !strcmp(all[i].name, now);
	if (st == NP_HS_RENAMED && !taken && !record_rename(ctx, e->name, now, &e->rec)) {
		np_info(ctx, "%s was renamed to %s: its hooks follow the new name", e->name, now);
		return;
	}
	forget_device(ctx, e->name, departure(st));
}

void np_dev_adopt(struct np_ctx *ctx, const struct np_dev_req *req)
{
	struct np_dev_entry *all;
	__u32 self = np_netns_self();
	int n;

	if (np_devices_list(ctx, &all, &n))
		return;
	/* First a record of this name for another device: out of the way. */
	for (int i = 0; i < n; i++)
		if (!strcmp(all[i].name, req->dev) && all[i].rec.ifindex != (__u32)req->ifindex &&
		    (!all[i].rec.netns || all[i].rec.netns == self))
			adopt_same_name(ctx, &all[i], all, n);
	for (int i = 0; i < n; i++) {
		const struct np_dev_entry *e = &all[i];
		char now[IF_NAMESIZE];
		enum np_hook_state st;

		if (!strcmp(e->name, req->dev) || e->rec.ifindex != (__u32)req->ifindex ||
		    (e->rec.netns && e->rec.netns != self))
			continue;
		st = np_dev_state(ctx, e->name, &e->rec, now);
		if (st == NP_HS_RENAMED && !strcmp(now, req->dev) &&
		    !record_rename(ctx, e->name, req->dev, &e->rec))
			np_info(ctx, "%s was renamed to %s: its hooks follow the new name", e->name,
				req->dev);
		else if (st != NP_HS_OK && st != NP_HS_RENAMED)
			forget_device(ctx, e->name, departure(st));
	}
	free(all);
}

/*
 * Counters are keyed by ifindex, which is unique only within a network
 * namespace: one pin root serves the devices of one namespace.
 */
static int check_one_netns(struct np_ctx *ctx)
{
	struct np_dev_entry *devs;
	__u32 self = np_netns_self();
	int n, err = 0;

	if (np_devices_list(ctx, &devs, &n))
		return 0;
	for (int i = 0; i < n && !err; i++)
		if (devs[i].rec.netns && devs[i].rec.netns != self)
			err = np_err(ctx, "%s holds devices of network namespace %u (%s); use "
				     "another --pin-root for this namespace", ctx->pin_root,
				     devs[i].rec.netns, devs[i].name);
	free(devs);
	return err;
}

/* ---- clsact, recorded step by step ---- */

/* Makes (or finds) the clsact qdisc, recording who made it before it is made. */
static int qdisc_ensure(struct np_ctx *ctx, const char *dev, struct np_device *rec)
{
	int err;

	if (rec->qdisc != NP_QDISC_NONE)
		return 0;
	err = np_clsact_exists(rec->ifindex);
	if (err < 0)
		return err;
	rec->qdisc = err ? NP_QDISC_FOREIGN : NP_QDISC_MAKING;
	err = record_put(ctx, dev, rec);
	if (err || rec->qdisc == NP_QDISC_FOREIGN)
		return err;
	err = np_clsact_create(rec->ifindex);
	rec->qdisc = err == -EEXIST ? NP_QDISC_FOREIGN : err ? NP_QDISC_NONE : NP_QDISC_OURS;
	if (err == -EEXIST)
		err = 0;
	return record_put(ctx, dev, rec) ?: err;
}

/* Removes the qdisc netprobe made once none of its filters is left on it. */
static void qdisc_release(struct np_ctx *ctx, const char *dev, struct np_device *rec)
{
	char now[IF_NAMESIZE];

	if ((rec->clsact | rec->pending) & tc_bits() || rec->qdisc == NP_QDISC_NONE)
		return;
	/* Only on the device it was made on: another may have its ifindex now. */
	if ((rec->qdisc == NP_QDISC_OURS || rec->qdisc == NP_QDISC_MAKING) &&
	    if_indextoname(rec->ifindex, now) && !strcmp(now, dev) &&
	    np_clsact_destroy_if_empty(rec->ifindex))
		np_debug(ctx, "%s: clsact qdisc kept", dev);
	rec->qdisc = NP_QDISC_NONE;
}

static int clsact_attach(struct np_ctx *ctx, const struct np_dev_req *req,
			 const struct np_dev_hook *hook, int prog_fd, struct np_device *rec)
{
	int err = qdisc_ensure(ctx, req->dev, rec);

	if (err)
		return err;
	rec->pending |= hook->bit;
	err = record_put(ctx, req->dev, rec);
	err = err ?: np_clsact_filter_add(req->ifindex, prog_fd, is_egress(hook),
					  hook->tc_priority);
	if (err) {
		rec->pending &= ~hook->bit;
		qdisc_release(ctx, req->dev, rec);
		record_put(ctx, req->dev, rec);
	}
	return err;
}

/* True if the filter at hook's priority is netprobe's: prog_id, or any np_ program. */
static bool filter_is_ours(const struct np_device *rec, const struct np_dev_hook *hook,
			   __u32 prog_id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), id = 0;
	bool ours;
	int fd;

	if (np_clsact_filter_prog(rec->ifindex, is_egress(hook), hook->tc_priority, &id))
		return false;
	if (prog_id)
		return id == prog_id;
	/* Left pending by a crash: no pinned program to compare with. */
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return false;
	ours = !bpf_obj_get_info_by_fd(fd, &info, &len) && !strncmp(info.name, "np_", 3);
	close(fd);
	return ours;
}

/* Removes one hook as the record says it was made; rec is updated. */
static int hook_remove(struct np_ctx *ctx, const char *dev, struct np_device *rec,
		       const struct np_dev_hook *hook)
{
	int err = 0;

	if ((rec->clsact | rec->pending) & hook->bit) {
		/* Filters are found by ifindex: only in their own namespace. */
		if (rec->netns && rec->netns != np_netns_self())
			return -EXDEV;
		if (filter_is_ours(rec, hook, pinned_prog_id(ctx, dev, hook->name)))
			err = np_clsact_filter_del(rec->ifindex, is_egress(hook),
						   hook->tc_priority);
	}
	if (err)
		return err;
	rec->hooks &= ~hook->bit;
	rec->clsact &= ~hook->bit;
	rec->pending &= ~hook->bit;
	qdisc_release(ctx, dev, rec);
	err = np_unpin_hook(ctx, dev, hook->name);
	return record_put(ctx, dev, rec) ?: err;
}

/* ---- attach ---- */

static void prog_ids(int prog_fd, int link_fd, struct np_dev_result *res)
{
	struct np_link_info linfo;

	res->prog_id = np_prog_id(prog_fd);
	if (link_fd >= 0 && !np_link_info(link_fd, &linfo))
		res->link_id = linfo.id;
}

/* The TC mode for a new hook: asked for, else that of the device's other TC hooks. */
static int tc_mode_for(const struct np_dev_req *req, const struct np_device *rec)
{
	if (req->tc_mode != NP_TC_NONE)
		return req->tc_mode;
	if (rec->hooks & tc_bits())
		return rec->clsact & rec->hooks ? NP_TC_CLSACT : NP_TC_TCX;
	return NP_TC_NONE;
}

/* Makes the hook: *link_fd for TCX/XDP, -1 for clsact (recorded in rec). */
static int hook_make(struct np_ctx *ctx, const struct np_dev_req *req,
		     const struct np_dev_hook *hook, int prog_fd, struct np_device *rec,
		     int *mode, int *link_fd)
{
	int want, err;

	*link_fd = -1;
	if (hook->kind == NP_KIND_XDP)
		return np_xdp_attach(ctx, req->ifindex, prog_fd, req->xdp_mode, mode, link_fd);
	want = tc_mode_for(req, rec);
	if (want != NP_TC_CLSACT) {
		err = np_tcx_attach(req->ifindex, prog_fd, is_egress(hook), link_fd);
		*mode = NP_TC_TCX;
		if (!err || want == NP_TC_TCX || (err != -EINVAL && err != -EOPNOTSUPP))
			return err;
		np_debug(ctx, "no TCX links here (%s); using clsact", strerror(-err));
	}
	*mode = NP_TC_CLSACT;
	return clsact_attach(ctx, req, hook, prog_fd, rec);
}

int np_dev_hook_keep(struct np_ctx *ctx, const struct np_dev_req *req,
		     const struct np_dev_hook *hook, struct np_dev_result *res)
{
	struct np_device rec = { 0 };
	const char *mode;

	memset(res, 0, sizeof(*res));
	res->existed = true;
	np_dev_record_get(ctx, req->dev, &rec);
	mode = np_dev_hook_mode(hook, &rec);
	if (hook->kind == NP_KIND_XDP) {
		res->mode = rec.xdp_mode;
		if (req->xdp_mode && req->xdp_mode != (int)rec.xdp_mode)
			return np_err(ctx, "%s: %s runs in %s mode; detach it first "
				      "('netprobe detach %s xdp') to change the mode", req->dev,
				      hook->name, mode, req->dev);
		return 0;
	}
	res->mode = rec.clsact & hook->bit ? NP_TC_CLSACT : NP_TC_TCX;
	if (req->tc_mode && req->tc_mode != res->mode)
		return np_err(ctx, "%s: %s is attached with %s; detach it first to change "
			      "the tc-mode", req->dev, hook->name, mode);
	return 0;
}

static int hook_undo(struct np_ctx *ctx, const struct np_dev_req *req,
		     const struct np_dev_hook *hook, struct np_device *rec, int link_fd)
{
	if (link_fd >= 0) {
		bpf_link_detach(link_fd);
		close(link_fd);
	}
	np_unpin_hook(ctx, req->dev, hook->name);
	if (!(rec->pending & hook->bit))
		return record_put(ctx, req->dev, rec);
	rec->hooks |= hook->bit;	/* for hook_remove */
	return hook_remove(ctx, req->dev, rec, hook);
}

int np_dev_hook_attach(struct np_ctx *ctx, const struct np_dev_req *req,
		       const struct np_dev_hook *hook, int prog_fd, struct np_dev_result *res)
{
	char link_rel[PATH_MAX], prog_rel[PATH_MAX], dir[PATH_MAX], d[NP_DIR_MAX];
	struct np_device rec = { 0 };
	int mode = 0, link_fd = -1, err;
	struct timespec ts;

	memset(res, 0, sizeof(*res));
	err = check_one_netns(ctx);
	if (err)
		return err;
	np_dev_adopt(ctx, req);
	if (np_dev_hook_live(ctx, req->dev, hook, req->ifindex))
		return np_dev_hook_keep(ctx, req, hook, res);
	if (np_dev_record_get(ctx, req->dev, &rec) == 0 && (rec.hooks & hook->bit)) {
		/* A stale hook (defunct link, lost filter): replace it. */
		err = hook_remove(ctx, req->dev, &rec, hook);
		if (err)
			return np_err(ctx, "cannot remove the stale %s of %s: %s", hook->name,
				      req->dev, strerror(-err));
	}
	rec.ifindex = req->ifindex;
	rec.netns = np_netns_self();
	np_dir_name(req->dev, d);
	snprintf(dir, sizeof(dir), "links/%s", d);
	err = np_mkdirs(ctx, dir);
	snprintf(dir, sizeof(dir), "progs/%s", d);
	err = err ?: np_mkdirs(ctx, dir);
	if (err)
		return np_err(ctx, "cannot create pin directories for %s: %s", req->dev,
			      strerror(-err));

	err = hook_make(ctx, req, hook, prog_fd, &rec, &mode, &link_fd);
	if (err)
		return np_err(ctx, "cannot attach %s to %s: %s", hook->name, req->dev,
			      strerror(-err));
	snprintf(link_rel, sizeof(link_rel), "links/%s/%s", d, hook->name);
	snprintf(prog_rel, sizeof(prog_rel), "progs/%s/%s", d, hook->name);
	err = link_fd >= 0 ? np_pin_atomic(ctx, link_fd, link_rel) : 0;
	err = err ?: np_pin_atomic(ctx, prog_fd, prog_rel);
	if (!err) {
		clock_gettime(CLOCK_REALTIME, &ts);
		rec.hooks |= hook->bit;
		rec.pending &= ~hook->bit;
		if (mode == NP_TC_CLSACT && hook->kind != NP_KIND_XDP)
			rec.clsact |= hook->bit;
		if (hook->kind == NP_KIND_XDP)
			rec.xdp_mode = mode;
		if (!rec.attached_ns)
			rec.attached_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
		err = record_put(ctx, req->dev, &rec);
	}
	if (err) {
		hook_undo(ctx, req, hook, &rec, link_fd);
		return np_err(ctx, "cannot pin %s of %s: %s", hook->name, req->dev,
			      strerror(-err));
	}
	res->mode = mode;
	prog_ids(prog_fd, link_fd, res);
	if (link_fd >= 0)
		close(link_fd);
	return 0;
}

/* ---- detach ---- */

int np_dev_hook_detach(struct np_ctx *ctx, const char *dev, const struct np_dev_hook *hook)
{
	struct np_device rec;

	if (np_dev_record_get(ctx, dev, &rec))
		return np_unpin_hook(ctx, dev, hook->name);
	if (!((rec.hooks | rec.pending) & hook->bit))
		return 0;
	return hook_remove(ctx, dev, &rec, hook);
}

int np_dev_link_speed(const char *dev, __u64 *bps)
{
	struct ethtool_cmd cmd = { .cmd = ETHTOOL_GSET };
	struct ifreq ifr = { 0 };
	__u32 mbps;
	int fd, err = 0;

	if (strlen(dev) >= sizeof(ifr.ifr_name))
		return -ENODEV;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, dev);
	ifr.ifr_data = (void *)&cmd;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		err = -errno;
	close(fd);
	if (err)
		return err;
	/* ethtool_cmd_speed() shifts an int: undefined for SPEED_UNKNOWN's 0xffff. */
	mbps = (__u32)cmd.speed_hi << 16 | cmd.speed;
	if (!mbps || mbps == (__u32)SPEED_UNKNOWN)
		return -ENODATA;
	*bps = (__u64)mbps * 1000000;
	return 0;
}

/* The array slot and the hash key of one counter of ifindex. */
#define STATS_SLOT(ifindex, h, pc) (((ifindex) * NP_HOOK_MAX + (h)) * NP_PC_MAX + (pc))
#define STATS_KEY(ifindex, h, pc) { .ifindex = (ifindex), .hook = (h), .class = (pc) }

int np_dev_proto_read(struct np_ctx *ctx, __u32 ifindex,
		      struct np_counter c[NP_HOOK_MAX][NP_PC_MAX])
{
	int idx = ifindex < NP_STATS_IDX_DEVS ? np_map_open(ctx, "np_stats_idx") : -ENOENT;
	int fd = np_map_open(ctx, "np_stats");

	memset(c, 0, NP_HOOK_MAX * NP_PC_MAX * sizeof(c[0][0]));
	for (__u32 h = 0; h < NP_HOOK_MAX; h++)
		for (__u32 pc = 0; pc < NP_PC_MAX; pc++) {
			struct np_stats_key key = STATS_KEY(ifindex, h, pc);
			__u32 slot = STATS_SLOT(ifindex, h, pc);
			struct np_counter part;

			/* A class that saw no packet yet has no hash entry: zero. */
			if (idx >= 0 && !np_percpu_sum(idx, &slot, (__u64 *)&part, 2)) {
				c[h][pc].packets += part.packets;
				c[h][pc].bytes += part.bytes;
			}
			if (fd >= 0 && !np_percpu_sum(fd, &key, (__u64 *)&part, 2)) {
				c[h][pc].packets += part.packets;
				c[h][pc].bytes += part.bytes;
			}
		}
	if (idx >= 0)
		close(idx);
	if (fd >= 0)
		close(fd);
	return idx < 0 && fd < 0 ? fd : 0;
}

int np_dev_counters_read(struct np_ctx *ctx, __u32 ifindex, struct np_counter c[NP_HOOK_MAX])
{
	struct np_counter pc[NP_HOOK_MAX][NP_PC_MAX];
	int err = np_dev_proto_read(ctx, ifindex, pc);

	for (__u32 h = 0; h < NP_HOOK_MAX; h++) {
		c[h] = (struct np_counter){ 0 };
		for (__u32 k = 0; k < NP_PC_MAX; k++) {
			c[h].packets += pc[h][k].packets;
			c[h].bytes += pc[h][k].bytes;
		}
	}
	return err;
}

void np_dev_forget_counters(struct np_ctx *ctx, __u32 ifindex)
{
	int idx = ifindex < NP_STATS_IDX_DEVS ? np_map_open(ctx, "np_stats_idx") : -ENOENT;
	int fd = np_map_open(ctx, "np_stats");

	np_hs_forget_counters(ctx, ifindex);
	for (__u32 h = 0; h < NP_HOOK_MAX; h++)
		for (__u32 pc = 0; pc < NP_PC_MAX; pc++) {
			struct np_stats_key key = STATS_KEY(ifindex, h, pc);
			__u32 slot = STATS_SLOT(ifindex, h, pc);

			if (idx >= 0)
				np_percpu_zero(idx, &slot, sizeof(struct np_counter));
			if (fd >= 0)
				bpf_map_delete_elem(fd, &key);
		}
	if (idx >= 0)
		close(idx);
	if (fd >= 0)
		close(fd);
}

void np_dev_forget_flows(struct np_ctx *ctx, __u32 ifindex)
{
	int fd = np_map_open(ctx, "np_flows");
	__u64 n = 0;

	if (fd >= 0) {
		np_map_purge_ifindex(fd, offsetof(struct np_flow_key, ifindex), ifindex, &n);
		close(fd);
		/* Removed, not evicted: the table's eviction count stays true. */
		if (n)
			np_flow_stats_add_deleted(ctx, n);
	}
	np_hs_forget_flows(ctx, ifindex);
	fd = np_map_open(ctx, "np_vxlan_flows");
	if (fd >= 0) {
		np_map_purge_ifindex(fd, offsetof(struct np_vxlan_flow_key, inner.ifindex), ifindex,
				     NULL);
		close(fd);
	}
	np_icmp_forget_dev(ctx, ifindex);
}

int np_dev_detach(struct np_ctx *ctx, const char *dev)
{
	struct np_device rec;
	int err = 0;

	if (np_dev_record_get(ctx, dev, &rec))
		return np_unpin_dir(ctx, dev);
	np_for_each_probe(p)
		np_for_each_probe_hook(p, h) {
			int e = 0;

			if ((rec.hooks | rec.pending) & h->bit)
				e = hook_remove(ctx, dev, &rec, h);
			err = err ?: e;
		}
	if (err)
		return err;
	/* A qdisc left by a crash before any filter was made. */
	qdisc_release(ctx, dev, &rec);
	rec.hooks = rec.pending = 0;
	err = record_put(ctx, dev, &rec);
	np_dev_forget_counters(ctx, rec.ifindex);
	np_dev_forget_flows(ctx, rec.ifindex);
	return np_unpin_dir(ctx, dev) ?: err;
}
