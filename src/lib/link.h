/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel attach points that Debian's libbpf 1.1 predates (TCX, netfilter
 * links), made with BPF_LINK_CREATE directly, plus TC and XDP attachment
 * with the fallbacks DESIGN.md asks for.
 */
#ifndef NP_LINK_H
#define NP_LINK_H

#include <stdbool.h>
#include <linux/types.h>
#include "np.h"

/* enum bpf_attach_type values newer than the installed UAPI header. */
#define NP_BPF_NETFILTER	45
#define NP_BPF_TCX_INGRESS	46
#define NP_BPF_TCX_EGRESS	47
#define NP_BPF_XDP		37
#define NP_BPF_PROG_TYPE_NETFILTER 32

/* enum bpf_link_type values. */
#define NP_LINK_RAW_TRACEPOINT	1
#define NP_LINK_TRACING		2
#define NP_LINK_XDP		6
#define NP_LINK_PERF_EVENT	7
#define NP_LINK_NETFILTER	10
#define NP_LINK_TCX		11

/* Handle and base priority of the cls_bpf filters netprobe makes on clsact. */
#define NP_TC_HANDLE		0x6e70
#define NP_TC_PRIORITY		0x6e70

/* The part of struct bpf_link_info netprobe reads, with newer members. */
struct np_link_info {
	__u32 type;
	__u32 id;
	__u32 prog_id;
	union {
		struct { __u32 ifindex; __u32 attach_type; } dev;	/* xdp, tcx */
		struct { __u32 pf; __u32 hooknum; __s32 priority; __u32 flags; } nf;
		__u8 raw[64];
	} __attribute__((aligned(8)));
};

/*
 * BPF_LINK_CREATE with the attach-type specific part (offset 16 of
 * link_create) given as raw bytes. Returns the link fd or -errno.
 */
int np_link_create(int prog_fd, __u32 target, __u32 attach_type, __u32 flags,
		   const void *extra, size_t extra_len);
int np_link_info(int fd, struct np_link_info *info);
const char *np_link_type_name(__u32 type);

/*
 * A TCX link of prog_fd on ifindex (fd in *link_fd). Returns 0 or -errno;
 * -EINVAL/-EOPNOTSUPP mean the kernel has no TCX.
 */
int np_tcx_attach(int ifindex, int prog_fd, bool egress, int *link_fd);
/* True if prog_id runs in ifindex's TCX chain (this network namespace). */
bool np_tcx_runs(int ifindex, bool egress, __u32 prog_id);

/*
 * clsact and cls_bpf, in steps, so that the caller can record each one
 * before it is made (src/lib/device.c). Filters are netprobe's own:
 * handle NP_TC_HANDLE at a priority per hook.
 */
/* 1 if ifindex has a clsact (or ingress) qdisc, 0 if not, or -errno. */
int np_clsact_exists(int ifindex);
/* Makes the clsact qdisc: 0, -EEXIST if there is one, or -errno. */
int np_clsact_create(int ifindex);
/* Removes the clsact qdisc if no filter is left on it; 0 or -errno. */
int np_clsact_destroy_if_empty(int ifindex);
int np_clsact_filter_add(int ifindex, int prog_fd, bool egress, __u16 priority);
/* Removes netprobe's filter; 0 also when there is none. */
int np_clsact_filter_del(int ifindex, bool egress, __u16 priority);
/* The program of netprobe's filter at priority: 0 and *prog_id, or -ENOENT. */
int np_clsact_filter_prog(int ifindex, bool egress, __u16 priority, __u32 *prog_id);

/* XDP link; native unless want == NP_XDP_GENERIC, falling back to generic. */
int np_xdp_attach(struct np_ctx *ctx, int ifindex, int prog_fd, int want, int *mode,
		  int *link_fd);
/* True if prog_id is ifindex's XDP program (any mode, this network namespace). */
bool np_xdp_runs(int ifindex, __u32 prog_id);
/* The id of the program pinned (or open) as fd, 0 if unknown. */
__u32 np_prog_id(int fd);

#endif /* NP_LINK_H */
