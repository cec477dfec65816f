// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "link.h"
#include "nl.h"
#include "../../bpf/netprobe.h"

#define LINK_CREATE_EXTRA_OFF 16

int np_link_create(int prog_fd, __u32 target, __u32 attach_type, __u32 flags,
		   const void *extra, size_t extra_len)
{
	union {
		union bpf_attr attr;
		__u8 raw[sizeof(union bpf_attr) + 64];
	} a;
	int fd;

	if (LINK_CREATE_EXTRA_OFF + extra_len > sizeof(a.attr))
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.attr.link_create.prog_fd = prog_fd;
	a.attr.link_create.target_fd = target;
	a.attr.link_create.attach_type = attach_type;
	a.attr.link_create.flags = flags;
	if (extra_len)
		memcpy(a.raw + offsetof(union bpf_attr, link_create) + LINK_CREATE_EXTRA_OFF,
		       extra, extra_len);
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &a.attr, sizeof(a.attr));
	return fd < 0 ? -errno : fd;
}

int np_link_info(int fd, struct np_link_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

const char *np_link_type_name(__u32 type)
{
	switch (type) {
	case NP_LINK_RAW_TRACEPOINT: return "raw_tracepoint";
	case NP_LINK_TRACING: return "tracing";
	case NP_LINK_XDP: return "xdp";
	case NP_LINK_PERF_EVENT: return "perf_event";
	case NP_LINK_NETFILTER: return "netfilter";
	case NP_LINK_TCX: return "tcx";
	default: return "other";
	}
}

int np_tcx_attach(int ifindex, int prog_fd, bool egress, int *link_fd)
{
	int fd = np_link_create(prog_fd, ifindex, egress ? NP_BPF_TCX_EGRESS : NP_BPF_TCX_INGRESS,
				0, NULL, 0);

	if (fd < 0)
		return fd;
	*link_fd = fd;
	return 0;
}

bool np_tcx_runs(int ifindex, bool egress, __u32 prog_id)
{
	__u32 ids[64], cnt = ARRAY_SIZE(ids);

	if (!prog_id || bpf_prog_query(ifindex, egress ? NP_BPF_TCX_EGRESS : NP_BPF_TCX_INGRESS,
				       0, NULL, ids, &cnt))
		return false;
	for (__u32 i = 0; i < cnt && i < ARRAY_SIZE(ids); i++)
		if (ids[i] == prog_id)
			return true;
	return false;
}

struct qdisc_find {
	int ifindex;
	bool found;
};

static int qdisc_one(const struct nlmsghdr *nlh, void *arg)
{
	const struct tcmsg *tc = NLMSG_DATA(nlh);
	struct qdisc_find *q = arg;
	struct rtattr *tb[TCA_MAX + 1];

	if (nlh->nlmsg_type != RTM_NEWQDISC || tc->tcm_ifindex != q->ifindex)
		return 0;
	np_nl_parse_msg(tb, TCA_MAX, nlh, sizeof(*tc));
	if (tb[TCA_KIND] && (!strcmp(np_nl_data(tb[TCA_KIND]), "clsact") ||
			     !strcmp(np_nl_data(tb[TCA_KIND]), "ingress")))
		q->found = true;
	return 0;
}

int np_clsact_exists(int ifindex)
{
	struct tcmsg tc = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex };
	struct qdisc_find q = { .ifindex = ifindex };
	int err = np_nl_dump(RTM_GETQDISC, &tc, sizeof(tc), qdisc_one, &q);

	return err ? err : q.found;
}

static int count_one(const struct nlmsghdr *nlh, void *arg)
{
	if (nlh->nlmsg_type == RTM_NEWTFILTER)
		(*(int *)arg)++;
	return 0;
}

/* Filters (of any owner) on the ingress and egress of ifindex's clsact. */
static int clsact_filters(int ifindex)
{
	int n = 0, err = 0;

	for (int egress = 0; egress < 2 && !err; egress++) {
		struct tcmsg tc = {
			.tcm_family = AF_UNSPEC,
			.tcm_ifindex = ifindex,
			.tcm_parent = TC_H_MAKE(TC_H_CLSACT,
						egress ? TC_H_MIN_EGRESS : TC_H_MIN_INGRESS),
		};

		err = np_nl_dump(RTM_GETTFILTER, &tc, sizeof(tc), count_one, &n);
	}
	return err ? err : n;
}

int np_clsact_create(int ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	return bpf_tc_hook_create(&hook);
}

int np_clsact_destroy_if_empty(int ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int n = clsact_filters(ifindex), err;

	if (n == -ENOENT || n == -EINVAL || n == -ENODEV)
		return 0;	/* no qdisc, or no device any more */
	if (n)
		return n < 0 ? n : 0;	/* somebody else's filters: keep it */
	err = bpf_tc_hook_destroy(&hook);
	return err == -ENOENT || err == -EINVAL ? 0 : err;
}

int np_clsact_filter_add(int ifindex, int prog_fd, bool egress, __u16 priority)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = NP_TC_HANDLE,
			    .priority = priority, .prog_fd = prog_fd);

	return bpf_tc_attach(&hook, &opts);
}

int np_clsact_filter_del(int ifindex, bool egress, __u16 priority)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = NP_TC_HANDLE, .priority = priority);
	int err = bpf_tc_detach(&hook, &opts);

	return err == -ENOENT || err == -EINVAL ? 0 : err;
}

int np_clsact_filter_prog(int ifindex, bool egress, __u16 priority, __u32 *prog_id)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = NP_TC_HANDLE, .priority = priority);
	int err = bpf_tc_query(&hook, &opts);

	if (err)
		return err == -EINVAL ? -ENOENT : err;
	*prog_id = opts.prog_id;
	return 0;
}

int np_xdp_attach(struct np_ctx *ctx, int ifindex, int prog_fd, int want, int *mode,
		  int *link_fd)
{
	int fd = -EOPNOTSUPP;

	if (want != NP_XDP_GENERIC) {
		fd = np_link_create(prog_fd, ifindex, NP_BPF_XDP, XDP_FLAGS_DRV_MODE, NULL, 0);
		if (fd >= 0) {
			*mode = NP_XDP_NATIVE;
			*link_fd = fd;
			return 0;
		}
		if (want == NP_XDP_NATIVE)
			return fd;
		np_info(ctx, "native XDP refused (%s); using generic XDP", strerror(-fd));
	}
	fd = np_link_create(prog_fd, ifindex, NP_BPF_XDP, XDP_FLAGS_SKB_MODE, NULL, 0);
	if (fd < 0)
		return fd;
	*mode = NP_XDP_GENERIC;
	*link_fd = fd;
	return 0;
}

bool np_xdp_runs(int ifindex, __u32 prog_id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (!prog_id || bpf_xdp_query(ifindex, 0, &q))
		return false;
	return q.prog_id == prog_id || q.drv_prog_id == prog_id || q.skb_prog_id == prog_id;
}

__u32 np_prog_id(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.id : 0;
}
