// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "device.h"
#include "link.h"
#include "maps.h"
#include "netns.h"
#include "state.h"

static const struct np_dev_hook hooks[] = {
	{ "xdp", NP_KIND_XDP, NP_DEV_XDP, 0 },
	{ "tc_ingress", NP_KIND_TC_INGRESS, NP_DEV_TC_INGRESS, NP_TC_PRIORITY },
	{ "tc_egress", NP_KIND_TC_EGRESS, NP_DEV_TC_EGRESS, NP_TC_PRIORITY },
	{ "vxlan_ingress", NP_KIND_TC_INGRESS, NP_DEV_VXLAN_INGRESS, NP_TC_PRIORITY + 1 },
	{ "vxlan_egress", NP_KIND_TC_EGRESS, NP_DEV_VXLAN_EGRESS, NP_TC_PRIORITY + 1 },
	{ "security_ingress", NP_KIND_TC_INGRESS, NP_DEV_SECURITY, NP_TC_PRIORITY + 2 },
	{ 0 },
};

const struct np_dev_hook *np_dev_hook_by_name(const char *name)
{
	for (const struct np_dev_hook *h = hooks; h->name; h++)
		if (!strcmp(h->name, name))
			return h;
	return NULL;
}

int np_dev_resolve(struct np_ctx *ctx, struct np_dev_req *req)
{
	if (strlen(req->dev) >= IFNAMSIZ)
		return np_usage(ctx, "device name '%s' is too long", req->dev);
	req->ifindex = if_nametoindex(req->dev);
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

static int record_put(struct np_ctx *ctx, const char *dev, const struct np_device *rec)
{
	char key[NP_IFNAMSIZ];
	int fd = np_map_open(ctx, "np_devices"), err = 0;

	if (fd < 0)
		return fd;
	dev_key(key, dev);
	if (rec->hooks ? bpf_map_update_elem(fd, key, rec, BPF_ANY)
		       : bpf_map_delete_elem(fd, key))
		err = errno == ENOENT ? 0 : -errno;
	close(fd);
	return err;
}

bool np_dev_hook_live(struct np_ctx *ctx, const char *dev, const struct np_dev_hook *hook,
		      int ifindex)
{
	struct np_link_info info;
	struct np_device rec;
	char rel[PATH_MAX], d[NP_DIR_MAX];
	int fd;
	bool live;

	if (np_dev_record_get(ctx, dev, &rec) || rec.ifindex != (__u32)ifindex ||
	    !(rec.hooks & hook->bit) || (rec.netns && rec.netns != np_netns_self()))
		return false;
	if (hook->kind != NP_KIND_XDP && rec.tc_mode == NP_TC_CLSACT) {
		snprintf(rel, sizeof(rel), "progs/%s/%s", np_dir_name(dev, d), hook->name);
		return np_pin_exists(ctx, rel);
	}
	snprintf(rel, sizeof(rel), "links/%s/%s", np_dir_name(dev, d), hook->name);
	fd = np_pin_open(ctx, rel);
	if (fd < 0)
		return false;
	live = !np_link_info(fd, &info) && info.dev.ifindex == (__u32)ifindex;
	close(fd);
	return live;
}

static void prog_ids(int prog_fd, int link_fd, struct np_dev_result *res)
{
	struct bpf_prog_info pinfo = {};
	struct np_link_info linfo;
	__u32 len = sizeof(pinfo);

	if (!bpf_obj_get_info_by_fd(prog_fd, &pinfo, &len))
		res->prog_id = pinfo.id;
	if (link_fd >= 0 && !np_link_info(link_fd, &linfo))
		res->link_id = linfo.id;
}

static int hook_attach(struct np_ctx *ctx, const struct np_dev_req *req,
		       const struct np_dev_hook *hook, int prog_fd, int *mode, int *link_fd,
		       bool *qdisc_created)
{
	*qdisc_created = false;
	if (hook->kind == NP_KIND_XDP)
		return np_xdp_attach(ctx, req->ifindex, prog_fd, req->xdp_mode, mode, link_fd);
	return np_tc_attach(ctx, req->ifindex, prog_fd, hook->kind == NP_KIND_TC_EGRESS,
			    req->tc_mode, hook->tc_priority, mode, link_fd, qdisc_created);
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

int np_dev_hook_attach(struct np_ctx *ctx, const struct np_dev_req *req,
		       const struct np_dev_hook *hook, int prog_fd, struct np_dev_result *res)
{
	char link_rel[PATH_MAX], prog_rel[PATH_MAX], dir[PATH_MAX], d[NP_DIR_MAX];
	struct np_device rec = {};
	int mode = 0, link_fd = -1, err;
	bool qdisc_created;
	struct timespec ts;

	memset(res, 0, sizeof(*res));
	if (np_dev_hook_live(ctx, req->dev, hook, req->ifindex)) {
		res->existed = true;
		np_dev_record_get(ctx, req->dev, &rec);
		res->mode = hook->kind == NP_KIND_XDP ? (int)rec.xdp_mode : (int)rec.tc_mode;
		return 0;
	}
	err = check_one_netns(ctx);
	if (err)
		return err;
	if (np_dev_record_get(ctx, req->dev, &rec) == 0 && rec.ifindex != (__u32)req->ifindex) {
		/* Same name, new device: the old links are defunct. */
		np_dev_detach(ctx, req->dev);
		memset(&rec, 0, sizeof(rec));
	}
	/* A stale pin of this hook (defunct link): replace it. */
	np_unpin_hook(ctx, req->dev, hook->name);
	np_dir_name(req->dev, d);
	snprintf(dir, sizeof(dir), "links/%s", d);
	err = np_mkdirs(ctx, dir);
	snprintf(dir, sizeof(dir), "progs/%s", d);
	err = err ?: np_mkdirs(ctx, dir);
	if (err)
		return np_err(ctx, "cannot create pin directories for %s: %s", req->dev,
			      strerror(-err));

	err = hook_attach(ctx, req, hook, prog_fd, &mode, &link_fd, &qdisc_created);
	if (err)
		return np_err(ctx, "cannot attach %s to %s: %s", hook->name, req->dev,
			      strerror(-err));
	snprintf(link_rel, sizeof(link_rel), "links/%s/%s", d, hook->name);
	snprintf(prog_rel, sizeof(prog_rel), "progs/%s/%s", d, hook->name);
	err = link_fd >= 0 ? np_pin_atomic(ctx, link_fd, link_rel) : 0;
	err = err ?: np_pin_atomic(ctx, prog_fd, prog_rel);
	if (!err) {
		clock_gettime(CLOCK_REALTIME, &ts);
		rec.ifindex = req->ifindex;
		rec.netns = np_netns_self();
		rec.hooks |= hook->bit;
		if (hook->kind == NP_KIND_XDP)
			rec.xdp_mode = mode;
		else
			rec.tc_mode = mode;
		rec.clsact_created |= qdisc_created;
		if (!rec.attached_ns)
			rec.attached_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
		err = record_put(ctx, req->dev, &rec);
	}
	if (err) {
		if (link_fd >= 0)
			bpf_link_detach(link_fd);
		else
			np_tc_detach_clsact(req->ifindex, hook->kind == NP_KIND_TC_EGRESS,
					    hook->tc_priority, qdisc_created);
		np_unpin_hook(ctx, req->dev, hook->name);
		if (link_fd >= 0)
			close(link_fd);
		return np_err(ctx, "cannot pin %s of %s: %s", hook->name, req->dev,
			      strerror(-err));
	}
	res->mode = mode;
	prog_ids(prog_fd, link_fd, res);
	if (link_fd >= 0)
		close(link_fd);
	return 0;
}

static void clsact_remove(struct np_ctx *ctx, const struct np_device *rec,
			  const struct np_dev_hook *hook, bool last)
{
	if (rec->tc_mode != NP_TC_CLSACT || hook->kind == NP_KIND_XDP)
		return;
	if (np_tc_detach_clsact(rec->ifindex, hook->kind == NP_KIND_TC_EGRESS, hook->tc_priority,
				last && rec->clsact_created))
		np_debug(ctx, "clsact filter of %s already gone", hook->name);
}

int np_dev_hook_detach(struct np_ctx *ctx, const char *dev, const struct np_dev_hook *hook)
{
	struct np_device rec = {};
	bool have = np_dev_record_get(ctx, dev, &rec) == 0;
	__u32 tc_bits;

	if (have) {
		rec.hooks &= ~hook->bit;
		tc_bits = rec.hooks & ~NP_DEV_XDP;
		clsact_remove(ctx, &rec, hook, tc_bits == 0);
		record_put(ctx, dev, &rec);
	}
	return np_unpin_hook(ctx, dev, hook->name);
}

void np_dev_forget_counters(struct np_ctx *ctx, __u32 ifindex)
{
	int fd = np_map_open(ctx, "np_stats");

	if (fd < 0)
		return;
	for (__u32 h = 0; h < NP_HOOK_MAX; h++) {
		struct np_stats_key key = { .ifindex = ifindex, .hook = h };

		bpf_map_delete_elem(fd, &key);
	}
	close(fd);
}

int np_dev_detach(struct np_ctx *ctx, const char *dev)
{
	struct np_device rec = {};
	bool have = np_dev_record_get(ctx, dev, &rec) == 0;
	int err;

	if (have && rec.tc_mode == NP_TC_CLSACT) {
		const struct np_dev_hook *last = NULL;

		for (const struct np_dev_hook *h = hooks; h->name; h++)
			if (h->kind != NP_KIND_XDP)
				last = h;
		for (const struct np_dev_hook *h = hooks; h->name; h++)
			clsact_remove(ctx, &rec, h, h == last);
	}
	err = np_unpin_dir(ctx, dev);
	if (have) {
		rec.hooks = 0;
		record_put(ctx, dev, &rec);
		np_dev_forget_counters(ctx, rec.ifindex);
	}
	return err;
}
