/* SPDX-License-Identifier: GPL-2.0 */
/* Network namespaces as BPF sees them: by inode number (ns.inum). */
#ifndef NP_NETNS_H
#define NP_NETNS_H

#include <linux/types.h>

/* Inode of this process's network namespace, 0 if unknown. */
__u32 np_netns_self(void);

#endif /* NP_NETNS_H */
