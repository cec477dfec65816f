/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Network namespaces as BPF sees them: by inode number (ns.inum), and as
 * people know them: by their /run/netns name (ip netns, CNI's cni-...).
 */
#ifndef NP_NETNS_H
#define NP_NETNS_H

#include <linux/types.h>

struct np_out;

/* Inode of this process's network namespace, 0 if unknown. */
__u32 np_netns_self(void);
/* The /run/netns name of the namespace with this inode, NULL if it has none. */
const char *np_netns_name(__u32 inode);
/* A /run/netns name or a decimal inode; 0, or -EINVAL / -ENOENT. */
int np_netns_parse(const char *s, __u32 *inode);
/*
 * An fd of the namespace with this inode, to setns() into: its /run/netns
 * file, else a process's /proc/PID/ns/net. -ENOENT if none is found.
 */
int np_netns_open(__u32 inode);
struct np_ctx;
/* The value of a `netns NAME|ID` keyword of command what; usage error if neither. */
int np_arg_netns(struct np_ctx *ctx, const char *what, const char *v, __u32 *inode);
/*
 * A namespace in a row: the inode at num_col (JSON: a number, as ever) and
 * at name_col its name as the resolver found it (np_query_names; JSON: only
 * when it has one; plain: the name, else the inode).
 */
void np_out_netns(struct np_out *o, int num_col, int name_col, __u32 inode, const char *name);

#endif /* NP_NETNS_H */
