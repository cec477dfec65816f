/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's connection tracking, asked one connection at a time (ctnetlink). */
#ifndef NP_CONNTRACK_H
#define NP_CONNTRACK_H

#include <stdbool.h>
#include <linux/types.h>

struct np_ct_tuple {
	__u8 src[16];		/* IPv4 v4-mapped, as np_flow_key */
	__u8 dst[16];
	__u16 sport;		/* host byte order */
	__u16 dport;
	__u8 proto;		/* TCP, UDP or SCTP */
};

/*
 * The original direction of the connection whose reply direction is reply.
 * 0; -ENOENT if conntrack has no such connection (or the protocol has no
 * ports); -EPERM, -EPROTONOSUPPORT (no nf_conntrack_netlink) or another
 * -errno.
 */
int np_ct_orig_of_reply(const struct np_ct_tuple *reply, struct np_ct_tuple *orig);
/* Closes the socket np_ct_orig_of_reply() keeps. */
void np_ct_close(void);

#endif /* NP_CONNTRACK_H */
