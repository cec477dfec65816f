// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "link.h"
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

static int clsact_attach(int ifindex, int prog_fd, bool egress, __u16 priority,
			 bool *qdisc_created)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = NP_TC_HANDLE,
			    .priority = priority, .prog_fd = prog_fd);
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	*qdisc_created = !err;
	err = bpf_tc_attach(&hook, &opts);
	if (err && *qdisc_created) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
		*qdisc_created = false;
	}
	return err;
}

int np_tc_detach_clsact(int ifindex, bool egress, __u16 priority, bool destroy_qdisc)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = NP_TC_HANDLE, .priority = priority);
	int err = bpf_tc_detach(&hook, &opts);

	if (err == -ENOENT)
		err = 0;
	if (destroy_qdisc) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		int e = bpf_tc_hook_destroy(&hook);

		if (e && e != -ENOENT && e != -EINVAL)
			err = err ?: e;
	}
	return err;
}

int np_tc_attach(struct np_ctx *ctx, int ifindex, int prog_fd, bool egress, int want,
		 __u16 priority, int *mode, int *link_fd, bool *qdisc_created)
{
	int fd;

	*link_fd = -1;
	*qdisc_created = false;
	if (want != NP_TC_CLSACT) {
		fd = np_link_create(prog_fd, ifindex,
				    egress ? NP_BPF_TCX_EGRESS : NP_BPF_TCX_INGRESS, 0, NULL, 0);
		if (fd >= 0) {
			*mode = NP_TC_TCX;
			*link_fd = fd;
			return 0;
		}
		if (want == NP_TC_TCX || (fd != -EINVAL && fd != -EOPNOTSUPP))
			return fd;
		np_debug(ctx, "no TCX links here (%s); using clsact", strerror(-fd));
	}
	*mode = NP_TC_CLSACT;
	return clsact_attach(ifindex, prog_fd, egress, priority, qdisc_created);
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
